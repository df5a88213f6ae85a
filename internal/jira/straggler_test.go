package jira

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/retry/retrytest"
	"github.com/govextract/jira-extractor/internal/slots"
)

// A retry goes ahead of requests that asked for a slot before it but have
// not been sent yet: with concurrency 1, request A is throttled; while it
// waits, B holds the slot and C queues for it; when B is done the slot
// goes to A's retry, not to C. (A first-come-first-served slot sent C
// first: under a backlog, every retry of an unlucky request queued again
// behind all the new ones.) A holds no slot while it waits.
func TestRetryGoesAheadOfNewRequests(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var order []string
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
		name := string(rune('A' + start))
		mu.Lock()
		order = append(order, name)
		first := name == "A" && len(order) == 1
		mu.Unlock()
		switch {
		case first:
			w.Header().Set("Retry-After", "1")
			w.Header().Set("RateLimit-Reason", "jira-burst-based")
			jiraError(w, 429, "Rate limit exceeded.")
			return
		case name == "B":
			<-release
		}
		writeJSON(w, 200, usersJSON(1, start))
	})
	clk := retrytest.NewFake(retrytest.Epoch)
	clk.SetWorkers(10) // time moves only when the test says
	// No rate limit (rps -1): the 429 slows no route, so B and C wait for
	// nothing but the slot.
	c := newClient(t, srv.URL, clientOpts{rps: -1, retries: 2, clock: clk, concurrency: 1})
	errs := make(chan error, 3)
	get := func(start int) {
		// Each request belongs to work begun now (as the pipeline ranks
		// its work): A's is the oldest, C's the newest.
		ctx := slots.Begin(context.Background())
		go func() { _, err := c.UsersPage(ctx, start, 1); errs <- err }()
	}
	get(0)
	waitFor(t, "A's 429", func() bool { return throttledCount(c) == 1 && clk.Sleeping() == 1 })
	get(1)
	waitFor(t, "B on the wire", func() bool { mu.Lock(); defer mu.Unlock(); return len(order) == 2 })
	get(2)
	waitFor(t, "C queued", func() bool { return c.slots.Waiting() == 1 })
	clk.Advance(2 * time.Second) // A's Retry-After is over
	waitFor(t, "A's retry queued", func() bool { return c.slots.Waiting() == 2 })
	close(release)
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"A", "B", "A", "C"}; !slices.Equal(order, want) {
		t.Fatalf("the server saw %v, want %v", order, want)
	}
}

// With the production backoff, a request that fails again and again while
// the server answers most requests well waits at most about a second
// between its attempts (the full schedule, 200 ms doubling to 10 s, made
// it the run's last straggler); against a server that fails everything
// the waits still grow to the full schedule.
func TestSporadicFailuresKeepBackoffShort(t *testing.T) {
	const fails = 7
	for _, tc := range []struct {
		name     string
		outage   bool
		min, max time.Duration // of the longest wait
	}{
		{"sporadic", false, 700 * time.Millisecond, 1300 * time.Millisecond},
		{"outage", true, 7 * time.Second, 13 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			tries := 0
			srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
				mu.Lock()
				bad := start == 0 && tries < fails || tc.outage && start > 0
				if start == 0 {
					tries++
				}
				mu.Unlock()
				if bad {
					jiraError(w, 500, "Internal server error")
					return
				}
				writeJSON(w, 200, usersJSON(1, start))
			})
			clk := retrytest.NewFake(retrytest.Epoch)
			c := newClient(t, srv.URL, clientOpts{retries: 10, clock: clk, slowBackof: true})
			// Other requests first: 20 good answers, or 20 failures
			// (each after its retries: the server fails everything).
			for i := 1; i <= 20; i++ {
				if _, err := c.UsersPage(context.Background(), i, 1); (err != nil) != tc.outage {
					t.Fatalf("request %d: %v", i, err)
				}
			}
			before := len(clk.Sleeps())
			if _, err := c.UsersPage(context.Background(), 0, 1); err != nil {
				t.Fatal(err)
			}
			waits := clk.Sleeps()[before:]
			if len(waits) != fails {
				t.Fatalf("%d waits %v for %d failures", len(waits), waits, fails)
			}
			if longest := slices.Max(waits); longest < tc.min || longest > tc.max {
				t.Fatalf("waits %v: the longest should be in [%v, %v]", waits, tc.min, tc.max)
			}
		})
	}
}
