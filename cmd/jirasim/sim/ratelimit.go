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
	burst := float64(l.cfg.Burst)
	if b.last.IsZero() {
		b.tokens = burst
	} else if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(burst, b.tokens+el*l.cfg.PerSecond)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, b.tokens, 0
	}
	return false, b.tokens, time.Duration((1 - b.tokens) / l.cfg.PerSecond * float64(time.Second))
}

// SetRateLimit replaces the rate limit (with full buckets); thread-safe.
func (s *Server) SetRateLimit(r RateLimit) {
	r = r.withDefaults()
	l := &limiter{cfg: r}
	if r.PerSecond > 0 {
		l.buckets = make([]bucket, len(s.routes))
	}
	s.limiter.Store(l)
}

// limit applies the bucket; false means a 429 was sent.
func (s *Server) limit(c *call) bool {
	l := s.limiter.Load()
	if l.cfg.PerSecond <= 0 || c.rt.idx >= len(l.buckets) {
		return true
	}
	now := time.Now()
	ok, left, wait := l.take(c.rt.idx, now)
	if ok {
		c.near = left < 0.2*float64(l.cfg.Burst)
		return true
	}
	s.send429(c, l.cfg, wait, now)
	return false
}

// send429 answers Too Many Requests with Jira's headers.
func (s *Server) send429(c *call, cfg RateLimit, wait time.Duration, now time.Time) {
	s.stats.throttled.Add(1)
	h := c.w.Header()
	if !cfg.NoRetryAfter {
		secs := int(math.Ceil(wait.Seconds()))
		h.Set("Retry-After", strconv.Itoa(max(1, secs)))
	}
	burst := cfg.Burst
	if burst <= 0 {
		burst = 100
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(burst))
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset", now.Add(wait).UTC().Truncate(time.Second).Add(time.Second).Format(time.RFC3339))
	h.Set("RateLimit-Reason", cfg.Reason)
	c.jiraError(http.StatusTooManyRequests, "Rate limit exceeded.")
}
