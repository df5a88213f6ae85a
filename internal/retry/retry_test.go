package retry_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/retry"
	"github.com/govextract/jira-extractor/internal/retry/retrytest"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"1", time.Second, true},
		{" 2.5 ", 2500 * time.Millisecond, true},
		{"0", 0, true},
		{"-3", 0, true},
		{"1e30", retry.MaxServerWait, true},     // would overflow a Duration
		{"99999999", retry.MaxServerWait, true}, // years
		{"NaN", 0, false},
		{now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second, true},
		{now.Add(-7 * time.Second).Format(http.TimeFormat), 0, true},
		{now.Add(1000 * time.Hour).Format(http.TimeFormat), retry.MaxServerWait, true},
		{"soon", 0, false},
		{"", 0, false},
	}
	for _, c := range cases {
		got, ok := retry.ParseRetryAfter(c.v, now)
		if got != c.want || ok != c.ok {
			t.Errorf("Retry-After %q = %v,%v want %v,%v", c.v, got, ok, c.want, c.ok)
		}
	}
	if d, ok := retry.RetryAfter(http.Header{"Retry-After": {"3"}}, now); !ok || d != 3*time.Second {
		t.Errorf("RetryAfter(header) = %v,%v", d, ok)
	}
}

func TestBackoffDoublesToCapWithinJitter(t *testing.T) {
	b := retry.Default
	for n := 1; n <= 8; n++ {
		want := min(2*time.Second<<(n-1), 30*time.Second)
		for range 200 {
			d := b.Delay(n)
			if d < time.Duration(0.7*float64(want)) || d > time.Duration(1.3*float64(want)) {
				t.Fatalf("n=%d: %v, want %v ×[0.7,1.3]", n, d, want)
			}
		}
	}
	// A fixed Rand gives exact waits (tests rely on it).
	lo := retry.Backoff{Base: time.Second, Cap: 4 * time.Second, JitterMin: 0.5, JitterMax: 1.5, Rand: func() float64 { return 0 }}
	if got := []time.Duration{lo.Delay(1), lo.Delay(2), lo.Delay(3), lo.Delay(10)}; got[0] != 500*time.Millisecond || got[1] != time.Second || got[2] != 2*time.Second || got[3] != 2*time.Second {
		t.Fatalf("fixed jitter delays %v", got)
	}
}

// script returns an attempt func that plays the given results in order
// and counts calls.
func script(results ...retry.Result) (func(context.Context, int) retry.Result, *int) {
	calls := 0
	return func(_ context.Context, n int) retry.Result {
		calls++
		if n != calls {
			panic("attempt numbers must count from 1")
		}
		return results[min(calls, len(results))-1]
	}, &calls
}

var (
	errBoom = errors.New("HTTP 503")
	ok      = retry.Result{Class: retry.Success}
	fail    = retry.Result{Class: retry.Transient, Err: errBoom, Sent: true}
	refused = retry.Result{Class: retry.Transient, Err: errors.New("connection refused")} // never sent
	thr     = retry.Result{Class: retry.Throttled, Err: errors.New("HTTP 429")}
)

func fixed(d time.Duration) retry.Backoff { return retry.Backoff{Base: d, Cap: d} }

func TestDoRetriesIdempotentAfterBackoffOnTheClock(t *testing.T) {
	clk := retrytest.NewFake(retrytest.Epoch)
	att, calls := script(fail, thr, retry.Result{Class: retry.Transient, Err: errBoom, Wait: 5 * time.Second}, ok)
	var seen []retry.Retry
	p := retry.Policy{Clock: clk, Failure: retry.Backoff{Base: time.Second, Cap: 10 * time.Second},
		Throttle: fixed(3 * time.Second), MaxFailures: 2, MaxThrottled: 1, OnRetry: func(r retry.Retry) { seen = append(seen, r) }}
	if err := p.Do(context.Background(), att); err != nil {
		t.Fatal(err)
	}
	if *calls != 4 || len(seen) != 3 {
		t.Fatalf("%d attempts, %d retries", *calls, len(seen))
	}
	// 1 s backoff, 3 s throttle backoff, then the server's 5 s beats the 2 s backoff.
	want := []time.Duration{time.Second, 3 * time.Second, 5 * time.Second}
	got := clk.Sleeps()
	for i := range want {
		if got[i] != want[i] || seen[i].Wait != want[i] {
			t.Fatalf("sleeps %v (OnRetry %v), want %v", got, seen, want)
		}
	}
	if el := clk.Since(retrytest.Epoch); el != 9*time.Second {
		t.Fatalf("fake time moved %v, want 9s", el)
	}
}

