package jira

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/govextract/jira-extractor/internal/retry"
)

// backoffPolicy holds the waits between attempts.
//
//   - A 429 waits at least its Retry-After (× a jitter in [1, 1.05], never
//     less), else until X-RateLimit-Reset, else a backoff × a jitter in
//     [0.7, 1.3]. For a quota 429 that is Atlassian's recommendation,
//     retry.Default: 2 s doubling per throttled attempt up to 30 s. A burst
//     429 (a per-second bucket, which refills within a second) waits 1 s
//     doubling up to 8 s: the route's adaptive rate (package throttle)
//     already slows every request of that route, so one request's retry
//     need not also wait half a minute; under a storm of header-less 429s
//     the longer schedule made a few unlucky requests the run's whole tail.
//   - 5xx, 409, network errors, timeouts and malformed bodies wait the
//     failure backoff, 200 ms doubling up to 10 s, × a jitter in [0.7, 1.3];
//     a Retry-After on such a response (503) is the minimum. While such
//     failures are sporadic (at least half of the client's recent attempts,
//     over every request, got a good answer: retry.Health) the doubling
//     stops at sporadicCap: one request's run of bad luck is no sign of a
//     failing server, and a ten-second wait made it the run's last
//     straggler. An outage still backs off in full.
//
// A waiting request holds no concurrency slot (see Client.do), so these
// waits delay only the request that got the answer, not the run.
type backoffPolicy struct {
	// throttle is for quota 429s, burst for the others, failure for 5xx,
	// network errors and bad bodies.
	throttle, burst, failure retry.Backoff
	// sporadicCap caps the failure backoff while failures are sporadic.
	sporadicCap time.Duration
	// minWait is the floor of any wait (Retry-After: 0 must not spin).
	minWait time.Duration
	// maxWait caps any server-given wait (a sanity bound).
	maxWait time.Duration
}

var defaultBackoff = backoffPolicy{
	throttle:    retry.Default,
	burst:       retry.Backoff{Base: time.Second, Cap: 8 * time.Second, JitterMin: 0.7, JitterMax: 1.3},
	failure:     retry.Backoff{Base: 200 * time.Millisecond, Cap: 10 * time.Second, JitterMin: 0.7, JitterMax: 1.3},
	sporadicCap: time.Second,
	minWait:     50 * time.Millisecond,
	maxWait:     retry.MaxServerWait,
}

// retryAfterJitter is the top of the jitter on a 429's Retry-After. It is
// small: a herd of retries told the same Retry-After is spread by the rate
// limiter's token buckets anyway.
const retryAfterJitter = 1.05

// throttled is the wait after the n-th 429 of a request, from its headers.
// src says which rule applied: "retry-after", "reset", "ratelimit" (a
// later reset in the structured headers, see structuredResetHint) or
// "backoff". For a burst 429 Retry-After wins over X-RateLimit-Reset; for a
// quota 429 (whose pause lasts until the quota resets) the later of the two
// wins. A later reset in the structured headers always wins.
func (b backoffPolicy) throttled(h http.Header, now time.Time, n int, quota bool) (wait time.Duration, src string) {
	wait, src = b.throttledClassic(h, now, n, quota)
	if hint, ok := structuredResetHint(h, now); ok && hint > wait {
		return b.clamp(time.Duration(float64(hint) * retry.Jitter(1, retryAfterJitter))), "ratelimit"
	}
	return wait, src
}

// throttledClassic is throttled from Retry-After and X-RateLimit-Reset.
func (b backoffPolicy) throttledClassic(h http.Header, now time.Time, n int, quota bool) (wait time.Duration, src string) {
	ra, hasRA := retry.RetryAfter(h, now)
	reset, hasReset := resetIn(h, now)
	switch {
	case hasRA && hasReset && quota && reset > ra:
		return b.clamp(time.Duration(float64(reset) * retry.Jitter(1, 1.05))), "reset"
	case hasRA:
		return b.clamp(time.Duration(float64(ra) * retry.Jitter(1, retryAfterJitter))), "retry-after"
	case hasReset:
		return b.clamp(time.Duration(float64(reset) * retry.Jitter(1, 1.05))), "reset"
	}
	if quota {
		return b.clamp(b.throttle.Delay(n)), "backoff"
	}
	return b.clamp(b.burst.Delay(n)), "backoff"
}

func (b backoffPolicy) clamp(d time.Duration) time.Duration {
	return min(max(d, b.minWait), b.maxWait)
}

// resetIn returns the time until X-RateLimit-Reset, when it is in the
// future. To be robust to a local clock running ahead of the server's, it
// also trusts the server's Date: Date has whole seconds, so the server's
// time is at least Date and the wait at least reset−(Date+1s). (Taking
// reset−Date itself would add up to a second to every wait when the
// clocks agree, which under many 429s costs a large share of throughput.)
func resetIn(h http.Header, now time.Time) (time.Duration, bool) {
	reset, ok := parseReset(h.Get("X-RateLimit-Reset"), now)
	if !ok {
		return 0, false
	}
	d := reset.Sub(now)
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		d = max(d, reset.Sub(date.Add(time.Second)))
	}
	if d <= 0 {
		return 0, false
	}
	return min(d, retry.MaxServerWait), true
}

// resetLayouts are the ISO-8601 shapes seen in X-RateLimit-Reset, with and
// without seconds, with and without a zone (no zone means UTC).
var resetLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
}

// parseReset parses X-RateLimit-Reset: ISO-8601 (seconds optional) or, as
// some gateways send, Unix seconds.
func parseReset(v string, now time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	for _, l := range resetLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 1_000_000_000 {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}
