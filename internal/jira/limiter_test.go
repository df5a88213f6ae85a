package jira

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/govextract/jira-extractor/internal/jira/throttle"
	"github.com/govextract/jira-extractor/internal/retry/retrytest"
	"github.com/govextract/jira-extractor/internal/testsupport/poll"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, what, cond)
}

func throttledCount(c *Client) int64 { _, _, th := c.Counts(); return th }

// A server with its own token bucket per endpoint answers 429 (Retry-After
// 1, like Jira for a 100/s bucket) when it is empty. Many goroutines pushing
// far above its rate all succeed in the end: no request is lost.
func TestThrottleStormNoLostRequests(t *testing.T) {
	clk := retrytest.NewFake(retrytest.Epoch)
	bucket := rate.NewLimiter(100, 10) // on the fake clock too
	var served sync.Map
	srv, _ := serveClock(t, clk, func(w http.ResponseWriter, r *http.Request, n int) {
		if !bucket.AllowN(clk.Now(), 1) {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("RateLimit-Reason", "jira-burst-based")
			w.Header().Set("X-RateLimit-Limit", "100")
			w.Header().Set("X-RateLimit-Remaining", "0")
			jiraError(w, 429, "Rate limit exceeded.")
			return
		}
		start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
		served.Store(start, true)
		writeJSON(w, 200, usersJSON(1, start))
	})
	c := newClient(t, srv.URL, clientOpts{rps: 2000, burst: 100, retries: 6, slowBackof: true, clock: clk, concurrency: 16})
	const workers, each = 12, 10
	clk.SetWorkers(workers)
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for wkr := 0; wkr < workers; wkr++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer clk.Leave()
			for i := 0; i < each; i++ {
				start := wkr*each + i
				users, err := c.UsersPage(context.Background(), start, 1)
				if err == nil && (len(users) != 1 || users[0].AccountID != "u"+strconv.Itoa(start)) {
					err = errors.New("wrong page for startAt " + strconv.Itoa(start))
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := 0; i < workers*each; i++ {
		if _, ok := served.Load(i); !ok {
			t.Fatalf("startAt %d never served", i)
		}
	}
	req, retries, throttled := c.Counts()
	if throttled == 0 || retries != throttled || req != int64(workers*each)+retries {
		t.Fatalf("requests %d retries %d throttled %d", req, retries, throttled)
	}
	const route = "GET /rest/api/3/users/search"
	if r := c.lim.RouteLimit(route); r >= c.lim.Base() || r < c.lim.Base()*throttle.RouteMinFraction {
		t.Fatalf("route rate after 429s = %v, want slowed within [%v, %v)", r, c.lim.Base()*throttle.RouteMinFraction, c.lim.Base())
	}
	if c.lim.Limit() != c.lim.Base() {
		t.Fatalf("burst 429s cut the global rate to %v", c.lim.Limit())
	}
	t.Logf("requests %d retries %d throttled %d, final route rate %.0f/s", req, retries, throttled, c.lim.RouteLimit(route))
	st := c.Stats()
	if st.Throttled != throttled || st.ByEndpoint["GET /rest/api/3/users/search"] != req {
		t.Fatalf("stats %+v", st)
	}
}

// The retry after a 429 with Retry-After: N comes at least N seconds after
// the 429 left the server.
func TestRetryAfterIsTheMinimumWait(t *testing.T) {
	for _, ra := range []string{"1", "1.5"} {
		clk := retrytest.NewFake(retrytest.Epoch)
		var sent atomic.Int64
		srv, rec := serveClock(t, clk, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				w.Header().Set("Retry-After", ra)
				sent.Store(clk.Now().UnixNano())
				jiraError(w, 429, "slow down")
				return
			}
			writeJSON(w, 200, map[string]any{"version": "x"})
		})
		c := newClient(t, srv.URL, clientOpts{retries: 2, clock: clk})
		if _, err := c.ServerInfo(context.Background()); err != nil {
			t.Fatal(err)
		}
		h := rec.all()
		want, _ := strconv.ParseFloat(ra, 64)
		gap := h[1].at.Sub(time.Unix(0, sent.Load()))
		if len(h) != 2 || gap < time.Duration(want*float64(time.Second)) || gap > time.Duration(want*retryAfterJitter*float64(time.Second)) {
			t.Fatalf("Retry-After %s: %d requests, retry after %v", ra, len(h), gap)
		}
	}
}

