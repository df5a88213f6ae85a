package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/govextract/jira-extractor/internal/httpx"
	"github.com/govextract/jira-extractor/internal/jira/throttle"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/retry"
)

// maxBody bounds a response body read into memory.
const maxBody = 64 << 20

// Client talks to one SCIM directory. Safe for concurrent use.
type Client struct {
	o     Options
	hc    *http.Client
	auth  *authorizer
	lim   *throttle.Limiter
	sem   chan struct{}
	clock retry.Clock

	capsMu sync.Mutex
	caps   *Capabilities

	requests, retries, throttled atomic.Int64
	byMu                         sync.Mutex
	byEndpoint                   map[string]int64
}

// New builds a client; it makes no request.
func New(o Options) (*Client, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = newHTTPClient(o)
	} else {
		hc = httpx.Harden(hc, httpx.SameOrigin)
	}
	c := &Client{o: o, hc: hc, auth: newAuthorizer(o, httpx.Harden(hc, httpx.RefuseRedirects)),
		lim: throttle.New(o.RequestsPerSecond, o.Burst), sem: make(chan struct{}, o.Concurrency),
		clock: retry.OrSystem(o.Clock), byEndpoint: map[string]int64{}}
	c.lim.SetClock(c.clock)
	return c, nil
}

// Version is the SCIM version spoken: 2 or 1.
func (c *Client) Version() int { return c.o.Version }

// BaseURL is the directory's base URL.
func (c *Client) BaseURL() string { return c.o.BaseURL }

// AuthKind is the authentication method in use.
func (c *Client) AuthKind() AuthKind { return c.o.Auth.Kind }

// ReadsSchema reports whether discovery reads the server's schema.
func (c *Client) ReadsSchema() bool { return c.o.ReadSchema }

// RequestsPerSecond is the configured steady request rate.
func (c *Client) RequestsPerSecond() float64 { return c.o.RequestsPerSecond }

// TokenGrants is how many OAuth 2.0 access tokens the run obtained.
func (c *Client) TokenGrants() int { return c.auth.Grants() }

// Stats returns the request counters in the manifest's shape.
func (c *Client) Stats() manifest.Requests {
	c.byMu.Lock()
	defer c.byMu.Unlock()
	by := make(map[string]int64, len(c.byEndpoint))
	for k, v := range c.byEndpoint {
		by[k] = v
	}
	return manifest.Requests{Total: c.requests.Load(), ByEndpoint: by, Retries: c.retries.Load(), Throttled: c.throttled.Load()}
}

// Error is an answer the SCIM server gave (or the token endpoint, when
// Auth is set). Detail holds no credential.
type Error struct {
	Status   int
	ScimType string
	Detail   string
	// Auth marks a refused credential: the message names the setting.
	Auth bool
	// Endpoint is "METHOD /path-template".
	Endpoint string
}

func (e *Error) Error() string {
	s := e.Detail
	if e.Endpoint != "" {
		s = e.Endpoint + ": " + s
	}
	if e.Status != 0 && !strings.Contains(s, "HTTP "+strconv.Itoa(e.Status)) {
		s += " (HTTP " + strconv.Itoa(e.Status)
		if e.ScimType != "" {
			s += ", scimType " + e.ScimType
		}
		s += ")"
	}
	return "scim: " + s
}

// IsNotFound reports whether err is a SCIM 404.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// IsAuth reports whether err is a refused credential.
func IsAuth(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Auth
}

// request is one call: method, path under the base (with query), the
// endpoint template for counters, and a JSON body.
type request struct {
	method, path, endpoint string
	body                   any
}

