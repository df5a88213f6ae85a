package jira

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/govextract/jira-extractor/internal/httpx"
	"github.com/govextract/jira-extractor/internal/retry"
	"github.com/govextract/jira-extractor/internal/slots"
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
	// conflictFinal makes a 409 final, not retried: the caller retries
	// with a smaller page (users409.go).
	conflictFinal bool
}

// outcome of one attempt: its retry class, its error, a server-given
// minimum wait for a transient failure (a 503's Retry-After), and the
// header and reason of a 429.
type outcome struct {
	class  retry.Class
	err    error
	wait   time.Duration
	header http.Header
	reason string
}

// maxReason caps a RateLimit-Reason in logs and errors.
const maxReason = 100

// getJSON runs a GET with pacing and retries and decodes the JSON answer
// into a fresh T per attempt (a half-decoded body never leaks into the
// result). A body of another JSON kind than T (null, an object where an
// array is due) is a bad answer, retried like a truncated one.
func getJSON[T any](ctx context.Context, c *Client, cl call) (T, error) {
	var v T
	err := c.do(ctx, cl, func(r io.Reader) error {
		v = *new(T)
		return decodeStrict(r, &v)
	})
	return v, err
}

// do is the retry loop of one call. Each attempt waits for the rate
// limiter, then for one of the client's in-flight slots, and holds the slot
// only while the request is on the wire: waiting out a backoff or a
// Retry-After holds none, so the other requests keep the connection pool
// busy. The first attempt takes a slot in the order of ctx's slots rank
// (the work it belongs to); a retry, which has already waited its turn
// and its backoff, goes ahead of every first attempt (slots.Urgent).
func (c *Client) do(ctx context.Context, cl call, decode func(io.Reader) error) error {
	throttles := 0
	p := retry.Policy{
		Clock:        c.clock,
		Failure:      c.backoff.failure,
		Health:       &c.health,
		SporadicCap:  c.backoff.sporadicCap,
		MaxFailures:  c.retries,
		MaxThrottled: c.throttleN,
		OnRetry: func(r retry.Retry) {
			c.stats.retries.Add(1)
			if r.Result.Class == retry.Transient {
				c.log.LogAttrs(ctx, slog.LevelDebug, "jira retry", slog.String("route", cl.route),
					slog.Int("attempt", r.Attempt), slog.Duration("wait", r.Wait), slog.String("cause", r.Result.Err.Error()))
			}
		},
	}
	err := p.Do(ctx, func(ctx context.Context, n int) retry.Result {
		if err := c.lim.Wait(ctx, cl.route); err != nil {
			return retry.Result{Class: retry.Fatal, Err: fmt.Errorf("%s: waiting for the rate limiter: %w", cl.route, err)}
		}
		sctx := ctx
		if n > 1 {
			sctx = slots.Urgent(ctx)
		}
		if err := c.acquire(sctx); err != nil {
			return retry.Result{Class: retry.Fatal, Err: fmt.Errorf("%s: waiting for a free connection slot: %w", cl.route, err)}
		}
		o := c.attempt(ctx, cl, n, decode)
		c.release()
		if o.class == retry.Throttled {
			throttles++
			o.wait = c.throttle(ctx, cl, o, throttles)
		}
		return retry.Result{Class: o.class, Err: o.err, Wait: o.wait}
	})
	var ex *retry.ExhaustedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ex):
		return &RetryError{Endpoint: cl.route, Attempts: ex.Attempts, Err: ex.Err}
	case !strings.HasPrefix(err.Error(), cl.route): // ctx ended during a wait
		return fmt.Errorf("%s: %w", cl.route, err)
	}
	return err
}

// acquire takes an in-flight slot; the oldest waiting work (by ctx's
// slots rank) gets the next free one.
func (c *Client) acquire(ctx context.Context) error { return c.slots.Acquire(ctx) }

func (c *Client) release() { c.slots.Release() }

// attempt sends one request and classifies the answer. The body is always
// drained and closed. Every time the request goes on the wire is counted,
// including the re-sends Go's transport makes by itself.
func (c *Client) attempt(ctx context.Context, cl call, n int, decode func(io.Reader) error) (o outcome) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	defer cancel()
	tctx := httpx.Trace(actx, func() { c.stats.request(cl.route) })
	req, err := http.NewRequestWithContext(tctx, http.MethodGet, cl.url, nil)
	if err != nil {
		return outcome{class: retry.Fatal, err: fmt.Errorf("%s: build request: %w", cl.route, c.cleanErr(err))}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	switch cl.auth {
	case authBasic:
		req.Header.Set("Authorization", c.basic)
	case authBearer:
		req.Header.Set("Authorization", c.bearer)
	}

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
			if o := c.transportFailure(ctx, actx, cl, err); o.class != retry.Transient || httpx.IsTimeout(actx, err) {
				return o
			}
			var se *shapeError
			if errors.As(err, &se) {
				return outcome{class: retry.Transient, err: fmt.Errorf("%s: HTTP %d but %w", cl.route, status, err)}
			}
			return outcome{class: retry.Transient, err: fmt.Errorf("%s: HTTP %d but the body is not valid JSON (%s): %w",
				cl.route, status, c.contentType(resp), c.cleanErr(err))}
		}
		return outcome{class: retry.Success}
	case status == http.StatusTooManyRequests:
		body := readErrorBody(resp, c.scrub)
		reason := c.clean(rateLimitReason(resp.Header), maxReason)
		msgs := c.scrubAll(body.messages)
		if reason != "" {
			msgs = append(msgs, "RateLimit-Reason: "+reason)
		}
		return outcome{class: retry.Throttled, header: resp.Header, reason: reason,
			err: &APIError{Method: req.Method, Endpoint: cl.route, Status: status, Messages: msgs}}
	}

	body := readErrorBody(resp, c.scrub)
	msgs := c.scrubAll(body.messages)
	apiErr := &APIError{Method: req.Method, Endpoint: cl.route, Status: status, Messages: msgs, HTML: body.html}
	switch {
	case status == http.StatusUnauthorized:
		return outcome{class: retry.Fatal, err: c.authError(cl, status, body, msgs)}
	case status == http.StatusConflict && cl.conflictFinal:
		return outcome{class: retry.Fatal, err: apiErr}
	case status == http.StatusConflict || status >= 500:
		o := outcome{class: retry.Transient, err: apiErr}
		if ra, ok := retry.RetryAfter(resp.Header, c.clock.Now()); ok {
			o.wait = c.backoff.clamp(time.Duration(float64(ra) * retry.Jitter(1, 1.2)))
		}
		return o
	default: // 403, 404, other 4xx, unexpected 1xx/3xx
		return outcome{class: retry.Fatal, err: apiErr}
	}
}

