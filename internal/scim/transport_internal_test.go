package scim

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/secret"
)

// knobClient builds a client of an unused base with o's knobs and a text
// logger into the returned buffer.
func knobClient(t *testing.T, o Options) (*Client, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	o.BaseURL = "https://scim.example/scim/v2"
	o.Auth = Auth{Kind: AuthBearer, Token: secret.New("knob-token-123")}
	o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, &logs
}

func transportOf(t *testing.T, hc *http.Client) *http.Transport {
	t.Helper()
	tr, ok := hc.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport %T", hc.Transport)
	}
	return tr
}

// The transport follows the knobs as appConfig's does: the pool,
// compression, and TLS checks on unless insecureSkipVerify (with a loud
// warning naming the setting). The OAuth token endpoint's client shares
// the transport, so the knobs hold for it too.
func TestTransportFollowsKnobs(t *testing.T) {
	c, logs := knobClient(t, Options{MaxConnections: 12, DisableCompression: true})
	tr := transportOf(t, c.hc)
	if tr.MaxConnsPerHost != 12 || tr.MaxIdleConnsPerHost != 12 || !tr.DisableCompression {
		t.Fatalf("transport: pool %d, idle %d, compression off %v", tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost, tr.DisableCompression)
	}
	if tr.TLSClientConfig != nil && tr.TLSClientConfig.InsecureSkipVerify {
		t.Fatal("TLS checks off by default")
	}
	if c.auth.hc.Transport != c.hc.Transport || c.auth.hc.CheckRedirect == nil {
		t.Fatal("the token endpoint's client does not share the transport, or follows redirects freely")
	}
	if strings.Contains(logs.String(), "WARN") {
		t.Fatalf("warning without cause: %s", logs)
	}
	if d, _ := knobClient(t, Options{}); transportOf(t, d.hc).DisableCompression {
		t.Fatal("compression off by default")
	}

	c, logs = knobClient(t, Options{InsecureSkipVerify: true})
	if tr := transportOf(t, c.hc); tr.TLSClientConfig == nil || !tr.TLSClientConfig.InsecureSkipVerify {
		t.Fatal("insecureSkipVerify did not turn the checks off")
	}
	if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "TLS CERTIFICATE VERIFICATION IS OFF") || !strings.Contains(l, "scim.insecureSkipVerify") {
		t.Fatalf("no loud warning naming the setting: %q", l)
	}
}

// The pool follows scim.concurrency (at least 10) unless maxConnections
// is set; an explicit pool below the concurrency is warned about.
func TestPoolFollowsConcurrency(t *testing.T) {
	for _, tc := range []struct {
		conc, maxConns, pool int
		warn                 bool
	}{
		{16, 0, 16, false},
		{4, 0, DefaultMaxConnections, false},
		{16, 4, 4, true},
		{8, 32, 32, false},
		{0, 0, DefaultMaxConnections, false}, // default concurrency 8
	} {
		c, logs := knobClient(t, Options{Concurrency: tc.conc, MaxConnections: tc.maxConns})
		tr := transportOf(t, c.hc)
		warned := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "scim.maxConnections")
		if tr.MaxConnsPerHost != tc.pool || tr.MaxIdleConnsPerHost != tc.pool || warned != tc.warn {
			t.Errorf("concurrency %d, maxConnections %d: pool %d (idle %d), warned %v; want %d, %v\n%s",
				tc.conc, tc.maxConns, tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost, warned, tc.pool, tc.warn, logs)
		}
		want := tc.conc
		if want == 0 {
			want = DefaultConcurrency
		}
		if cap(c.sem) != want {
			t.Errorf("concurrency %d: %d requests in flight at most", tc.conc, cap(c.sem))
		}
	}
}

// The defaults are appConfig's: 100 requests a second, a burst of 20, 8
// in flight, a 30 s timeout.
func TestDefaultsAreAppConfigs(t *testing.T) {
	c, _ := knobClient(t, Options{})
	if c.lim.Base() != 100 || c.lim.Burst() != 20 || cap(c.sem) != 8 || c.o.Timeout.String() != "30s" {
		t.Fatalf("rate %v, burst %d, in flight %d, timeout %s", c.lim.Base(), c.lim.Burst(), cap(c.sem), c.o.Timeout)
	}
}