// A quota 429 pauses every request, on every endpoint, until
// X-RateLimit-Reset (here without Retry-After). A reason the client does not
// know (a cost budget, a new system) is treated as a quota: pausing too much
// costs a few seconds, hammering a spent budget costs the whole run.
func TestQuotaPausesEverythingUntilReset(t *testing.T) {
	for _, reason := range []string{"jira-quota-tenant-based", "jira-quota-global-based", "jira-cost-based", "jira-something-new"} {
		t.Run(reason, func(t *testing.T) { testQuotaPause(t, reason) })
	}
}

func testQuotaPause(t *testing.T, reason string) {
	clk := retrytest.NewFake(retrytest.Epoch)
	var reset atomic.Int64
	srv, rec := serveClock(t, clk, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			rs := clk.Now().Add(1200 * time.Millisecond).Truncate(time.Second).Add(time.Second)
			reset.Store(rs.UnixNano())
			w.Header().Set("X-RateLimit-Reset", rs.UTC().Format(time.RFC3339))
			w.Header().Set("RateLimit-Reason", reason)
			jiraError(w, 429, "quota")
			return
		}
		switch r.URL.Path {
		case "/rest/api/3/users/search":
			writeJSON(w, 200, usersJSON(1, 0))
		case "/rest/api/3/group/bulk":
			writeJSON(w, 200, map[string]any{"values": []any{}, "isLast": true})
		case "/admin/v2/orgs/org-1/directories/-/groups":
			writeJSON(w, 200, map[string]any{"data": []any{}})
		default:
			writeJSON(w, 200, map[string]any{})
		}
	})
	c := newClient(t, srv.URL, clientOpts{retries: 2, clock: clk})
	// Five workers: the four callers and this test, until it has started
	// them all; time moves only once all four wait.
	clk.SetWorkers(5)
	done := make(chan error, 4)
	leave := func(err error) { clk.Leave(); done <- err }
	go func() { _, err := c.UsersPage(context.Background(), 0, 1); leave(err) }()
	waitFor(t, "the quota 429", func() bool { return throttledCount(c) == 1 })
	go func() { _, err := c.GroupsPage(context.Background(), 0, 50); leave(err) }()
	go func() { _, err := c.ServerInfo(context.Background()); leave(err) }()
	go func() { _, _, err := c.OrgGroupsPage(context.Background(), ""); leave(err) }()
	clk.Leave()
	for i := 0; i < 4; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	rs := time.Unix(0, reset.Load())
	h := rec.all()
	if len(h) != 5 {
		t.Fatalf("%d requests, want 5", len(h))
	}
	for _, x := range h[1:] {
		if x.at.Before(rs) {
			t.Errorf("%s sent %v before the quota reset", x.path, rs.Sub(x.at))
		}
	}
}

