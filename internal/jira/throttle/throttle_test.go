package throttle

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/govextract/jira-extractor/internal/retry/retrytest"
)

// fakeClock is a retry fake whose time moves only when a test says so:
// the test goroutine counts as a worker that never sleeps on it.
type fakeClock struct{ *retrytest.Fake }

func (c *fakeClock) now() time.Time      { return c.Now() }
func (c *fakeClock) add(d time.Duration) { c.Advance(d) }

func newFake(rps float64, burst int) (*Limiter, *fakeClock) {
	clk := &fakeClock{retrytest.NewFake(retrytest.Epoch)}
	clk.SetWorkers(2)
	l := New(rps, burst)
	l.SetClock(clk)
	return l, clk
}

func TestPauseAllBlocksEveryKeyUntilCancelled(t *testing.T) {
	l, clk := newFake(1000, 10)
	l.PauseAll(clk.now().Add(time.Hour))
	for _, key := range []string{"GET /a", "GET /b"} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- l.Wait(ctx, key) }()
		select {
		case err := <-done:
			t.Fatalf("%s: Wait returned %v during a global pause", key, err)
		default:
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: Wait after cancel = %v, want context.Canceled", key, err)
		}
	}
	clk.add(time.Hour)
	if err := l.Wait(context.Background(), "GET /a"); err != nil {
		t.Fatalf("Wait after the pause: %v", err)
	}
}

// tryTake is Wait without waiting, at the fake clock: it takes a token of
// key's bucket (while slowed) and of the global one, or neither.
func tryTake(l *Limiter, key string) bool {
	now := l.now()
	var route *rate.Reservation
	if lim := l.routeLimiter(key); lim != nil {
		if route = lim.ReserveN(now, 1); route.DelayFrom(now) > 0 {
			route.CancelAt(now)
			return false
		}
	}
	if g := l.global.ReserveN(now, 1); g.DelayFrom(now) > 0 {
		g.CancelAt(now)
		if route != nil {
			route.CancelAt(now)
		}
		return false
	}
	return true
}

// served counts the requests to key that get through in d of fake time,
// one try per millisecond.
func served(l *Limiter, clk *fakeClock, key string, d time.Duration) int {
	n := 0
	for range d / time.Millisecond {
		if tryTake(l, key) {
			n++
		}
		clk.add(time.Millisecond)
	}
	return n
}

// A burst 429 on route A slows A to RouteSlowFactor of the rate; route B is
// still served at the full configured rate and the global rate is untouched.
func TestSlowSlowsOnlyThatRoute(t *testing.T) {
	l, clk := newFake(100, 10)
	if !l.Slow("GET /a") {
		t.Fatal("Slow did not slow")
	}
	if a, b, g := l.RouteLimit("GET /a"), l.RouteLimit("GET /b"), l.Limit(); a != 70 || !math.IsInf(b, 1) || g != 100 || l.Burst() != 10 {
		t.Fatalf("route a %v, route b %v, global %v burst %d; want 70, +Inf, 100, 10", a, b, g, l.Burst())
	}
	// Within 900 ms (before any recovery): A gets ~70/s from an empty
	// bucket, B the global bucket's burst plus 100/s.
	if n := served(l, clk, "GET /a", 900*time.Millisecond); n < 61 || n > 65 {
		t.Fatalf("slowed route served %d in 900 ms, want ~63", n)
	}
	if n := served(l, clk, "GET /b", 900*time.Millisecond); n < 97 || n > 101 {
		t.Fatalf("other route served %d in 900 ms, want ~100", n)
	}
}

// Slow cuts a route at most once per RouteSlowEvery, not below
// RouteMinFraction, scales the route's burst, and recovers step by step
// once RouteRecoverAfter has passed without a 429, until the route is
// unlimited again. A 429 during recovery cuts again.
func TestRouteSlowDebounceFloorAndRecovery(t *testing.T) {
	const key = "GET /a"
	l, clk := newFake(100, 10)
	l.Slow(key)
	clk.add(RouteSlowEvery / 2)
	if l.Slow(key) || l.RouteLimit(key) != 70 {
		t.Fatalf("debounced Slow changed the rate to %v", l.RouteLimit(key))
	}
	// The debounced 429 still counts as a signal: no recovery yet.
	clk.add(RouteSlowEvery / 2)
	if !l.Slow(key) || l.RouteLimit(key) != 50 {
		t.Fatalf("second cut: %v, want the floor 50 (70×0.7=49)", l.RouteLimit(key))
	}
	for range 20 {
		clk.add(RouteSlowEvery)
		if l.Slow(key) {
			t.Fatal("cut below the floor")
		}
	}
	if got, b := l.RouteLimit(key), l.routeLimiter(key).Burst(); got != 100*RouteMinFraction || b != 5 {
		t.Fatalf("after a storm: rate %v burst %d, want 50 and 5", got, b)
	}
	if l.Limit() != 100 || l.Burst() != 10 {
		t.Fatalf("burst 429s changed the global rate to %v burst %d", l.Limit(), l.Burst())
	}
	clk.add(RouteRecoverAfter - time.Millisecond)
	if got := l.RouteLimit(key); got != 50 {
		t.Fatalf("recovered too early: %v", got)
	}
	clk.add(time.Millisecond)
	if got := l.RouteLimit(key); got != 62.5 {
		t.Fatalf("first recovery step: %v, want 62.5", got)
	}
	if got := l.RouteLimit(key); got != 62.5 {
		t.Fatalf("recovered twice without time passing: %v", got)
	}
	clk.add(RouteRecoverEvery)
	if got := l.RouteLimit(key); got != 78.125 {
		t.Fatalf("second recovery step: %v, want 78.125", got)
	}
	// A 429 now (over a second after the last cut) cuts again (×0.7)
	// and holds recovery off for RouteRecoverAfter.
	if !l.Slow(key) || l.RouteLimit(key) != 54.6875 {
		t.Fatalf("cut during recovery: %v, want 54.6875", l.RouteLimit(key))
	}
	clk.add(RouteRecoverAfter - time.Millisecond)
	if got := l.RouteLimit(key); got != 54.6875 {
		t.Fatalf("recovered right after a 429: %v", got)
	}
	prev := 54.6875
	for i := 0; ; i++ {
		clk.add(RouteRecoverEvery)
		got := l.RouteLimit(key)
		if math.IsInf(got, 1) {
			break
		}
		if got <= prev || got >= 100 || i > 10 {
			t.Fatalf("step %d: %v after %v", i, got, prev)
		}
		prev = got
	}
	if l.routeLimiter(key) != nil {
		t.Fatal("a recovered route kept its own bucket")
	}
	// A fresh 429 starts over from the configured rate.
	if !l.Slow(key) || l.RouteLimit(key) != 70 {
		t.Fatalf("new slow-down: %v, want 70", l.RouteLimit(key))
	}
}

