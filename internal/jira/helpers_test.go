package jira

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/retry"
	"github.com/govextract/jira-extractor/internal/retry/retrytest"
	"github.com/govextract/jira-extractor/internal/secret"
)

const (
	testEmail  = "me@example.com"
	testToken  = "tok-SECRET-1234567890"
	testOrgKey = "orgkey-SECRET-abcdef"
)

// clientOpts tweak the job file of a test client.
type clientOpts struct {
	rps        float64
	burst      int
	retries    int
	timeout    string
	noOrg      bool
	gateway    string
	admin      string
	logBuf     *simtest.SyncBuffer
	slowBackof bool // keep the production backoff
	// concurrency is appConfig.concurrency (0: the default).
	concurrency int
	// clock, if set, drives backoff, Retry-After and the rate limiter.
	clock *retrytest.Fake
	// email, token, orgID, orgKey override the test credentials.
	email, token, orgID, orgKey string
}

// newClient builds a client against base (site, gateway and admin all on
// base unless overridden) with fast backoff.
func newClient(t *testing.T, base string, o clientOpts) *Client {
	t.Helper()
	if o.rps == 0 {
		o.rps = 1000
	}
	if o.burst == 0 {
		o.burst = 100
	}
	if o.timeout == "" {
		o.timeout = "5s"
	}
	if o.email == "" {
		o.email, o.token = testEmail, testToken
	}
	if o.orgID == "" {
		o.orgID, o.orgKey = "org-1", testOrgKey
	}
	timeout, err := time.ParseDuration(o.timeout)
	if err != nil {
		t.Fatalf("timeout: %v", err)
	}
	opts := Options{
		SiteURL: base, GatewayURL: base, AdminURL: o.admin, SiteName: "acme",
		Email: o.email, APIToken: secret.New(o.token),
		RequestsPerSecond: o.rps, Burst: o.burst, Concurrency: o.concurrency,
		MaxRetries: o.retries, Timeout: timeout, Version: "test",
	}
	if o.gateway != "" {
		opts.GatewayURL = o.gateway
	}
	if !o.noOrg {
		opts.OrgID, opts.OrgAPIKey = o.orgID, secret.New(o.orgKey)
	}
	if o.logBuf != nil {
		opts.Logger = newTextLogger(o.logBuf)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if !o.slowBackof {
		c.backoff = backoffPolicy{
			throttle: retry.Backoff{Base: 20 * time.Millisecond, Cap: 80 * time.Millisecond, JitterMin: 0.7, JitterMax: 1.3},
			failure:  retry.Backoff{Base: 2 * time.Millisecond, Cap: 10 * time.Millisecond, JitterMin: 0.7, JitterMax: 1.3},
			minWait:  time.Millisecond, maxWait: time.Minute,
		}
	}
	if o.clock != nil {
		c.setClock(o.clock)
	}
	return c
}

func newTextLogger(b *simtest.SyncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// hit is one request as the test server saw it.
type hit struct {
	at    time.Time
	path  string
	query string
	auth  string
	ua    string
}

// recorder records requests; handlers decide the answer.
type recorder struct {
	mu   sync.Mutex
	hits []hit
	now  func() time.Time // nil: time.Now
}

func (r *recorder) add(req *http.Request) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now
	if r.now != nil {
		now = r.now
	}
	r.hits = append(r.hits, hit{at: now(), path: req.URL.Path, query: req.URL.RawQuery,
		auth: req.Header.Get("Authorization"), ua: req.Header.Get("User-Agent")})
	return len(r.hits)
}

func (r *recorder) all() []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hit(nil), r.hits...)
}

// count is how many requests went to path.
func (r *recorder) count(path string) int {
	n := 0
	for _, h := range r.all() {
		if h.path == path {
			n++
		}
	}
	return n
}

// serve starts a test server whose handler gets the request number (from 1).
func serve(t *testing.T, h func(w http.ResponseWriter, r *http.Request, n int)) (*httptest.Server, *recorder) {
	t.Helper()
	return serveClock(t, nil, h)
}

// serveClock is serve with the recorder's times taken from clk (nil: real
// time).
func serveClock(t *testing.T, clk *retrytest.Fake, h func(w http.ResponseWriter, r *http.Request, n int)) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{}
	if clk != nil {
		rec.now = clk.Now
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(w, r, rec.add(r))
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func jiraError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"errorMessages": []string{msg}, "errors": map[string]string{}, "status": status})
}

func usersJSON(n, from int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"accountId": fmt.Sprintf("u%d", from+i), "accountType": "atlassian", "active": true, "displayName": "U"}
	}
	return out
}