// burstReasons are the RateLimit-Reason values of per-endpoint buckets. Any
// other reason (a quota, a cost budget, one this client does not know yet)
// is treated as a quota: it pauses everything until the reset.
var burstReasons = map[string]bool{"": true, "jira-burst-based": true, "jira-per-issue-on-write": true}

// isQuotaReason reports whether a 429's RateLimit-Reason calls for pausing
// every request rather than slowing one route.
func isQuotaReason(reason string) bool {
	return !burstReasons[strings.ToLower(strings.TrimSpace(reason))]
}

// throttle handles the n-th 429 of a request and returns how long the
// request itself must wait before its retry (Retry-After as a minimum, else
// X-RateLimit-Reset, else backoff). A quota reason (or an unknown one) also
// pauses every request until then; a burst reason, or none, slows this
// route's own rate (not the global one, not other routes). The throttled
// counter moves only after the pause or slow-down is set. o.reason is
// already scrubbed and cleaned.
func (c *Client) throttle(ctx context.Context, cl call, o outcome, n int) time.Duration {
	now := c.clock.Now()
	quota := isQuotaReason(o.reason)
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
// caller's cancellation is final, and so are a refused redirect, an
// untrusted certificate and an unknown host; a per-attempt timeout or
// another network error is transient.
func (c *Client) transportFailure(ctx, actx context.Context, cl call, err error) outcome {
	if ctx.Err() != nil {
		return outcome{class: retry.Fatal, err: fmt.Errorf("%s: %w", cl.route, ctx.Err())}
	}
	if httpx.IsTimeout(actx, err) {
		return outcome{class: retry.Transient, err: fmt.Errorf("%s: no complete answer within %s (appConfig.timeout)", cl.route, c.timeout)}
	}
	var certErr *tls.CertificateVerificationError
	var dnsErr *net.DNSError
	var redir *httpx.RedirectError
	switch {
	case errors.As(err, &redir):
		r := *redir
		r.To = c.clean(r.To, maxMessage)
		return outcome{class: retry.Fatal, err: fmt.Errorf("%s: %w", cl.route, &r)}
	case errors.As(err, &certErr):
		return outcome{class: retry.Fatal, err: fmt.Errorf("%s: the server's TLS certificate is not trusted: %w", cl.route, c.cleanErr(err))}
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return outcome{class: retry.Fatal, err: fmt.Errorf("%s: host %s not found: is siteName (or baseUrl/gatewayUrl) right? %w", cl.route, dnsErr.Name, c.cleanErr(err))}
	case errors.Is(err, syscall.ECONNREFUSED):
		host := ""
		if u, perr := url.Parse(cl.url); perr == nil {
			host = u.Host
		}
		return outcome{class: retry.Transient, err: fmt.Errorf("%s: cannot connect to %s: %w (is siteName, or baseUrl/gatewayUrl, right and the server up?)", cl.route, host, c.cleanErr(err))}
	}
	return outcome{class: retry.Transient, err: fmt.Errorf("%s: %w", cl.route, c.cleanErr(err))}
}

// cleanError is an error whose text came (partly) from a server, scrubbed
// of credentials and control characters; it unwraps to the original.
type cleanError struct {
	msg string
	err error
}

func (e *cleanError) Error() string { return e.msg }
func (e *cleanError) Unwrap() error { return e.err }

// cleanErr drops *url.Error's URL and scrubs and cleans the rest: transport
// errors quote what the server sent (a malformed status line, a header).
func (c *Client) cleanErr(err error) error {
	err = httpx.StripURL(err)
	return &cleanError{msg: c.clean(err.Error(), maxMessage), err: err}
}

// clean scrubs credentials from a server-supplied string, then drops
// control characters and caps it at max bytes (in that order, so a cut
// never leaves part of a credential behind).
func (c *Client) clean(s string, max int) string { return httpx.CleanText(c.scrub(s), max) }

func (c *Client) contentType(resp *http.Response) string {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		return "Content-Type " + c.clean(ct, maxReason)
	}
	return "no Content-Type"
}
