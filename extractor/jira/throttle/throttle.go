// Package throttle is the Jira client's adaptive client-side rate limiter:
// one golang.org/x/time/rate token bucket that every request waits on, a
// global pause (a quota 429 stops everything until its reset), per-key
// backoff gates (a burst 429 slows only that endpoint), and a multiplicative
// slow-down on 429 or X-RateLimit-NearLimit that recovers gradually; the
// burst shrinks and grows with the rate.
package throttle

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Tuning of the adaptive rate. A 429 halves the rate (once per
// SlowDebounce); X-RateLimit-NearLimit lowers it by a fifth (once per
// NearLimitEvery). The limiter never goes below MinFraction of the
// configured rate; once RecoverAfter has passed without either signal it
// raises the rate by RecoverFactor every RecoverEvery until it is back to
// the base.
const (
	SlowFactor      = 0.5
	SlowDebounce    = 250 * time.Millisecond
	NearLimitFactor = 0.8
	NearLimitEvery  = time.Second
	MinFraction     = 0.05
	RecoverAfter    = 2 * time.Second
	RecoverEvery    = time.Second
	RecoverFactor   = 1.25
)

// Limiter paces requests. Safe for concurrent use. The zero value is not
// usable; call New.
type Limiter struct {
	lim       *rate.Limiter
	base      rate.Limit
	baseBurst int
	floor     rate.Limit
	now       func() time.Time

	mu          sync.Mutex
	pausedUntil time.Time
	gates       map[string]time.Time
	lastCut     time.Time // last rate cut
	lastSignal  time.Time // last 429 or NearLimit, cut or not
	lastAdjust  time.Time // last change of the rate
}

// New returns a limiter of perSecond requests per second with the given
// burst (at least 1). perSecond <= 0 means no rate limit (pauses and gates
// still apply).
func New(perSecond float64, burst int) *Limiter {
	if burst < 1 {
		burst = 1
	}
	base := rate.Limit(perSecond)
	if perSecond <= 0 {
		base = rate.Inf
	}
	return &Limiter{
		lim:       rate.NewLimiter(base, burst),
		base:      base,
		baseBurst: burst,
		floor:     base * MinFraction,
		now:       time.Now,
		gates:     map[string]time.Time{},
	}
}

// SetClock replaces the clock used for pauses, gates and rate adaptation
// (tests only; the token bucket itself always uses real time).
func (l *Limiter) SetClock(now func() time.Time) { l.now = now }

// Wait blocks until a request to key may be sent: until any global pause and
// key's gate have passed and a token is available. It returns ctx's error as
// soon as ctx is done.
func (l *Limiter) Wait(ctx context.Context, key string) error {
	for {
		if err := l.waitGates(ctx, key); err != nil {
			return err
		}
		if err := l.lim.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		// A pause may have been set while this caller waited for a token:
		// honour it rather than sending into a known throttle.
		if d := l.blockedFor(key); d <= 0 {
			return nil
		}
	}
}

func (l *Limiter) waitGates(ctx context.Context, key string) error {
	for {
		d := l.blockedFor(key)
		if d <= 0 {
			return ctx.Err()
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// blockedFor returns how long key must still wait for pauses and gates, and
// applies any due recovery of the rate.
func (l *Limiter) blockedFor(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.recoverLocked(now)
	until := l.pausedUntil
	if g, ok := l.gates[key]; ok {
		if g.After(until) {
			until = g
		}
		if !g.After(now) {
			delete(l.gates, key)
		}
	}
	return until.Sub(now)
}

// PauseAll stops every request until t (a quota 429). A pause only ever
// extends.
func (l *Limiter) PauseAll(t time.Time) {
	l.mu.Lock()
	if t.After(l.pausedUntil) {
		l.pausedUntil = t
	}
	l.mu.Unlock()
}

// PauseKey stops requests to key until t (a burst 429 on one endpoint). A
// gate only ever extends.
func (l *Limiter) PauseKey(key string, t time.Time) {
	l.mu.Lock()
	if t.After(l.gates[key]) {
		l.gates[key] = t
	}
	l.mu.Unlock()
}

// PausedUntil returns the end of the global pause and of key's gate.
func (l *Limiter) PausedUntil(key string) (all, forKey time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pausedUntil, l.gates[key]
}

// Slow lowers the rate by SlowFactor (not below MinFraction of the base),
// and the burst in proportion. It is called on a 429. Calls within
// SlowDebounce of the last cut count once, so a wave of concurrent 429s does
// not collapse the rate. It reports whether the rate changed.
func (l *Limiter) Slow() bool { return l.cut(SlowFactor, SlowDebounce) }

// NearLimit eases the rate by NearLimitFactor, at most once per
// NearLimitEvery. It is called on X-RateLimit-NearLimit: true (under 20% of
// the server's bucket left). It reports whether the rate changed.
func (l *Limiter) NearLimit() bool { return l.cut(NearLimitFactor, NearLimitEvery) }

func (l *Limiter) cut(factor float64, every time.Duration) bool {
	if l.base == rate.Inf {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.lastSignal = now
	if !l.lastCut.IsZero() && now.Sub(l.lastCut) < every {
		return false
	}
	cur := l.lim.Limit()
	next := max(cur*rate.Limit(factor), l.floor)
	if next == cur {
		return false
	}
	l.lastCut, l.lastAdjust = now, now
	l.setLocked(next)
	return true
}

// setLocked sets the rate and scales the burst with it, so that tokens
// saved up during a pause do not release a herd of requests into a server
// that just throttled us.
func (l *Limiter) setLocked(r rate.Limit) {
	l.lim.SetLimit(r)
	l.lim.SetBurst(max(1, int(float64(l.baseBurst)*float64(r/l.base)+0.5)))
}

// recoverLocked raises a slowed rate step by step once RecoverAfter has
// passed without a 429 or NearLimit signal.
func (l *Limiter) recoverLocked(now time.Time) {
	cur := l.lim.Limit()
	if cur >= l.base || now.Sub(l.lastSignal) < RecoverAfter || now.Sub(l.lastAdjust) < RecoverEvery {
		return
	}
	l.lastAdjust = now
	l.setLocked(min(cur*RecoverFactor, l.base))
}

// Burst returns the current burst (it shrinks and grows with the rate).
func (l *Limiter) Burst() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lim.Burst()
}

// Limit returns the current rate in requests per second (after applying any
// due recovery); +Inf when unlimited.
func (l *Limiter) Limit() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recoverLocked(l.now())
	return float64(l.lim.Limit())
}

// Base returns the configured rate.
func (l *Limiter) Base() float64 { return float64(l.base) }
