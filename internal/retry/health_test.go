package retry_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/retry"
	"github.com/govextract/jira-extractor/internal/retry/retrytest"
)

// Health weighs the last HealthWindow outcomes: nothing is sporadic before
// HealthMinSample of them, failures are sporadic while at least half are
// good, and old outcomes drop out of the window.
func TestHealthWindow(t *testing.T) {
	var h retry.Health
	for range retry.HealthMinSample - 1 {
		h.Record(true)
	}
	if h.Sporadic() {
		t.Fatal("sporadic before HealthMinSample outcomes")
	}
	h.Record(false)
	if !h.Sporadic() {
		t.Fatal("15 good of 16: not sporadic")
	}
	for range retry.HealthWindow {
		h.Record(false)
	}
	if h.Sporadic() {
		t.Fatal("a window of failures is sporadic")
	}
	for range retry.HealthWindow/2 - 1 {
		h.Record(true)
	}
	if h.Sporadic() {
		t.Fatal("31 good of 64 is sporadic")
	}
	h.Record(true)
	if !h.Sporadic() {
		t.Fatal("32 good of 64 is not sporadic")
	}
}

// A request that keeps failing while most requests to the server succeed
// backs off at most SporadicCap per retry (the old schedule waited 6.4 s
// and then 10 s here, making the request a run's last straggler); while
// failures dominate, or nothing is known yet, the full exponential
// schedule protects the server. Every outcome of the loop is recorded.
func TestFailureBackoffCappedOnlyWhileFailuresAreSporadic(t *testing.T) {
	half := func() float64 { return 0.5 } // jitter ×1 exactly
	backoff := retry.Backoff{Base: 200 * time.Millisecond, Cap: 10 * time.Second, JitterMin: 0.7, JitterMax: 1.3, Rand: half}
	ms := func(ds ...int) []time.Duration {
		out := make([]time.Duration, len(ds))
		for i, d := range ds {
			out[i] = time.Duration(d) * time.Millisecond
		}
		return out
	}
	full := ms(200, 400, 800, 1600, 3200, 6400, 10000)
	for _, tc := range []struct {
		name string
		good int // outcomes recorded before the request: good ones
		bad  int // and failures
		want []time.Duration
	}{
		{"sporadic", 40, 4, ms(200, 400, 800, 1000, 1000, 1000, 1000)},
		{"outage", 4, 40, full},
		{"nothing known", 0, 0, full},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &retry.Health{}
			for range tc.good {
				h.Record(true)
			}
			for range tc.bad {
				h.Record(false)
			}
			clk := retrytest.NewFake(retrytest.Epoch)
			p := retry.Policy{Clock: clk, Failure: backoff, MaxFailures: 10, Health: h, SporadicCap: time.Second}
			att, calls := script(fail, fail, fail, fail, fail, fail, fail, ok)
			if err := p.Do(context.Background(), att); err != nil || *calls != 8 {
				t.Fatalf("err %v after %d attempts", err, *calls)
			}
			if got := clk.Sleeps(); !slices.Equal(got, tc.want) {
				t.Fatalf("waits %v, want %v", got, tc.want)
			}
		})
	}
	// The loop records its own outcomes: after 9 good ones, seven
	// failures and a success make 10 good of 17 (sporadic; 9 of 9 if
	// nothing were recorded: too few to tell), and three more failures 10
	// of 20, still sporadic (9 of 19 if the success were not recorded).
	h := &retry.Health{}
	for range 9 {
		h.Record(true)
	}
	p := retry.Policy{Clock: retrytest.NewFake(retrytest.Epoch), Failure: backoff, MaxFailures: 10, Health: h, SporadicCap: time.Second}
	att, _ := script(fail, fail, fail, fail, fail, fail, fail, ok)
	if err := p.Do(context.Background(), att); err != nil || !h.Sporadic() {
		t.Fatalf("err %v, sporadic %v after 10 good of 17", err, h.Sporadic())
	}
	for range 3 {
		h.Record(false)
	}
	if !h.Sporadic() {
		t.Fatal("10 good of 20 not sporadic: the loop's success was not recorded")
	}
	h.Record(false)
	if h.Sporadic() {
		t.Fatal("10 good of 21 recorded as sporadic")
	}
}
