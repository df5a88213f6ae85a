package retry

import (
	"context"
	"time"
)

// Clock is the time source of backoff and rate limiting: what time it is,
// and a context-aware sleep. System is the real one; tests use a fake
// (package retrytest) so waits of seconds take no real time.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done, and then returns ctx's error.
	Sleep(ctx context.Context, d time.Duration) error
}

// System is the real clock.
var System Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error { return Sleep(ctx, d) }

// Sleep waits d of real time or until ctx is done, and returns ctx's error
// in the second case (or at once when d <= 0 and ctx is already done). It
// is the project's one context-aware sleep.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// OrSystem returns c, or System when c is nil.
func OrSystem(c Clock) Clock {
	if c == nil {
		return System
	}
	return c
}