// response is a complete answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// send makes one attempt. The error is nil for any HTTP answer; sent
// reports whether the request may have reached the server.
func (c *Client) send(ctx context.Context, r request) (resp response, sent bool, err error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return resp, false, ctx.Err()
	}
	defer func() { <-c.sem }()
	if err := c.lim.Wait(ctx, r.endpoint); err != nil {
		return resp, false, err
	}
	var body io.Reader
	var raw []byte
	if r.body != nil {
		if raw, err = json.Marshal(r.body); err != nil {
			return resp, false, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(raw)
	}
	actx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	// Counted each time it goes on the wire, the transport's own re-sends
	// included.
	tctx := httpx.Trace(actx, func() { c.countRequest(r.endpoint) })
	req, err := http.NewRequestWithContext(tctx, r.method, c.o.BaseURL+r.path, body)
	if err != nil {
		return resp, false, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/scim+json, application/json")
	if raw != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	if c.o.UserAgent != "" {
		req.Header.Set("User-Agent", c.o.UserAgent)
	}
	if err := c.auth.set(ctx, req); err != nil {
		return resp, false, err
	}
	hr, err := c.hc.Do(req)
	if err != nil {
		te := c.netFailure(r.endpoint).classify(actx, err)
		return resp, !te.NotSent, te
	}
	defer hr.Body.Close()
	b, err := io.ReadAll(io.LimitReader(hr.Body, maxBody))
	if err != nil {
		te := c.netFailure(r.endpoint).classify(actx, err)
		te.Detail = "read the answer: " + te.Detail
		return resp, true, te
	}
	return response{status: hr.StatusCode, header: hr.Header, body: b}, true, nil
}

// countRequest counts one request written to endpoint.
func (c *Client) countRequest(endpoint string) {
	c.requests.Add(1)
	c.byMu.Lock()
	c.byEndpoint[endpoint]++
	c.byMu.Unlock()
}

// errorOf turns a non-2xx answer into an *Error with the server's SCIM
// error detail (version 2's detail/scimType or version 1.1's Errors).
func (c *Client) errorOf(r request, resp response) *Error {
	e := &Error{Status: resp.status, Endpoint: r.endpoint}
	var v2 struct {
		Detail   string `json:"detail"`
		ScimType string `json:"scimType"`
		Errors   []struct {
			Description string `json:"description"`
		} `json:"Errors"`
	}
	if json.Unmarshal(resp.body, &v2) == nil {
		e.Detail, e.ScimType = v2.Detail, v2.ScimType
		if e.Detail == "" && len(v2.Errors) > 0 {
			e.Detail = v2.Errors[0].Description
		}
	}
	if e.Detail == "" {
		e.Detail = http.StatusText(resp.status)
	}
	scrub := c.auth.scrubber()
	e.Detail = httpx.CleanText(scrub.Scrub(e.Detail), 300)
	e.ScimType = httpx.CleanText(scrub.Scrub(e.ScimType), 60)
	if resp.status == http.StatusUnauthorized {
		e.Auth = true
		e.Detail = fmt.Sprintf("the SCIM server refused the credentials (%s): check %s", e.Detail, c.auth.credentialSetting())
	}
	return e
}

// retryAfter is the wait a 429 or 503 asks for.
func (c *Client) retryAfter(h http.Header) time.Duration {
	d, _ := retry.RetryAfter(h, c.clock.Now())
	return d
}

// policy is the retry policy of reads.
func (c *Client) policy() retry.Policy {
	fail := retry.Default
	if c.o.Backoff != nil {
		fail = *c.o.Backoff
	}
	return retry.Policy{Clock: c.clock, Failure: fail, Throttle: fail, MaxFailures: c.o.MaxRetries,
		MaxThrottled: max(c.o.MaxRetries, 10), OnRetry: func(retry.Retry) { c.retries.Add(1) }}
}

// do sends a read (or another idempotent request) with retries on 429,
// 5xx and network errors, one token refresh on a 401 with OAuth 2.0, and
// decodes a 2xx body into out (if not nil).
func (c *Client) do(ctx context.Context, r request, out any) error {
	refreshed := false
	return c.policy().Do(ctx, func(ctx context.Context, n int) retry.Result {
		resp, _, err := c.send(ctx, r)
		switch {
		case err != nil && ctx.Err() != nil:
			return retry.Result{Class: retry.Fatal, Err: ctx.Err()}
		case err != nil && (IsAuth(err) || IsFinal(err)):
			return retry.Result{Class: retry.Fatal, Err: err}
		case err != nil:
			return retry.Result{Class: retry.Transient, Err: err}
		case resp.status == http.StatusTooManyRequests:
			c.throttled.Add(1)
			c.lim.Slow(r.endpoint)
			return retry.Result{Class: retry.Throttled, Err: c.errorOf(r, resp), Wait: c.retryAfter(resp.header)}
		case resp.status == http.StatusUnauthorized && !refreshed && c.auth.invalidate():
			refreshed = true // the token expired mid-run: get a new one and send again
			return retry.Result{Class: retry.Throttled, Err: c.errorOf(r, resp), Wait: time.Nanosecond}
		case resp.status >= 500:
			return retry.Result{Class: retry.Transient, Err: c.errorOf(r, resp), Wait: c.retryAfter(resp.header)}
		case resp.status >= 300:
			return retry.Result{Class: retry.Fatal, Err: c.errorOf(r, resp)}
		}
		if out != nil && resp.status != http.StatusNoContent {
			dec := json.NewDecoder(bytes.NewReader(resp.body))
			dec.UseNumber()
			if err := dec.Decode(out); err != nil {
				return retry.Result{Class: retry.Transient, Err: fmt.Errorf("%s: the answer is not the JSON expected: %w", r.endpoint, err)}
			}
		}
		return retry.Result{Class: retry.Success}
	})
}

// Counts reports requests, retries and throttled answers so far (for
// progress).
func (c *Client) Counts() (requests, retries, throttled int64) {
	return c.requests.Load(), c.retries.Load(), c.throttled.Load()
}
