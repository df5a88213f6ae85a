package retry

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff is a jittered exponential backoff: Base doubling per attempt up
// to Cap, times a factor drawn from [JitterMin, JitterMax].
type Backoff struct {
	Base, Cap            time.Duration
	JitterMin, JitterMax float64
	// Rand returns a number in [0, 1); nil means math/rand/v2 (tests fix
	// it to get exact waits).
	Rand func() float64
}

// Default is the backoff Atlassian recommends when a server gives no
// Retry-After: about 2 s doubling to a cap of about 30 s, times a jitter in
// [0.7, 1.3].
var Default = Backoff{Base: 2 * time.Second, Cap: 30 * time.Second, JitterMin: 0.7, JitterMax: 1.3}

// Delay returns the wait before retry n (n >= 1 is the number of failed
// attempts so far): Base·2^(n-1), at most Cap, times the jitter.
func (b Backoff) Delay(n int) time.Duration {
	d := b.Base
	for i := 1; i < n && d < b.Cap; i++ {
		d *= 2
	}
	d = min(d, b.Cap)
	return time.Duration(float64(d) * b.jitter())
}

func (b Backoff) jitter() float64 {
	lo, hi := b.JitterMin, b.JitterMax
	if lo == 0 && hi == 0 {
		return 1
	}
	r := b.Rand
	if r == nil {
		r = rand.Float64
	}
	return lo + r()*(hi-lo)
}

// Jitter returns a factor drawn uniformly from [lo, hi).
func Jitter(lo, hi float64) float64 { return lo + rand.Float64()*(hi-lo) }

// MaxServerWait bounds any wait a server asks for (Retry-After, a rate
// limit's reset): a larger value is clamped to it, so a hostile or broken
// server cannot park a request for days.
const MaxServerWait = time.Hour

// RetryAfter parses a Retry-After header: delay seconds (decimals
// accepted) or an HTTP-date. A negative or past value gives 0; a huge one
// gives MaxServerWait. It reports false when the header is absent or
// unreadable.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	return ParseRetryAfter(h.Get("Retry-After"), now)
}

// ParseRetryAfter parses a Retry-After value; see RetryAfter.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(f) {
			return 0, false
		}
		return clampServerWait(f * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return clampServerWait(float64(t.Sub(now))), true
	}
	return 0, false
}

// clampServerWait converts nanoseconds (as a float, so no overflow) into a
// duration in [0, MaxServerWait].
func clampServerWait(ns float64) time.Duration {
	switch {
	case ns <= 0:
		return 0
	case ns >= float64(MaxServerWait):
		return MaxServerWait
	}
	return time.Duration(ns)
}
