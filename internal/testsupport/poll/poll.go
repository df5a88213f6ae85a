// Package poll is test support for waiting on a state that another
// goroutine moves forward (a request queued, a retry asleep on a fake
// clock): Until checks a condition until it holds, and fails the test when
// it does not within a bound.
package poll

import (
	"testing"
	"time"
)

// Bound is how long Until waits before it fails the test.
const Bound = 10 * time.Second

// Until calls cond every millisecond until it reports true, and fails tb
// (naming what it waited for) when Bound passes first. cond must only
// observe state, never wait on it.
func Until(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(Bound)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
