package jira

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/retry/retrytest"
)

func TestResetParsing(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 14, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"2026-11-22T10:15Z":             time.Minute,
		"2026-11-22T10:15:30Z":          90 * time.Second,
		"2026-11-22T10:15:30.500Z":      90*time.Second + 500*time.Millisecond,
		"2026-11-22T11:15+01:00":        time.Minute,
		"2026-11-22T11:15:00+0100":      time.Minute,
		"2026-11-22T11:15+0100":         time.Minute,
		"2026-11-22T10:15":              time.Minute,
		"2026-11-22T10:15:05":           65 * time.Second,
		"1795342500":                    time.Unix(1795342500, 0).Sub(now),
		"2026-11-22T10:13Z":             -1, // in the past: not usable
		"tomorrow":                      -1,
		"":                              -1,
		"2026-11-22 10:15:00Z":          time.Minute,
		"2026-11-22T10:15:00.000+00:00": time.Minute,
	}
	for v, want := range cases {
		h := http.Header{"X-Ratelimit-Reset": {v}}
		got, ok := resetIn(h, now)
		if want < 0 {
			if ok {
				t.Errorf("reset %q = %v, want unusable", v, got)
			}
			continue
		}
		if !ok || got != want {
			t.Errorf("reset %q = %v,%v want %v", v, got, ok, want)
		}
	}
	// Clock skew: the server's Date (whole seconds, so the server's time is
	// at least Date) is trusted when it gives a longer wait.
	h := http.Header{"X-Ratelimit-Reset": {"2026-11-22T10:15Z"}, "Date": {now.Add(-30 * time.Second).Format(http.TimeFormat)}}
	if got, _ := resetIn(h, now); got != 89*time.Second {
		t.Errorf("with server Date 30s behind: %v, want 89s", got)
	}
	// Clocks that agree: the Date's truncation adds nothing.
	h = http.Header{"X-Ratelimit-Reset": {"2026-11-22T10:14:02Z"}, "Date": {now.Format(http.TimeFormat)}}
	if got, _ := resetIn(h, now.Add(700*time.Millisecond)); got != 1300*time.Millisecond {
		t.Errorf("with agreeing clocks: %v, want 1.3s", got)
	}
}

func TestBackoffBoundsAndJitter(t *testing.T) {
	b := defaultBackoff
	for n := 1; n <= 8; n++ {
		quotaWant := min(2*time.Second<<(n-1), 30*time.Second)
		burstWant := min(time.Second<<(n-1), 8*time.Second)
		for i := 0; i < 200; i++ {
			for _, c := range []struct {
				quota bool
				want  time.Duration
			}{{true, quotaWant}, {false, burstWant}} {
				d, src := b.throttled(http.Header{}, time.Now(), n, c.quota)
				if src != "backoff" || d < time.Duration(0.7*float64(c.want)) || d > time.Duration(1.3*float64(c.want)) {
					t.Fatalf("n=%d quota=%v: %v (%s), want %v ×[0.7,1.3]", n, c.quota, d, src, c.want)
				}
			}
			f := b.failure.Delay(n)
			fw := min(200*time.Millisecond<<(n-1), 10*time.Second)
			if f < time.Duration(0.7*float64(fw)) || f > time.Duration(1.3*float64(fw)) {
				t.Fatalf("failure n=%d: %v, want %v ×[0.7,1.3]", n, f, fw)
			}
		}
	}
	// Retry-After is the minimum, never shortened by jitter.
	for i := 0; i < 200; i++ {
		d, src := b.throttled(http.Header{"Retry-After": {"1"}}, time.Now(), 5, false)
		if src != "retry-after" || d < time.Second || d > time.Duration(retryAfterJitter*float64(time.Second)) {
			t.Fatalf("Retry-After 1: %v (%s)", d, src)
		}
	}
	// Retry-After wins over X-RateLimit-Reset.
	h := http.Header{"Retry-After": {"1"}, "X-Ratelimit-Reset": {time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}}
	if _, src := b.throttled(h, time.Now(), 1, false); src != "retry-after" {
		t.Fatalf("burst: source %s", src)
	}
	// For a quota 429 the later reset wins.
	if d, src := b.throttled(h, time.Now(), 1, true); src != "reset" || d < 59*time.Minute {
		t.Fatalf("quota: %v from %s", d, src)
	}
	// Neither header: exponential backoff.
	if _, src := b.throttled(http.Header{"X-Ratelimit-Reset": {"garbage"}}, time.Now(), 1, true); src != "backoff" {
		t.Fatalf("no usable header: source %s", src)
	}
}

// flaky answers the first `fails` requests with fail, then with users.
func flaky(t *testing.T, fails int, fail func(w http.ResponseWriter, r *http.Request)) (*Client, *recorder) {
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n <= fails {
			fail(w, r)
			return
		}
		writeJSON(w, 200, usersJSON(3, 0))
	})
	return newClient(t, srv.URL, clientOpts{retries: 3, timeout: "1s"}), rec
}