// Wait really waits on a slowed route's bucket (on the clock).
func TestSlowedRoutePacing(t *testing.T) {
	clk := retrytest.NewFake(retrytest.Epoch) // jumps whenever Wait sleeps
	l := New(1000, 1)
	l.SetClock(clk)
	l.Slow("GET /a") // 700/s, burst 1, empty
	for range 36 {
		if err := l.Wait(context.Background(), "GET /a"); err != nil {
			t.Fatal(err)
		}
	}
	if el := clk.Since(retrytest.Epoch); el < 50*time.Millisecond || el > 53*time.Millisecond {
		t.Fatalf("36 requests at 700/s took %v, want 36/700 s ≈ 51 ms", el)
	}
}

// An abandoned Wait gives its token back.
func TestCancelledWaitGivesTokenBack(t *testing.T) {
	l, clk := newFake(1, 1)
	if err := l.Wait(context.Background(), "k"); err != nil { // the burst token
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Wait(ctx, "k") }() // reserves the next token, 1 s away
	waitUntil(t, func() bool {
		now := clk.now()
		return l.global.TokensAt(now) < -0.5
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait after cancel = %v", err)
	}
	now := clk.now()
	if got := l.global.TokensAt(now); got != 0 {
		t.Fatalf("tokens after the cancelled wait = %v, want 0 (given back)", got)
	}
}

// waitUntil polls cond with a deadline.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestNearLimitEasesOncePerIntervalAndBlocksRecovery(t *testing.T) {
	l, clk := newFake(100, 10)
	if !l.NearLimit() || l.Limit() != 80 {
		t.Fatalf("after NearLimit: %v, want 80", l.Limit())
	}
	// A steady stream of NearLimit signals cuts once per NearLimitEvery and
	// never lets the rate recover.
	for i := 0; i < 10; i++ {
		clk.add(NearLimitEvery / 10)
		l.NearLimit()
	}
	if got := l.Limit(); got != 64 {
		t.Fatalf("after a second of NearLimit: %v, want 64", got)
	}
	for i := 0; i < 30; i++ {
		clk.add(RecoverAfter / 4)
		l.NearLimit()
		if l.Limit() > 64 {
			t.Fatalf("recovered while NearLimit continues: %v", l.Limit())
		}
	}
	if got := l.Limit(); got != 100*MinFraction {
		t.Fatalf("15 s of NearLimit left the rate at %v, want the floor", got)
	}
	clk.add(RecoverAfter)
	if got := l.Limit(); got <= 100*MinFraction {
		t.Fatalf("no recovery once the signals stopped: %v", got)
	}
}

func TestUnlimited(t *testing.T) {
	l := New(0, 0)
	if l.Slow("k") || l.NearLimit() || !math.IsInf(l.RouteLimit("k"), 1) || !math.IsInf(l.Limit(), 1) {
		t.Fatal("an unlimited limiter was slowed")
	}
	for i := 0; i < 1000; i++ {
		if err := l.Wait(context.Background(), "k"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPacing(t *testing.T) {
	// 20 tokens at 200/s with burst 1: the first at once, 19 × 5 ms after.
	clk := retrytest.NewFake(retrytest.Epoch)
	l := New(200, 1)
	l.SetClock(clk)
	for i := 0; i < 20; i++ {
		if err := l.Wait(context.Background(), "k"); err != nil {
			t.Fatal(err)
		}
	}
	if el := clk.Since(retrytest.Epoch); el != 95*time.Millisecond {
		t.Fatalf("20 requests at 200/s took %v, want 95 ms", el)
	}
}
