package jira

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// backoffPolicy holds the waits between attempts.
//
//   - A 429 waits at least its Retry-After (× a jitter in [1, 1.05], never
//     less), else until X-RateLimit-Reset, else throttleBase doubling per
//     throttled attempt up to throttleCap (2 s → 30 s), × a jitter in
//     [0.7, 1.3] (Atlassian's recommendation).
//   - 5xx, 409, network errors, timeouts and malformed bodies wait failBase
//     doubling up to failCap (200 ms → 10 s), × a jitter in [0.7, 1.3]; a
//     Retry-After on such a response (503) is the minimum.
type backoffPolicy struct {
	throttleBase, throttleCap time.Duration
	failBase, failCap         time.Duration
	// minWait is the floor of any wait (Retry-After: 0 must not spin).
	minWait time.Duration
	// maxWait caps any server-given wait (a sanity bound).
	maxWait time.Duration
}

var defaultBackoff = backoffPolicy{
	throttleBase: 2 * time.Second,
	throttleCap:  30 * time.Second,
	failBase:     200 * time.Millisecond,
	failCap:      10 * time.Second,
	minWait:      50 * time.Millisecond,
	maxWait:      time.Hour,
}

// retryAfterJitter is the top of the jitter on a 429's Retry-After. It is
// small: the waiting request holds a worker, and a herd of retries told the
// same Retry-After is spread by the rate limiter's token buckets anyway.
const retryAfterJitter = 1.05

// jitter returns a factor in [lo, hi).
func jitter(lo, hi float64) float64 { return lo + rand.Float64()*(hi-lo) }

// exp returns base·2^(n-1), capped, × a jitter in [0.7, 1.3].
func exp(base, limit time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return time.Duration(float64(d) * jitter(0.7, 1.3))
}

// failure is the wait after the n-th failed attempt.
func (b backoffPolicy) failure(n int) time.Duration { return exp(b.failBase, b.failCap, n) }

// throttled is the wait after the n-th 429 of a request, from its headers.
// src says which rule applied: "retry-after", "reset" or "backoff". For a
// burst 429 Retry-After wins over X-RateLimit-Reset; for a quota 429 (whose
// pause lasts until the quota resets) the later of the two wins.
func (b backoffPolicy) throttled(h http.Header, now time.Time, n int, quota bool) (wait time.Duration, src string) {
	ra, hasRA := retryAfter(h, now)
	reset, hasReset := resetIn(h, now)
	switch {
	case hasRA && hasReset && quota && reset > ra:
		return b.clamp(time.Duration(float64(reset) * jitter(1, 1.05))), "reset"
	case hasRA:
		return b.clamp(time.Duration(float64(ra) * jitter(1, retryAfterJitter))), "retry-after"
	case hasReset:
		return b.clamp(time.Duration(float64(reset) * jitter(1, 1.05))), "reset"
	}
	return b.clamp(exp(b.throttleBase, b.throttleCap, n)), "backoff"
}

func (b backoffPolicy) clamp(d time.Duration) time.Duration {
	return min(max(d, b.minWait), b.maxWait)
}

// retryAfter parses Retry-After: delay seconds (decimals accepted) or an
// HTTP-date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f < 0 {
			f = 0
		}
		return time.Duration(f * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// resetIn returns the time until X-RateLimit-Reset, when it is in the
// future. To be robust to clock skew it takes the larger of reset−now and
// reset−Date (the server's own clock, when it sent a Date).
func resetIn(h http.Header, now time.Time) (time.Duration, bool) {
	reset, ok := parseReset(h.Get("X-RateLimit-Reset"), now)
	if !ok {
		return 0, false
	}
	d := reset.Sub(now)
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		d = max(d, reset.Sub(date))
	}
	if d <= 0 {
		return 0, false
	}
	return d, true
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
