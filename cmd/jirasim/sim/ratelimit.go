package sim

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// limiter holds one token bucket per route (template and method).
type limiter struct {
	cfg     RateLimit
	buckets []bucket
}

type bucket struct {
	rate  float64 // tokens a second; 0: no limit
	burst int

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// take spends one token. It reports whether the request may go, the tokens
// left, and (when refused) how long until a token is available.
func (l *limiter) take(i int, now time.Time) (ok bool, left float64, wait time.Duration) {
	b := &l.buckets[i]
	b.mu.Lock()
	defer b.mu.Unlock()
	burst := float64(b.burst)
	if b.last.IsZero() {
		b.tokens = burst
	} else if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(burst, b.tokens+el*b.rate)
	}
	if now.After(b.last) {
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, b.tokens, 0
	}
	return false, b.tokens, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

func ceilInt(f float64) int { return int(math.Ceil(f)) }

// methodRate is the rate and burst of one method's buckets (rate 0: no limit).
func (r RateLimit) methodRate(method string) (rate float64, burst int) {
	switch method {
	case http.MethodPost:
		switch {
		case r.PostPerSecond < 0:
			return 0, 0
		case r.PostPerSecond > 0:
			rate, burst = r.PostPerSecond, r.PostBurst
			if burst <= 0 {
				burst = ceilInt(rate)
			}
			return rate, max(1, burst)
		}
		return r.PerSecond, max(1, r.Burst)
	case http.MethodPut, http.MethodDelete:
		switch {
		case r.DeletePerSecond < 0:
			return 0, 0
		case r.DeletePerSecond > 0:
			rate, burst = r.DeletePerSecond, r.DeleteBurst
			if burst <= 0 {
				burst = ceilInt(rate)
			}
			return rate, max(1, burst)
		}
		return r.PerSecond / 2, max(1, ceilInt(float64(r.Burst)/2))
	}
	return r.PerSecond, max(1, r.Burst)
}

// SetRateLimit replaces the rate limit (with full buckets); thread-safe.
func (s *Server) SetRateLimit(r RateLimit) {
	r = r.withDefaults()
	l := &limiter{cfg: r, buckets: make([]bucket, len(s.routes))}
	for i, rt := range s.routes {
		l.buckets[i].rate, l.buckets[i].burst = r.methodRate(rt.method)
	}
	s.limiter.Store(l)
}

// limit applies the bucket; false means a 429 was sent.
func (s *Server) limit(c *call) bool {
	l := s.limiter.Load()
	if c.rt.idx >= len(l.buckets) || l.buckets[c.rt.idx].rate <= 0 {
		return true
	}
	b := &l.buckets[c.rt.idx]
	now := s.now()
	ok, left, wait := l.take(c.rt.idx, now)
	if ok {
		c.near = left < 0.2*float64(b.burst)
		return true
	}
	cfg := l.cfg
	cfg.Burst = b.burst
	s.send429(c, cfg, wait, now)
	return false
}

// send429 answers Too Many Requests with Jira's headers.
func (s *Server) send429(c *call, cfg RateLimit, wait time.Duration, now time.Time) {
	s.stats.throttled.Add(1)
	// The Retry-After period: whole seconds, at least 1.
	secs := max(1, int(math.Ceil(wait.Seconds())))
	if cfg.Headers != "" {
		send429Variant(c, cfg, secs, wait, now)
		return
	}
	// Jira's X-RateLimit-Reset is the request's time plus the Retry-After
	// period, written to the second: the same period whether or not
	// Retry-After itself is sent.
	h := c.w.Header()
	if !cfg.NoRetryAfter {
		h.Set("Retry-After", strconv.Itoa(secs))
	}
	burst := cfg.Burst
	if burst <= 0 {
		burst = 100
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(burst))
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset", now.Add(time.Duration(secs)*time.Second).UTC().Format(time.RFC3339))
	h.Set("RateLimit-Reason", cfg.Reason)
	c.jiraError(http.StatusTooManyRequests, "Rate limit exceeded.")
}