func TestDoBudgetsAreSeparateAndBounded(t *testing.T) {
	clk := retrytest.NewFake(retrytest.Epoch)
	p := retry.Policy{Clock: clk, Failure: fixed(time.Second), Throttle: fixed(time.Second), MaxFailures: 2, MaxThrottled: 3}
	att, calls := script(thr, thr, thr, fail, fail, fail)
	err := p.Do(context.Background(), att)
	var ex *retry.ExhaustedError
	if !errors.As(err, &ex) || ex.Attempts != 6 || *calls != 6 || !errors.Is(err, errBoom) {
		t.Fatalf("err %v after %d calls", err, *calls)
	}
	att, calls = script(thr)
	if err := p.Do(context.Background(), att); !errors.As(err, &ex) || *calls != 4 {
		t.Fatalf("429s: err %v after %d calls, want 1 + 3 retries", err, *calls)
	}
	// A total budget bounds both kinds together.
	p.MaxRetries = 2
	att, calls = script(thr, fail, thr, ok)
	if err := p.Do(context.Background(), att); !errors.As(err, &ex) || *calls != 3 {
		t.Fatalf("total budget: err %v after %d calls, want 1 + 2 retries", err, *calls)
	}
	p.MaxRetries = 0
	fatal := errors.New("HTTP 404")
	att, calls = script(retry.Result{Class: retry.Fatal, Err: fatal})
	if err := p.Do(context.Background(), att); err != fatal || *calls != 1 {
		t.Fatalf("fatal: %v after %d calls", err, *calls)
	}
}

func TestDoStopsWhenContextEndsDuringWait(t *testing.T) {
	clk := retrytest.NewFake(retrytest.Epoch)
	clk.SetWorkers(2) // the test goroutine is not asleep: time never jumps
	ctx, cancel := context.WithCancel(context.Background())
	att, _ := script(fail)
	done := make(chan error, 1)
	go func() {
		done <- retry.Policy{Clock: clk, Failure: fixed(time.Hour), MaxFailures: 5}.Do(ctx, att)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for clk.Sleeping() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Do never slept")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("err = %v, want context.Canceled naming the last cause", err)
	}
}

