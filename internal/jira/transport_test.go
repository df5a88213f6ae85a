package jira

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/secret"
)

// optsFor returns the options the job file's defaults give a client of
// base, with maxRetries 3.
func optsFor(base string) Options {
	return Options{SiteURL: base, SiteName: "acme", Email: testEmail, APIToken: secret.New(testToken),
		RequestsPerSecond: 100, Burst: 20, Concurrency: DefaultConcurrency, MaxRetries: 3, Timeout: 30 * time.Second}
}

func TestTransportSettings(t *testing.T) {
	app := optsFor("https://x.example")
	app.MaxConnections, app.DisableCompression = 7, true
	c, err := New(app)
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
	strict, err := New(optsFor(srv.URL))
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
	app := optsFor(srv.URL)
	app.InsecureSkipVerify, app.Logger = true, newTextLogger(logs)
	c, err := New(app)
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
	if _, err := New(Options{SiteURL: "https://acme.atlassian.net", SiteName: "acme"}); err == nil {
		t.Fatal("New accepted an appConfig without token")
	}
}

// The connection pool follows appConfig.concurrency unless maxConnections
// is set (zero means unset); an explicit pool smaller than the concurrency
// is warned about, since it caps the requests in flight.
func TestPoolFollowsConcurrency(t *testing.T) {
	pool := func(conc, maxConns int) (int, string) {
		logs := &simtest.SyncBuffer{}
		app := optsFor("https://x.example")
		app.Concurrency, app.MaxConnections, app.Logger = conc, maxConns, newTextLogger(logs)
		c, err := New(app)
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
	if n, _ := pool(4, 0); n != DefaultMaxConnections {
		t.Fatalf("concurrency 4, maxConnections unset: pool %d, want the default %d", n, DefaultMaxConnections)
	}
	if n, logs := pool(16, 4); n != 4 || !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "maxConnections") {
		t.Fatalf("explicit pool 4 under concurrency 16: pool %d, logs %q", n, logs)
	}
	if n, logs := pool(8, 32); n != 32 || strings.Contains(logs, "WARN") {
		t.Fatalf("explicit pool 32: %d, logs %q", n, logs)
	}
}
