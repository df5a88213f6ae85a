package throttle

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newFake(rps float64, burst int) (*Limiter, *fakeClock) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := New(rps, burst)
	l.SetClock(clk.now)
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

func TestPauseKeyBlocksOnlyThatKey(t *testing.T) {
	l, clk := newFake(1000, 10)
	l.PauseKey("GET /slow", clk.now().Add(time.Hour))
	if err := l.Wait(context.Background(), "GET /other"); err != nil {
		t.Fatalf("other key blocked: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := l.Wait(ctx, "GET /slow"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("gated key: Wait = %v, want deadline exceeded", err)
	}
	// A gate never shortens.
	l.PauseKey("GET /slow", clk.now().Add(time.Minute))
	if _, g := l.PausedUntil("GET /slow"); !g.Equal(clk.now().Add(time.Hour)) {
		t.Fatalf("gate shortened to %v", g)
	}
	clk.add(time.Hour + time.Second)
	if err := l.Wait(context.Background(), "GET /slow"); err != nil {
		t.Fatalf("after gate: %v", err)
	}
}

func TestSlowDebounceFloorAndRecovery(t *testing.T) {
	l, clk := newFake(100, 10)
	if !l.Slow() || l.Limit() != 50 {
		t.Fatalf("after one Slow: limit %v, want 50", l.Limit())
	}
	// A second call within the debounce window does not halve again.
	clk.add(SlowDebounce / 2)
	if l.Slow() || l.Limit() != 50 {
		t.Fatalf("debounced Slow changed limit to %v", l.Limit())
	}
	for i := 0; i < 20; i++ {
		clk.add(SlowDebounce)
		l.Slow()
	}
	if got, want := l.Limit(), 100*MinFraction; got != want {
		t.Fatalf("limit after many slow-downs = %v, want floor %v", got, want)
	}
	if l.Burst() != 1 {
		t.Fatalf("burst at the floor = %d, want 1", l.Burst())
	}
	// No recovery before RecoverAfter.
	clk.add(RecoverAfter - time.Millisecond)
	if got := l.Limit(); got != 100*MinFraction {
		t.Fatalf("recovered too early: %v", got)
	}
	clk.add(time.Millisecond)
	prev := l.Limit()
	if prev <= 100*MinFraction {
		t.Fatalf("no recovery after RecoverAfter: %v", prev)
	}
	// Recovery is gradual: one step per RecoverEvery, up to the base.
	if got := l.Limit(); got != prev {
		t.Fatalf("recovered twice without time passing: %v -> %v", prev, got)
	}
	for i := 0; i < 100; i++ {
		clk.add(RecoverEvery)
		cur := l.Limit()
		if cur < prev || cur > 100 {
			t.Fatalf("step %d: limit %v after %v", i, cur, prev)
		}
		prev = cur
	}
	if prev != 100 || l.Burst() != 10 {
		t.Fatalf("never recovered to the base: %v burst %d", prev, l.Burst())
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
	if l.Slow() {
		t.Fatal("Slow changed an unlimited limiter")
	}
	for i := 0; i < 1000; i++ {
		if err := l.Wait(context.Background(), "k"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPacing(t *testing.T) {
	// 20 tokens at 200/s with burst 1 take at least ~95 ms of real time.
	l := New(200, 1)
	start := time.Now()
	for i := 0; i < 20; i++ {
		if err := l.Wait(context.Background(), "k"); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el < 90*time.Millisecond {
		t.Fatalf("20 requests at 200/s took %v", el)
	}
}