func TestWriteIsNeverResentBlindly(t *testing.T) {
	writePolicy := func(clk retry.Clock, effect retry.Effect, rerr error, reads *int) retry.Policy {
		return retry.Policy{Clock: clk, Failure: fixed(time.Second), Throttle: fixed(time.Second), MaxFailures: 3, MaxThrottled: 3, Write: true,
			Reconcile: func(context.Context) (retry.Effect, error) { *reads++; return effect, rerr }}
	}
	t.Run("took effect: success without a resend", func(t *testing.T) {
		reads := 0
		att, calls := script(fail, ok)
		if err := writePolicy(retrytest.NewFake(retrytest.Epoch), retry.TookEffect, nil, &reads).Do(context.Background(), att); err != nil {
			t.Fatal(err)
		}
		if *calls != 1 || reads != 1 {
			t.Fatalf("%d sends, %d re-reads; want 1 and 1", *calls, reads)
		}
	})
	t.Run("did not take effect: sent again", func(t *testing.T) {
		reads := 0
		att, calls := script(fail, ok)
		if err := writePolicy(retrytest.NewFake(retrytest.Epoch), retry.NoEffect, nil, &reads).Do(context.Background(), att); err != nil {
			t.Fatal(err)
		}
		if *calls != 2 || reads != 1 {
			t.Fatalf("%d sends, %d re-reads; want 2 and 1", *calls, reads)
		}
	})
	for name, c := range map[string]struct {
		effect retry.Effect
		err    error
	}{"unknown": {retry.Unknown, nil}, "re-read failed": {retry.NoEffect, errors.New("read back: HTTP 500")}} {
		t.Run(name+": stops, ambiguous", func(t *testing.T) {
			reads := 0
			att, calls := script(fail, ok)
			err := writePolicy(retrytest.NewFake(retrytest.Epoch), c.effect, c.err, &reads).Do(context.Background(), att)
			if !retry.IsAmbiguous(err) || !errors.Is(err, errBoom) || *calls != 1 || reads != 1 {
				t.Fatalf("err %v after %d sends, %d re-reads", err, *calls, reads)
			}
			if c.err != nil && !strings.Contains(err.Error(), "HTTP 500") {
				t.Fatalf("error %q does not name the re-read's failure", err)
			}
		})
	}
	t.Run("no Reconcile: ambiguous", func(t *testing.T) {
		att, calls := script(fail, ok)
		p := retry.Policy{Clock: retrytest.NewFake(retrytest.Epoch), Failure: fixed(time.Second), MaxFailures: 3, Write: true}
		if err := p.Do(context.Background(), att); !retry.IsAmbiguous(err) || *calls != 1 {
			t.Fatalf("err %v after %d sends", err, *calls)
		}
	})
	t.Run("429 and unsent failures are retried without a re-read", func(t *testing.T) {
		reads := 0
		att, calls := script(thr, refused, ok)
		clk := retrytest.NewFake(retrytest.Epoch)
		if err := writePolicy(clk, retry.Unknown, nil, &reads).Do(context.Background(), att); err != nil {
			t.Fatal(err)
		}
		if *calls != 3 || reads != 0 || len(clk.Sleeps()) != 2 {
			t.Fatalf("%d sends, %d re-reads, sleeps %v", *calls, reads, clk.Sleeps())
		}
	})
	t.Run("idempotent: no re-read", func(t *testing.T) {
		reads := 0
		p := writePolicy(retrytest.NewFake(retrytest.Epoch), retry.Unknown, nil, &reads)
		p.Write = false
		att, calls := script(fail, fail, ok)
		if err := p.Do(context.Background(), att); err != nil || *calls != 3 || reads != 0 {
			t.Fatalf("err %v, %d sends, %d re-reads", err, *calls, reads)
		}
	})
}

func TestFakeClockJumpsOnlyWhenEveryWorkerSleeps(t *testing.T) {
	clk := retrytest.NewFake(retrytest.Epoch)
	clk.SetWorkers(2)
	woke := make(chan time.Time, 2)
	go func() { _ = clk.Sleep(context.Background(), 3*time.Second); woke <- clk.Now() }()
	// One of two workers asleep: time stands still.
	deadline := time.Now().Add(5 * time.Second)
	for clk.Sleeping() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("sleeper never registered")
		}
		time.Sleep(time.Millisecond)
	}
	if clk.Now() != retrytest.Epoch {
		t.Fatalf("time moved to %v with one worker awake", clk.Now())
	}
	// The second worker sleeps 5 s: time jumps to the first wake (3 s),
	// then, with one worker left, to 5 s.
	go func() { _ = clk.Sleep(context.Background(), 5*time.Second); woke <- clk.Now() }()
	first := <-woke
	clk.Leave()
	second := <-woke
	if first.Sub(retrytest.Epoch) != 3*time.Second || second.Sub(retrytest.Epoch) != 5*time.Second {
		t.Fatalf("woke at +%v and +%v, want +3s and +5s", first.Sub(retrytest.Epoch), second.Sub(retrytest.Epoch))
	}
}

func TestSystemSleepHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := retry.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep on a cancelled context = %v", err)
	}
	if err := retry.System.Sleep(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
}
