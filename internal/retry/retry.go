// Package retry is the project's one retry policy for outbound requests:
// Retry-After parsing, jittered exponential backoff, a context-aware sleep
// on an injectable Clock, and the retry loop (Policy.Do) shared by the Jira
// client and the upload client.
//
// # Idempotent requests and writes
//
// A read (GET) may be sent again after any transient failure: a 5xx, a
// dropped connection, a timeout, a malformed body. A non-idempotent write
// may not: after an ambiguous failure (the request was sent, fully or in
// part, and no clear answer came back) it may or may not have taken effect.
// A Policy with Write set therefore never re-sends such a write blindly:
// it calls the caller's Reconcile, which re-reads the target and says
// whether the write took effect (Do then returns success), did not (Do
// retries), or cannot tell (Do stops with an *AmbiguousError). A 429 means
// "not performed", and a failure before anything was written (a refused
// connection) is not ambiguous: both are retried for writes too.
package retry

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Class says what one attempt's outcome means for retrying.
type Class int

// Outcome classes.
const (
	// Success: done, with a good answer.
	Success Class = iota
	// Fatal: done, with an error that sending again cannot fix (a 4xx, a
	// refused credential, a redirect, a cancelled context).
	Fatal
	// Throttled: a 429; the server did not perform the request.
	Throttled
	// Transient: a 5xx, a network error, a timeout or a malformed body; the
	// request may succeed when sent again.
	Transient
)

// Result is the outcome of one attempt.
type Result struct {
	Class Class
	Err   error
	// Wait is how long to wait before the next attempt as the server asked
	// (Retry-After) or the caller worked out. For Transient it is a minimum
	// under the failure backoff; for Throttled a non-zero Wait is used as is
	// and zero means the throttle backoff.
	Wait time.Duration
	// Sent reports that the request may have reached the server (it was
	// written, fully or in part). A Transient failure of a write that was
	// Sent is ambiguous.
	Sent bool
}

// Effect is what a re-read found out about a write after an ambiguous
// failure.
type Effect int

// Effects.
const (
	// Unknown: the re-read cannot tell; the write is not sent again.
	Unknown Effect = iota
	// TookEffect: the write was performed; Do returns success.
	TookEffect
	// NoEffect: the write was not performed; Do may send it again.
	NoEffect
)

func (e Effect) String() string {
	switch e {
	case TookEffect:
		return "took effect"
	case NoEffect:
		return "did not take effect"
	}
	return "unknown"
}

// Reconcile re-reads a write's target after an ambiguous failure.
type Reconcile func(ctx context.Context) (Effect, error)

// Retry describes one retry about to happen, for logs and counters.
type Retry struct {
	// Attempt is the attempt that failed (from 1).
	Attempt int
	Wait    time.Duration
	Result  Result
}

// Policy is a retry loop's configuration. The zero Policy retries nothing.
type Policy struct {
	// Clock sleeps between attempts; nil means System.
	Clock Clock
	// Failure is the backoff after Transient outcomes, Throttle after
	// Throttled ones without a Wait.
	Failure, Throttle Backoff
	// MaxFailures and MaxThrottled bound the retries after Transient and
	// Throttled outcomes (separately: a 429 is flow control, not a failure).
	MaxFailures, MaxThrottled int
	// MaxRetries, if positive, also bounds the retries of both kinds
	// together.
	MaxRetries int
	// Health, if set, records every Success and Transient outcome (shared
	// by the requests to one server); while it reports failures as
	// sporadic, the Failure backoff is capped at SporadicCap (when
	// positive). See Health.
	Health      *Health
	SporadicCap time.Duration
	// Write marks a non-idempotent request: see the package doc.
	Write bool
	// Reconcile is called after an ambiguous failure of a Write; nil means
	// every such failure is Unknown.
	Reconcile Reconcile
	// OnRetry, if set, is called before each wait.
	OnRetry func(Retry)
}

// ExhaustedError is returned when retries ran out; Err is the last cause.
type ExhaustedError struct {
	Attempts int
	Err      error
}

