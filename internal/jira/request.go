package jira

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/govextract/jira-extractor/internal/jira/throttle"
)

// authKind says which credential a request carries.
type authKind int

const (
	authBasic  authKind = iota // Jira: Basic email:token
	authBearer                 // Admin API: Bearer orgApiKey
	authNone                   // _edge/tenant_info
)

// call is one logical GET: its route template (the stats key, never with
// ids or query), its full URL and its credential.
type call struct {
	route string
	url   string
	auth  authKind
}

// outcome classes of one attempt.
type class int

const (
	classOK        class = iota
	classFatal           // do not retry: 4xx, auth, cancelled
	classTransient       // 5xx, 409, network, timeout, bad body
	classThrottled       // 429: the limiter's gates are already set
)

type outcome struct {
	class class
	err   error
	// wait is a server-given minimum wait for a transient failure (a 503's
	// Retry-After).
	wait time.Duration
	// header and reason of a 429.
	header http.Header
	reason string
}

// getJSON runs a GET with pacing and retries and decodes the JSON answer
// into a fresh T per attempt (a half-decoded body never leaks into the
// result).
func getJSON[T any](ctx context.Context, c *Client, cl call) (T, error) {
	var v T
	err := c.do(ctx, cl, func(r io.Reader) error {
		v = *new(T)
		return json.NewDecoder(r).Decode(&v)
	})
	return v, err
}

// do is the retry loop.
func (c *Client) do(ctx context.Context, cl call, decode func(io.Reader) error) error {
	var failures, throttles int
	for n := 1; ; n++ {
		if err := c.lim.Wait(ctx, cl.route); err != nil {
			return fmt.Errorf("%s: waiting for the rate limiter: %w", cl.route, err)
		}
		o := c.attempt(ctx, cl, n, decode)
		switch o.class {
		case classOK:
			return nil
		case classFatal:
			return o.err
		case classThrottled:
			throttles++
			wait := c.throttle(ctx, cl, o, throttles)
			if throttles > c.throttleN {
				return &RetryError{Endpoint: cl.route, Attempts: n, Err: o.err}
			}
			if err := throttle.Sleep(ctx, wait); err != nil {
				return fmt.Errorf("%s: waiting after a 429: %w", cl.route, err)
			}
		case classTransient:
			failures++
			if failures > c.retries {
				return &RetryError{Endpoint: cl.route, Attempts: n, Err: o.err}
			}
			wait := max(o.wait, c.backoff.failure(failures))
			c.log.LogAttrs(ctx, slog.LevelDebug, "jira retry", slog.String("route", cl.route),
				slog.Int("attempt", n), slog.Duration("wait", wait), slog.String("cause", o.err.Error()))
			if err := throttle.Sleep(ctx, wait); err != nil {
				return fmt.Errorf("%s: %w", cl.route, err)
			}
		}
		c.stats.retries.Add(1)
	}
}

// attempt sends one request and classifies the answer. The body is always
// drained and closed.
func (c *Client) attempt(ctx context.Context, cl call, n int, decode func(io.Reader) error) (o outcome) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, cl.url, nil)
	if err != nil {
		return outcome{class: classFatal, err: fmt.Errorf("%s: build request: %w", cl.route, stripURL(err))}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	switch cl.auth {
	case authBasic:
		req.Header.Set("Authorization", c.basic)
	case authBearer:
		req.Header.Set("Authorization", c.bearer)
	}

	c.stats.request(cl.route)
	start := time.Now()
	status := 0
	defer func() {
		attrs := []slog.Attr{slog.String("method", req.Method), slog.String("route", cl.route),
			slog.Int("status", status), slog.Duration("duration", time.Since(start)), slog.Int("attempt", n)}
		if o.err != nil {
			attrs = append(attrs, slog.String("error", o.err.Error()))
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "jira request", attrs...)
	}()

	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportFailure(ctx, actx, cl, err)
	}
	defer drain(resp.Body)
	status = resp.StatusCode
	if strings.EqualFold(resp.Header.Get("X-RateLimit-NearLimit"), "true") && c.lim.NearLimit() {
		c.log.LogAttrs(ctx, slog.LevelDebug, "jira near rate limit: slowing down",
			slog.String("route", cl.route), slog.Float64("requests_per_second", c.lim.Limit()))
	}

	switch {
	case status >= 200 && status < 300:
		if err := decode(resp.Body); err != nil {
			if o := c.transportFailure(ctx, actx, cl, err); o.class != classTransient || isTimeout(actx, err) {
				return o
			}
			return outcome{class: classTransient, err: fmt.Errorf("%s: HTTP %d but the body is not valid JSON (%s): %w",
				cl.route, status, contentType(resp), stripURL(err))}
		}
		return outcome{class: classOK}
	case status == http.StatusTooManyRequests:
		body := readErrorBody(resp)
		reason := resp.Header.Get("RateLimit-Reason")
		msgs := c.scrubAll(body.messages)
		if reason != "" {
			msgs = append(msgs, "RateLimit-Reason: "+oneLine(reason))
		}
		return outcome{class: classThrottled, header: resp.Header, reason: reason,
			err: &APIError{Method: req.Method, Endpoint: cl.route, Status: status, Messages: msgs}}
	}

	body := readErrorBody(resp)
	msgs := c.scrubAll(body.messages)
	apiErr := &APIError{Method: req.Method, Endpoint: cl.route, Status: status, Messages: msgs, HTML: body.html}
	switch {
	case status == http.StatusUnauthorized:
		return outcome{class: classFatal, err: c.authError(cl, status, body, msgs)}
	case status == http.StatusConflict || status >= 500:
		o := outcome{class: classTransient, err: apiErr}
		if ra, ok := retryAfter(resp.Header, time.Now()); ok {
			o.wait = c.backoff.clamp(time.Duration(float64(ra) * jitter(1, 1.2)))
		}
		return o
	default: // 403, 404, other 4xx, unexpected 1xx/3xx
		return outcome{class: classFatal, err: apiErr}
	}
}