// A burst 429 (or one with no reason) slows only its endpoint's
// own rate: another endpoint is served at once and keeps its full rate, the
// global rate is not cut, and the throttled request is retried only after
// Retry-After.
func TestBurstSlowsOnlyThatEndpoint(t *testing.T) {
	for _, reason := range []string{"jira-burst-based", "jira-per-issue-on-write", ""} {
		t.Run(reason, func(t *testing.T) {
			clk := retrytest.NewFake(retrytest.Epoch)
			var sent atomic.Int64
			srv, rec := serveClock(t, clk, func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 {
					w.Header().Set("Retry-After", "1")
					if reason != "" {
						w.Header().Set("RateLimit-Reason", reason)
					}
					sent.Store(clk.Now().UnixNano())
					jiraError(w, 429, "burst")
					return
				}
				writeJSON(w, 200, map[string]any{"values": []any{}, "isLast": true})
			})
			c := newClient(t, srv.URL, clientOpts{retries: 2, clock: clk})
			clk.SetWorkers(2) // the throttled caller and this test
			done := make(chan error, 2)
			go func() { _, err := c.GroupMembersPage(context.Background(), "g", true, 0, 50); done <- err }()
			waitFor(t, "the burst 429", func() bool { return throttledCount(c) == 1 })
			if _, err := c.ServerInfo(context.Background()); err != nil {
				t.Fatal(err)
			}
			// Checked well within the second before the route may recover.
			lim := c.Limiter()
			if r := lim.RouteLimit("GET /rest/api/3/group/member"); r != lim.Base()*throttle.RouteSlowFactor {
				t.Fatalf("throttled route's rate %v, want %v", r, lim.Base()*throttle.RouteSlowFactor)
			}
			if r := lim.RouteLimit("GET /rest/api/3/serverInfo"); !math.IsInf(r, 1) {
				t.Fatalf("other route slowed to %v", r)
			}
			if lim.Limit() != lim.Base() {
				t.Fatalf("global rate cut to %v by a burst 429", lim.Limit())
			}
			clk.Leave()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			t429 := time.Unix(0, sent.Load())
			h := rec.all()
			if len(h) != 3 || h[1].path != "/rest/api/3/serverInfo" || h[2].path != "/rest/api/3/group/member" {
				t.Fatalf("order %+v", h)
			}
			if d := h[1].at.Sub(t429); d != 0 {
				t.Errorf("other endpoint waited %v", d)
			}
			if d := h[2].at.Sub(t429); d < time.Second {
				t.Errorf("throttled endpoint retried after %v", d)
			}
		})
	}
}

func TestNearLimitSlowsDown(t *testing.T) {
	near := func(on bool) (float64, int64) {
		srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if on {
				w.Header().Set("X-RateLimit-NearLimit", "true")
			}
			writeJSON(w, 200, map[string]any{})
		})
		c := newClient(t, srv.URL, clientOpts{rps: 200, burst: 5})
		for i := 0; i < 10; i++ {
			if _, err := c.ServerInfo(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		_, _, th := c.Counts()
		return c.lim.Limit(), th
	}
	if got, _ := near(false); got != 200 {
		t.Fatalf("without NearLimit the rate changed to %v", got)
	}
	got, th := near(true)
	if got > 200*0.8 || th != 0 {
		t.Fatalf("with NearLimit the rate is %v (throttled %d), want <= 160", got, th)
	}
}

func TestThrottleRetriesAreBounded(t *testing.T) {
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "0")
		jiraError(w, 429, "always")
	})
	c := newClient(t, srv.URL, clientOpts{retries: 1})
	_, err := c.ApplicationRoles(context.Background())
	var re *RetryError
	var ae *APIError
	if !errors.As(err, &re) || !errors.As(err, &ae) || ae.Status != 429 || re.Endpoint != "GET /rest/api/3/applicationrole" {
		t.Fatalf("err = %v", err)
	}
	if n := len(rec.all()); n != 1+ThrottleRetryFactor*1 {
		t.Fatalf("%d requests, want %d", n, 1+ThrottleRetryFactor)
	}
}

func TestCancelStopsQuotaPause(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "3600")
		w.Header().Set("RateLimit-Reason", "jira-quota-global-based")
		jiraError(w, 429, "quota")
	})
	c := newClient(t, srv.URL, clientOpts{retries: 2})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.ServerInfo(ctx); done <- err }()
	waitFor(t, "the quota 429", func() bool { return throttledCount(c) == 1 })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not end the pause")
	}
}
