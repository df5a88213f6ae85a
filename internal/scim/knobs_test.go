package scim_test

import (
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/retry"
	"github.com/govextract/jira-extractor/internal/retry/retrytest"
	"github.com/govextract/jira-extractor/internal/scim"
)

// clientOf builds a client of base with o's knobs, the directory API key
// unless o.Auth is set, a fake clock, and a 3 s backoff without jitter
// unless o.Backoff is set.
func clientOf(t *testing.T, base string, o scim.Options) (*scim.Client, *retrytest.Fake) {
	t.Helper()
	clk := retrytest.NewFake(retrytest.Epoch)
	o.BaseURL, o.Clock = base, clk
	if o.Auth.Kind == "" {
		o.Auth = bearer()
	}
	if o.Backoff == nil {
		o.Backoff = &retry.Backoff{Base: 3 * time.Second, Cap: 3 * time.Second}
	}
	c, err := scim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, clk
}

// counting serves h and counts its requests.
func counting(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func scimJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// gzipSim serves the simulator's handler and gzips every answer whose
// request accepts gzip; it records each request's Accept-Encoding.
func gzipSim(t *testing.T, srv *sim.Server) (string, func() (gzipped, plain int)) {
	t.Helper()
	var mu sync.Mutex
	var gz, plain int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			mu.Lock()
			plain++
			mu.Unlock()
			srv.Handler().ServeHTTP(w, r)
			return
		}
		mu.Lock()
		gz++
		mu.Unlock()
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, r)
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Del("Content-Length")
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(rec.Code)
		zw := gzip.NewWriter(w)
		_, _ = zw.Write(rec.Body.Bytes())
		_ = zw.Close()
	}))
	t.Cleanup(ts.Close)
	return ts.URL, func() (int, int) { mu.Lock(); defer mu.Unlock(); return gz, plain }
}

// By default the client asks for gzip and reads the compressed answers
// exactly; with disableCompression it asks for none.
func TestCompression(t *testing.T) {
	for _, off := range []bool{false, true} {
		srv, err := sim.New(sim.Config{Seed: 7, SCIM: sim.SCIMConfig{PageSize: 40}})
		if err != nil {
			t.Fatal(err)
		}
		url, counts := gzipSim(t, srv)
		c, _ := clientOf(t, srv.SCIMBaseURL(url, 2), scim.Options{ReadSchema: true, DisableCompression: off})
		got, _ := extract(t, c)
		requireExact(t, srv.SCIMTruth(), got)
		gz, plain := counts()
		if off && (gz != 0 || plain == 0) || !off && (gz == 0 || plain != 0) {
			t.Fatalf("disableCompression %v: %d gzipped answers, %d plain", off, gz, plain)
		}
	}
}

// requestsPerSecond and burst pace the requests: after the burst, one
// request per 1/rate (on the fake clock).
func TestRateLimit(t *testing.T) {
	srv, n := counting(t, func(w http.ResponseWriter, r *http.Request) { scimJSON(w, 200, `{"id":"u1"}`) })
	for _, tc := range []struct {
		rps   float64
		burst int
		want  time.Duration
	}{
		{4, 1, 2 * time.Second},          // 8 waits of 250 ms
		{4, 5, time.Second},              // 4 waits
		{1000, 20, 0 * time.Millisecond}, // no wait
	} {
		c, clk := clientOf(t, srv.URL, scim.Options{RequestsPerSecond: tc.rps, Burst: tc.burst})
		start, before := clk.Now(), n.Load()
		for range 9 {
			if _, err := c.GetUser(context.Background(), "u1"); err != nil {
				t.Fatal(err)
			}
		}
		if took := clk.Since(start); took < tc.want-time.Millisecond || took > tc.want+50*time.Millisecond || n.Load()-before != 9 {
			t.Errorf("%v/s, burst %d: 9 requests took %s, want %s (%d sent)", tc.rps, tc.burst, took, tc.want, n.Load()-before)
		}
	}
}

// A 429 is retried after its Retry-After (seconds or a date), or after
// the backoff when it has none; a read that stays throttled fails, naming
// the 429. A write answered 429 is not re-sent: the caller gets the wait.
func TestTooManyRequests(t *testing.T) {
	for _, tc := range []struct {
		name       string
		retryAfter string
		waited     time.Duration // by the two 429s, at least
	}{
		{"Retry-After seconds", "7", 14 * time.Second},
		{"Retry-After date", retrytest.Epoch.Add(9 * time.Second).Format(http.TimeFormat), 9 * time.Second},
		{"no Retry-After", "", 6 * time.Second}, // the 3 s backoff twice
	} {
		t.Run(tc.name, func(t *testing.T) {
			var gets atomic.Int64
			srv, n := counting(t, func(w http.ResponseWriter, r *http.Request) {
				if gets.Add(1) <= 2 { // the first two answers are 429s
					if tc.retryAfter != "" {
						w.Header().Set("Retry-After", tc.retryAfter)
					}
					scimJSON(w, 429, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"429","detail":"Too many requests"}`)
					return
				}
				scimJSON(w, 200, `{"id":"u1"}`)
			})
			c, clk := clientOf(t, srv.URL, scim.Options{MaxRetries: 3, RequestsPerSecond: 1000, Burst: 100})
			start := clk.Now()
			if _, err := c.GetUser(context.Background(), "u1"); err != nil {
				t.Fatal(err)
			}
			st := c.Stats()
			if n.Load() != 3 || st.Throttled != 2 || st.Retries != 2 {
				t.Fatalf("%d requests, stats %+v; want 3 requests, 2 throttled and retried", n.Load(), st)
			}
			if took := clk.Since(start); took < tc.waited {
				t.Fatalf("two 429s waited %s in all, want at least %s (sleeps %v)", took, tc.waited, clk.Sleeps())
			}
		})
	}

	always, n := counting(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			w.Header().Set("Retry-After", "7")
		}
		scimJSON(w, 429, `{"detail":"Too many requests"}`)
	})
	c, _ := clientOf(t, always.URL, scim.Options{MaxRetries: 2})
	_, err := c.GetUser(context.Background(), "u1")
	if err == nil || !strings.Contains(err.Error(), "429") || n.Load() < 3 || n.Load() > 11 {
		t.Fatalf("always 429: %d requests, err %v", n.Load(), err)
	}
	before := n.Load()
	res := c.SetActive(context.Background(), "u1", false)
	if res.Class != scim.WriteThrottled || res.RetryAfter != 7*time.Second || n.Load()-before != 1 {
		t.Fatalf("write answered 429: %+v after %d requests; want throttled, Retry-After 7s, sent once", res, n.Load()-before)
	}
}