func (e *ExhaustedError) Error() string {
	return fmt.Sprintf("giving up after %d attempts: %v", e.Attempts, e.Err)
}

// Unwrap returns the last cause.
func (e *ExhaustedError) Unwrap() error { return e.Err }

// AmbiguousError is returned when a write failed ambiguously and the
// re-read could not show that it did not take effect: it may have been
// performed, and it was not sent again.
type AmbiguousError struct {
	Attempts int
	// Err is the ambiguous failure; ReconcileErr the re-read's own error.
	Err, ReconcileErr error
}

func (e *AmbiguousError) Error() string {
	s := fmt.Sprintf("the write may or may not have taken effect (attempt %d: %v); it was not sent again", e.Attempts, e.Err)
	if e.ReconcileErr != nil {
		s += fmt.Sprintf("; re-reading the target failed: %v", e.ReconcileErr)
	} else {
		s += "; re-reading the target could not tell"
	}
	return s
}

// Unwrap returns the ambiguous failure.
func (e *AmbiguousError) Unwrap() error { return e.Err }

// IsAmbiguous reports whether err is (or wraps) an *AmbiguousError.
func IsAmbiguous(err error) bool {
	var a *AmbiguousError
	return errors.As(err, &a)
}

// Do calls attempt (with its number, from 1) until it succeeds, fails for
// good, or the retries run out, sleeping on the Clock between attempts.
// The returned error is the Fatal cause, an *ExhaustedError, an
// *AmbiguousError, or ctx's error (wrapped with the last cause) when ctx
// ended during a wait. When a Reconcile says TookEffect, Do returns nil.
func (p Policy) Do(ctx context.Context, attempt func(ctx context.Context, n int) Result) error {
	clock := OrSystem(p.Clock)
	var failures, throttles int
	for n := 1; ; n++ {
		r := attempt(ctx, n)
		var wait time.Duration
		switch r.Class {
		case Success:
			p.record(true)
			return nil
		case Fatal:
			return r.Err
		case Throttled:
			throttles++
			if throttles > p.MaxThrottled {
				return &ExhaustedError{Attempts: n, Err: r.Err}
			}
			wait = r.Wait
			if wait <= 0 {
				wait = p.Throttle.Delay(throttles)
			}
		case Transient:
			if p.Write && r.Sent {
				effect, rerr := NoEffect, error(nil)
				if p.Reconcile == nil {
					effect = Unknown
				} else {
					effect, rerr = p.Reconcile(ctx)
				}
				switch {
				case rerr == nil && effect == TookEffect:
					return nil
				case rerr != nil || effect != NoEffect:
					if ctx.Err() != nil {
						return fmt.Errorf("%w (after: %v)", ctx.Err(), r.Err)
					}
					return &AmbiguousError{Attempts: n, Err: r.Err, ReconcileErr: rerr}
				}
			}
			p.record(false)
			failures++
			if failures > p.MaxFailures {
				return &ExhaustedError{Attempts: n, Err: r.Err}
			}
			wait = max(r.Wait, p.failureBackoff().Delay(failures))
		default:
			return fmt.Errorf("retry: unknown outcome class %d: %v", r.Class, r.Err)
		}
		if p.MaxRetries > 0 && n > p.MaxRetries {
			return &ExhaustedError{Attempts: n, Err: r.Err}
		}
		if p.OnRetry != nil {
			p.OnRetry(Retry{Attempt: n, Wait: wait, Result: r})
		}
		if err := clock.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("%w (waiting to retry after: %v)", err, r.Err)
		}
	}
}

// record adds an outcome to p.Health, if set.
func (p Policy) record(good bool) {
	if p.Health != nil {
		p.Health.Record(good)
	}
}

// failureBackoff is p.Failure, capped at SporadicCap while p.Health
// reports failures as sporadic.
func (p Policy) failureBackoff() Backoff {
	b := p.Failure
	if p.Health != nil && p.SporadicCap > 0 && p.Health.Sporadic() {
		b.Cap = min(b.Cap, p.SporadicCap)
	}
	return b
}
