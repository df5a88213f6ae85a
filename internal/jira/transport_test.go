package jira

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/config"
)

func appFor(t *testing.T, base string, extra map[string]any, opts config.Options) config.AppConfig {
	t.Helper()
	app := map[string]any{"token": testEmail + ":" + testToken, "siteName": "acme", "baseUrl": base, "maxRetries": 3}
	for k, v := range extra {
		app[k] = v
	}
	b, _ := json.Marshal(map[string]any{"appConfig": app, "output": map[string]any{}})
	job, err := config.Parse(b, opts)
	if err != nil {
		t.Fatal(err)
	}
	return job.AppConfig
}

func TestTransportSettings(t *testing.T) {
	app := appFor(t, "https://x.example", map[string]any{"maxConnections": 7, "disableCompression": true}, config.Options{})
	c, err := New(Options{App: app})
	if err != nil {
		t.Fatal(err)
	}
	tr := c.http.Transport.(*http.Transport)
	if tr.MaxConnsPerHost != 7 || tr.MaxIdleConnsPerHost != 7 || !tr.DisableCompression {
		t.Fatalf("transport %d %d %v", tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost, tr.DisableCompression)
	}
	if tr.TLSClientConfig != nil && tr.TLSClientConfig.InsecureSkipVerify {
		t.Fatal("TLS checks off by default")
	}
}

func TestInsecureSkipVerifyWarnsAndWorks(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, myselfJSON) }))
	defer srv.Close()

	// Without the flag the self-signed certificate fails at once, no retries.
	strict, err := New(Options{App: appFor(t, srv.URL, nil, config.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	_, err = strict.Detect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "TLS certificate is not trusted") {
		t.Fatalf("strict: %v", err)
	}
	// The handshake failed: nothing went on the wire, and nothing was retried.
	if req, retries, _ := strict.Counts(); req != 0 || retries != 0 {
		t.Fatalf("certificate error: %d requests, %d retries", req, retries)
	}

	logs := &simtest.SyncBuffer{}
	app := appFor(t, srv.URL, map[string]any{"insecureSkipVerify": true}, config.Options{AllowInsecure: true})
	c, err := New(Options{App: app, Logger: newTextLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "TLS CERTIFICATE VERIFICATION IS OFF") {
		t.Fatalf("no loud warning: %q", logs.String())
	}
	if _, err := c.Detect(context.Background()); err != nil {
		t.Fatalf("insecure: %v", err)
	}
}

func TestNewRefusesMissingCredentials(t *testing.T) {
	if _, err := New(Options{App: config.AppConfig{SiteName: "acme"}}); err == nil {
		t.Fatal("New accepted an appConfig without token")
	}
}

// The connection pool follows appConfig.concurrency unless maxConnections
// is set (zero means unset); an explicit pool smaller than the concurrency
// is warned about, since it caps the requests in flight.
func TestPoolFollowsConcurrency(t *testing.T) {
	pool := func(conc, maxConns int) (int, string) {
		logs := &simtest.SyncBuffer{}
		app := appFor(t, "https://x.example", map[string]any{"concurrency": conc}, config.Options{})
		app.MaxConnections = maxConns
		c, err := New(Options{App: app, Logger: newTextLogger(logs)})
		if err != nil {
			t.Fatal(err)
		}
		tr := c.http.Transport.(*http.Transport)
		if tr.MaxIdleConnsPerHost != tr.MaxConnsPerHost || c.InFlightLimit() != conc {
			t.Fatalf("idle pool %d, pool %d, in flight %d", tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost, c.InFlightLimit())
		}
		return tr.MaxConnsPerHost, logs.String()
	}
	if n, logs := pool(16, 0); n != 16 || strings.Contains(logs, "WARN") {
		t.Fatalf("concurrency 16, maxConnections unset: pool %d, logs %q", n, logs)
	}
	if n, _ := pool(4, 0); n != config.DefaultMaxConnections {
		t.Fatalf("concurrency 4, maxConnections unset: pool %d, want the default %d", n, config.DefaultMaxConnections)
	}
	if n, logs := pool(16, 4); n != 4 || !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "maxConnections") {
		t.Fatalf("explicit pool 4 under concurrency 16: pool %d, logs %q", n, logs)
	}
	if n, logs := pool(8, 32); n != 32 || strings.Contains(logs, "WARN") {
		t.Fatalf("explicit pool 32: %d, logs %q", n, logs)
	}
}