// throttle handles the n-th 429 of a request and returns how long the
// request itself must wait before its retry (Retry-After as a minimum, else
// X-RateLimit-Reset, else backoff). A quota reason also pauses every
// request until then; any other reason (burst, or unknown) slows this
// route's own rate (not the global one, not other routes). The throttled
// counter moves only after the pause or slow-down is set.
func (c *Client) throttle(ctx context.Context, cl call, o outcome, n int) time.Duration {
	now := time.Now()
	quota := strings.Contains(strings.ToLower(o.reason), "quota")
	wait, src := c.backoff.throttled(o.header, now, n, quota)
	if quota {
		until := now.Add(wait)
		c.lim.PauseAll(until)
		c.log.LogAttrs(ctx, slog.LevelWarn, "jira quota rate limit: pausing all requests",
			slog.String("route", cl.route), slog.String("reason", o.reason), slog.Duration("wait", wait),
			slog.String("from", src), slog.Time("until", until))
	} else {
		attrs := []slog.Attr{slog.String("route", cl.route), slog.String("reason", o.reason),
			slog.Duration("wait", wait), slog.String("from", src), slog.Bool("slowed", c.lim.Slow(cl.route))}
		if r := c.lim.RouteLimit(cl.route); !math.IsInf(r, 1) { // +Inf does not marshal to JSON
			attrs = append(attrs, slog.Float64("route_requests_per_second", r))
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "jira burst rate limit: slowing endpoint", attrs...)
	}
	c.stats.throttled.Add(1)
	return wait
}

// transportFailure classifies an error from sending or reading: the
// caller's cancellation is final, a per-attempt timeout or a network error
// is transient.
func (c *Client) transportFailure(ctx, actx context.Context, cl call, err error) outcome {
	if ctx.Err() != nil {
		return outcome{class: classFatal, err: fmt.Errorf("%s: %w", cl.route, ctx.Err())}
	}
	if isTimeout(actx, err) {
		return outcome{class: classTransient, err: fmt.Errorf("%s: no complete answer within %s (appConfig.timeout)", cl.route, c.timeout)}
	}
	var certErr *tls.CertificateVerificationError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &certErr):
		return outcome{class: classFatal, err: fmt.Errorf("%s: the server's TLS certificate is not trusted: %w", cl.route, stripURL(err))}
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return outcome{class: classFatal, err: fmt.Errorf("%s: host %s not found: is siteName (or baseUrl/gatewayUrl) right? %w", cl.route, dnsErr.Name, stripURL(err))}
	}
	return outcome{class: classTransient, err: fmt.Errorf("%s: %w", cl.route, stripURL(err))}
}

func isTimeout(actx context.Context, err error) bool {
	if errors.Is(actx.Err(), context.DeadlineExceeded) {
		return true
	}
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

// stripURL drops *url.Error's URL (it holds query values) and keeps the
// cause; the route template already names the endpoint.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func contentType(resp *http.Response) string {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		return "Content-Type " + ct
	}
	return "no Content-Type"
}
