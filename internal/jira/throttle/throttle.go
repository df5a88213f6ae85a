// Package throttle is the Jira client's adaptive client-side rate limiter.
//
// Every request waits, in order, on:
//   - the global pause: a quota 429 stops every request until its reset
//     (PauseAll);
//   - its route's own token bucket, which exists only while that route is
//     slowed by burst 429s (Slow);
//   - one global golang.org/x/time/rate token bucket of the configured rate
//     and burst, eased by X-RateLimit-NearLimit (NearLimit) and recovering
//     gradually.
//
// # Why burst 429s slow one route, with a floor
//
// Jira's burst limit is a token bucket per endpoint and method. A
// rate-driven 429 is relieved by slowing the one bucket that overflowed,
// not by gating the endpoint outright nor by cutting every route's rate. A
// burst 429 therefore cuts its route's rate by RouteSlowFactor, at most
// once per RouteSlowEvery, never below RouteMinFraction of the configured
// rate; other routes keep their pace. 429s that keep coming whatever the
// pace (another client of the tenant, noise) must not collapse
// throughput: the slow-down has that floor and recovers quickly, by
// RouteRecoverFactor every RouteRecoverEvery once RouteRecoverAfter has
// passed without a 429 on the route, until the route is unlimited again
// (paced only by the global bucket). The request that got the 429 itself
// waits its Retry-After; that is the caller's business (package jira), not
// the limiter's. Only X-RateLimit-NearLimit lowers the global rate.
//
// Rates, pauses and waits follow the limiter's clock (SetClock), token
// buckets included, so tests drive it with a fake clock and wait no real
// time.
package throttle

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/govextract/jira-extractor/internal/retry"
)

// Limiter paces requests. Safe for concurrent use. The zero value is not
// usable; call New.
type Limiter struct {
	global    *rate.Limiter
	base      rate.Limit
	baseBurst int
	clock     retry.Clock

	mu          sync.Mutex
	pausedUntil time.Time
	near        adapt             // NearLimit state of the global rate
	routes      map[string]*route // slowed routes only
}

// adapt is the adaptation state of one rate.
type adapt struct {
	lastCut    time.Time // last rate cut
	lastSignal time.Time // last signal (cut or not)
	lastAdjust time.Time // last change of the rate
}

// New returns a limiter of perSecond requests per second with the given
// burst (at least 1). perSecond <= 0 means no rate limit: the global pause
// still applies, and routes are never slowed (there is no rate to slow
// from).
func New(perSecond float64, burst int) *Limiter {
	if burst < 1 {
		burst = 1
	}
	base := rate.Limit(perSecond)
	if perSecond <= 0 {
		base = rate.Inf
	}
	return &Limiter{
		global:    rate.NewLimiter(base, burst),
		base:      base,
		baseBurst: burst,
		clock:     retry.System,
		routes:    map[string]*route{},
	}
}

// SetClock replaces the clock of pauses, waits, token buckets and rate
// adaptation (tests; call it before any other method). Nil means the
// system clock.
func (l *Limiter) SetClock(c retry.Clock) { l.clock = retry.OrSystem(c) }

func (l *Limiter) now() time.Time { return l.clock.Now() }

// Wait blocks until a request to key (a route template) may be sent: until
// any global pause has passed and a token of key's bucket (while key is
// slowed) and of the global bucket is available. It returns ctx's error as
// soon as ctx is done; tokens of an abandoned wait are given back.
func (l *Limiter) Wait(ctx context.Context, key string) error {
	for {
		if err := l.waitPause(ctx); err != nil {
			return err
		}
		if lim := l.routeLimiter(key); lim != nil {
			if err := l.take(ctx, lim); err != nil {
				return err
			}
		}
		if err := l.take(ctx, l.global); err != nil {
			return err
		}
		// A pause may have been set while this caller waited for a token:
		// honour it rather than sending into a known throttle.
		if l.pausedFor() <= 0 {
			return nil
		}
	}
}

// take reserves one token of lim at the limiter's clock and waits for it.
func (l *Limiter) take(ctx context.Context, lim *rate.Limiter) error {
	now := l.now()
	r := lim.ReserveN(now, 1) // always OK: bursts are at least 1
	if err := l.clock.Sleep(ctx, r.DelayFrom(now)); err != nil {
		r.CancelAt(l.now())
		return err
	}
	return nil
}

func (l *Limiter) waitPause(ctx context.Context) error {
	for {
		d := l.pausedFor()
		if d <= 0 {
			return ctx.Err()
		}
		if err := l.clock.Sleep(ctx, d); err != nil {
			return err
		}
	}
}

// pausedFor returns how long the global pause still lasts.
func (l *Limiter) pausedFor() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pausedUntil.Sub(l.now())
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

// PausedUntil returns the end of the global pause (zero if none was set).
func (l *Limiter) PausedUntil() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pausedUntil
}

// Base returns the configured rate; +Inf when unlimited.
func (l *Limiter) Base() float64 { return perSecond(l.base) }

// burstFor scales the configured burst to rate r (at least 1), so that
// tokens saved up while slowed do not release a herd of requests into a
// server that just throttled us.
func (l *Limiter) burstFor(r rate.Limit) int {
	return max(1, int(float64(l.baseBurst)*float64(r/l.base)+0.5))
}
