package httpx_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/httpx"
	"github.com/govextract/jira-extractor/internal/testsupport/attack"
)

func TestOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://User:Pass@Example.com/a?token=x": "https://example.com:443",
		"http://example.com":                      "http://example.com:80",
		"http://127.0.0.1:8080/p?q":               "http://127.0.0.1:8080",
		"https://[::1]/x":                         "https://[::1]:443",
	} {
		u, _ := url.Parse(in)
		if got := httpx.Origin(u); got != want {
			t.Errorf("Origin(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestCleanText(t *testing.T) {
	in := "a\x1b[31m\tb\r\nc\u202e d\x00" + strings.Repeat("é", 10)
	got := httpx.CleanText(in, 12)
	if strings.ContainsAny(got, "\x1b\x00\r\n\t\u202e") || !strings.HasSuffix(got, "...") || len(got) > 15 || !strings.HasPrefix(got, "a[31m b c d") {
		t.Fatalf("CleanText = %q", got)
	}
	if got := httpx.CleanText("ok", 0); got != "ok" {
		t.Fatalf("CleanText without cap = %q", got)
	}
}

// Built or handed in, a client refuses every redirect by default; with
// SameOrigin it follows one within its origin and refuses any other.
func TestRedirectRules(t *testing.T) {
	final := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	t.Cleanup(final.Close)
	// The first /start is redirected to a relative "/start" (same origin).
	within := attack.Redirect(t, final.URL, attack.Match{Path: "/start"}, http.StatusFound, "", false)
	away := attack.Redirect(t, final.URL, attack.Match{Times: -1}, http.StatusTemporaryRedirect, attack.Foreign(final.URL), false)

	get := func(hc *http.Client, u string) (string, error) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
		resp, err := hc.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), nil
	}
	for name, hc := range map[string]*http.Client{
		"built":     httpx.New(httpx.Options{}),
		"handed in": httpx.Harden(&http.Client{}, httpx.RefuseRedirects),
		"nil":       httpx.Harden(nil, httpx.RefuseRedirects),
	} {
		_, err := get(hc, away.URL+"/x?secret=1")
		// (*url.Error's own text holds the URL: callers drop it.)
		var re *httpx.RedirectError
		if !errors.As(err, &re) || strings.Contains(re.Error(), "secret") || !strings.Contains(re.Error(), attack.Foreign(final.URL)) || re.Status != 307 {
			t.Errorf("%s: err = %v, want a refused redirect naming the origin only", name, err)
		}
	}
	same := httpx.New(httpx.Options{Redirects: httpx.SameOrigin})
	if _, err := get(same, away.URL+"/x"); !httpx.IsRedirect(err) {
		t.Errorf("SameOrigin followed a redirect to another host: %v", err)
	}
	if body, err := get(same, within.URL+"/start"); err != nil || body != "ok" {
		t.Errorf("SameOrigin: %q, %v; want a followed same-origin redirect", body, err)
	}
}
