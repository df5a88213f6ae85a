package throttle

import (
	"math"
	"time"

	"golang.org/x/time/rate"
)

// Tuning of the global rate, which only X-RateLimit-NearLimit lowers: by
// NearLimitFactor, at most once per NearLimitEvery, never below
// MinFraction of the configured rate. Once RecoverAfter has passed without
// the signal it rises by RecoverFactor every RecoverEvery back to the
// configured rate; the burst shrinks and grows with the rate.
const (
	NearLimitFactor = 0.8
	NearLimitEvery  = time.Second
	MinFraction     = 0.05
	RecoverAfter    = 2 * time.Second
	RecoverEvery    = time.Second
	RecoverFactor   = 1.25
)

// NearLimit eases the global rate by NearLimitFactor, at most once per
// NearLimitEvery. It is called on X-RateLimit-NearLimit: true (under 20% of
// the server's bucket left). It reports whether the rate changed.
func (l *Limiter) NearLimit() bool {
	if l.base == rate.Inf {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.near.lastSignal = now
	if !l.near.lastCut.IsZero() && now.Sub(l.near.lastCut) < NearLimitEvery {
		return false
	}
	cur := l.global.Limit()
	next := max(cur*NearLimitFactor, l.base*MinFraction)
	if next == cur {
		return false
	}
	l.near.lastCut, l.near.lastAdjust = now, now
	l.setGlobalLocked(now, next)
	return true
}

func (l *Limiter) setGlobalLocked(now time.Time, r rate.Limit) {
	l.global.SetLimitAt(now, r)
	l.global.SetBurstAt(now, l.burstFor(r))
}

// recoverGlobalLocked raises an eased global rate one step once
// RecoverAfter has passed without a NearLimit signal.
func (l *Limiter) recoverGlobalLocked(now time.Time) {
	cur := l.global.Limit()
	if cur >= l.base || now.Sub(l.near.lastSignal) < RecoverAfter || now.Sub(l.near.lastAdjust) < RecoverEvery {
		return
	}
	l.near.lastAdjust = now
	l.setGlobalLocked(now, min(cur*RecoverFactor, l.base))
}

// Limit returns the current global rate in requests per second (after
// applying any due recovery); +Inf when unlimited.
func (l *Limiter) Limit() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recoverGlobalLocked(l.now())
	return perSecond(l.global.Limit())
}

// perSecond converts a rate to requests per second, rate.Inf to +Inf.
func perSecond(r rate.Limit) float64 {
	if r == rate.Inf {
		return math.Inf(1)
	}
	return float64(r)
}

// Burst returns the current global burst (it shrinks and grows with the
// rate).
func (l *Limiter) Burst() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.global.Burst()
}
