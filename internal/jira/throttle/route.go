package throttle

import (
	"math"
	"time"

	"golang.org/x/time/rate"
)

// Tuning of a route's slow-down on burst 429s (see the package doc): a cut
// by RouteSlowFactor at most once per RouteSlowEvery, never below
// RouteMinFraction of the configured rate; after RouteRecoverAfter without
// a 429 on the route, a rise by RouteRecoverFactor every RouteRecoverEvery
// until the route is back to the configured rate, when its own bucket is
// dropped.
const (
	RouteSlowFactor    = 0.7
	RouteSlowEvery     = time.Second
	RouteMinFraction   = 0.5
	RouteRecoverAfter  = time.Second
	RouteRecoverEvery  = 500 * time.Millisecond
	RouteRecoverFactor = 1.25
)

// route is the own token bucket of a slowed route.
type route struct {
	lim *rate.Limiter
	adapt
}

// Slow is called on a burst 429 (or one of unknown reason) from key: it
// lowers key's rate by RouteSlowFactor (starting from the configured
// rate), at most once per RouteSlowEvery, not below RouteMinFraction of the
// configured rate. Other routes and the global rate are not touched. A new
// slow-down starts with an empty bucket: the server's bucket is empty too.
// It reports whether key's rate changed; it never does when the limiter is
// unlimited.
func (l *Limiter) Slow(key string) bool {
	if l.base == rate.Inf {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	rt := l.routes[key]
	if rt == nil {
		next := max(l.base*RouteSlowFactor, l.base*RouteMinFraction)
		rt = &route{lim: rate.NewLimiter(next, l.burstFor(next))}
		rt.lim.AllowN(now, rt.lim.Burst())
		rt.lastCut, rt.lastSignal, rt.lastAdjust = now, now, now
		l.routes[key] = rt
		return true
	}
	rt.lastSignal = now
	if now.Sub(rt.lastCut) < RouteSlowEvery {
		return false
	}
	cur := rt.lim.Limit()
	next := max(cur*RouteSlowFactor, l.base*RouteMinFraction)
	if next == cur {
		return false
	}
	rt.lastCut, rt.lastAdjust = now, now
	rt.lim.SetLimitAt(now, next)
	rt.lim.SetBurstAt(now, l.burstFor(next))
	return true
}

// routeLimiter returns key's own bucket, or nil when key is not slowed,
// after applying any due recovery.
func (l *Limiter) routeLimiter(key string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.recoverGlobalLocked(now)
	rt := l.routes[key]
	if rt == nil {
		return nil
	}
	l.recoverRouteLocked(key, rt, now)
	if rt = l.routes[key]; rt == nil {
		return nil
	}
	return rt.lim
}

// recoverRouteLocked raises a slowed route one step once RouteRecoverAfter
// has passed without a 429 on it; back at the configured rate the route's
// bucket is dropped.
func (l *Limiter) recoverRouteLocked(key string, rt *route, now time.Time) {
	if now.Sub(rt.lastSignal) < RouteRecoverAfter || now.Sub(rt.lastAdjust) < RouteRecoverEvery {
		return
	}
	next := rt.lim.Limit() * RouteRecoverFactor
	if next >= l.base {
		delete(l.routes, key)
		return
	}
	rt.lastAdjust = now
	rt.lim.SetLimitAt(now, next)
	rt.lim.SetBurstAt(now, l.burstFor(next))
}

// RouteLimit returns key's own rate in requests per second (after applying
// any due recovery); +Inf when key is not slowed (only the global rate
// applies).
func (l *Limiter) RouteLimit(key string) float64 {
	if lim := l.routeLimiter(key); lim != nil {
		return float64(lim.Limit())
	}
	return math.Inf(1)
}