func TestTransientFailuresAreRetried(t *testing.T) {
	failures := map[string]func(w http.ResponseWriter, r *http.Request){
		"500": func(w http.ResponseWriter, r *http.Request) { jiraError(w, 500, "oops") },
		"502 html": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			_, _ = w.Write([]byte("<html>Bad Gateway</html>"))
		},
		"503": func(w http.ResponseWriter, r *http.Request) { jiraError(w, 503, "unavailable") },
		"409": func(w http.ResponseWriter, r *http.Request) { jiraError(w, 409, "try again") },
		"connection reset": func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // RST instead of FIN
			}
			_ = conn.Close()
		},
		"truncated body": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(200)
			_, _ = w.Write([]byte(`[{"accountId":"u0","acc`))
		},
		"malformed json": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`[{"accountId":]`))
		},
		"html 200": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(`<html>login</html>`))
		},
		"timeout": func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // the client gives up after 1s (the shortest appConfig.timeout)
		},
		"slow body": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`[`))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		},
	}
	for name, fail := range failures {
		t.Run(name, func(t *testing.T) {
			c, rec := flaky(t, 2, fail)
			users, err := c.UsersPage(context.Background(), 0, 1000)
			if err != nil {
				t.Fatalf("UsersPage: %v", err)
			}
			if len(users) != 3 || users[0].AccountID != "u0" {
				t.Fatalf("users %+v", users)
			}
			if n := len(rec.all()); n != 3 {
				t.Fatalf("%d requests, want 3", n)
			}
			if req, retries, _ := c.Counts(); req != 3 || retries != 2 {
				t.Fatalf("counts %d requests %d retries", req, retries)
			}
		})
	}
}

func TestRetriesRunOutWithEndpointAndCause(t *testing.T) {
	c, rec := flaky(t, 100, func(w http.ResponseWriter, r *http.Request) { jiraError(w, 503, "maintenance in progress") })
	_, err := c.GroupMembersPage(context.Background(), "g-1", true, 0, 50)
	var re *RetryError
	if !errors.As(err, &re) || re.Attempts != 4 {
		t.Fatalf("err = %v, want RetryError after 4 attempts", err)
	}
	for _, want := range []string{"GET /rest/api/3/group/member", "HTTP 503", "maintenance in progress", "g-1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 503 {
		t.Fatalf("last cause not reachable: %v", err)
	}
	if n := len(rec.all()); n != 4 {
		t.Fatalf("%d requests, want 1 + 3 retries", n)
	}
}

func TestTimeoutRunsOutNamesTimeout(t *testing.T) {
	c, _ := flaky(t, 100, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c.retries = 1
	_, err := c.ServerInfo(context.Background())
	if err == nil || !strings.Contains(err.Error(), "GET /rest/api/3/serverInfo") || !strings.Contains(err.Error(), "appConfig.timeout") {
		t.Fatalf("err = %v", err)
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	cases := []struct {
		status int
		check  func(error) bool
	}{
		{400, func(err error) bool { var ae *APIError; return errors.As(err, &ae) && ae.Status == 400 }},
		{401, IsAuth},
		{403, IsForbidden},
		{404, IsNotFound},
		{405, func(err error) bool { var ae *APIError; return errors.As(err, &ae) && ae.Status == 405 }},
	}
	for _, tc := range cases {
		c, rec := flaky(t, 100, func(w http.ResponseWriter, r *http.Request) { jiraError(w, tc.status, "you cannot") })
		_, err := c.ProjectRole(context.Background(), "10001", 10002)
		if !tc.check(err) {
			t.Errorf("%d: err = %v", tc.status, err)
		}
		if n := len(rec.all()); n != 1 {
			t.Errorf("%d: %d requests, want 1", tc.status, n)
		}
		if err != nil && !strings.Contains(err.Error(), "GET /rest/api/3/project/{id}/role/{roleId}") {
			t.Errorf("%d: error %q does not name the route", tc.status, err)
		}
		if tc.status != 401 && !strings.Contains(err.Error(), "you cannot") {
			t.Errorf("%d: error %q lacks Jira's message", tc.status, err)
		}
	}
}

func TestServiceUnavailableRetryAfterHonoured(t *testing.T) {
	clk := retrytest.NewFake(retrytest.Epoch)
	var first atomic.Int64
	srv, rec := serveClock(t, clk, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			first.Store(clk.Now().UnixNano())
			jiraError(w, 503, "busy")
			return
		}
		writeJSON(w, 200, map[string]any{"version": "1001"})
	})
	c := newClient(t, srv.URL, clientOpts{retries: 2, clock: clk})
	if _, err := c.ServerInfo(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := rec.all()
	if len(h) != 2 {
		t.Fatalf("%d requests", len(h))
	}
	if gap := h[1].at.Sub(time.Unix(0, first.Load())); gap < time.Second || gap > 1200*time.Millisecond {
		t.Fatalf("retried %v after a 503 with Retry-After: 1", gap)
	}
}

func TestCancelStopsBackoffImmediately(t *testing.T) {
	c, _ := flaky(t, 100, func(w http.ResponseWriter, r *http.Request) { jiraError(w, 500, "x") })
	c.backoff.failure.Base, c.backoff.failure.Cap = time.Hour, time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.ServerInfo(ctx); done <- err }()
	// Wait until the first attempt was answered, then cancel during the
	// hour-long backoff.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if req, _, _ := c.Counts(); req == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no request sent")
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if el := time.Since(start); el > time.Second {
			t.Fatalf("cancel took %v", el)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not stop the backoff")
	}
}
