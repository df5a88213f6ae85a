package upload

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/httpx"
	"github.com/govextract/jira-extractor/internal/secret"
	"github.com/govextract/jira-extractor/internal/testsupport/attack"
)

func TestClientKeepsKeyFromForeignUploadURL(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var putHeaders http.Header
	var putBody string
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		putHeaders, putBody = r.Header.Clone(), string(b)
		mu.Unlock()
	}))
	defer storage.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(HeaderKeySecret) != testKeySecret {
			w.WriteHeader(401)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"url": storage.URL + "/bucket/obj?X-Signature=abc"})
	}))
	defer api.Close()
	c, err := newClient(api.URL+"/", secret.New(testKeyID), secret.New(testKeySecret), nil, 0, time.Second, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.send(context.Background(), Chunk{Phase: PhaseEntities, Index: 4, Rows: 1, Body: []byte("a,b\n1,2\n")}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if putHeaders.Get(HeaderKeyID) != "" || putHeaders.Get(HeaderKeySecret) != "" {
		t.Fatal("the API key was sent to a foreign upload URL")
	}
	if putBody != "a,b\n1,2\n" || putHeaders.Get(HeaderChunk) != "entities-00004" || !strings.HasPrefix(putHeaders.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(putHeaders.Get("Content-Digest"), "sha-256=:") {
		t.Fatalf("PUT %q with headers %v", putBody, putHeaders)
	}
}

func TestClientRedactsEchoedKeyAndParsesErrors(t *testing.T) {
	t.Parallel()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		_, _ = io.WriteString(w, `{"error":"bad key `+r.Header.Get(HeaderKeySecret)+` for id `+r.Header.Get(HeaderKeyID)+`"}`)
	}))
	defer api.Close()
	c, err := newClient(api.URL, secret.New(testKeyID), secret.New(testKeySecret), nil, 3, time.Second, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	err = c.send(context.Background(), Chunk{Phase: PhaseRelations, Body: []byte("x")})
	if err == nil || strings.Contains(err.Error(), testKeySecret) || strings.Contains(err.Error(), testKeyID) || !strings.Contains(err.Error(), "bad key [REDACTED]") || !strings.Contains(err.Error(), "HTTP 400") {
		t.Fatalf("err = %v", err)
	}
	if _, err := newClient("ftp://x", secret.Value{}, secret.Value{}, nil, 0, 0, nil); err == nil {
		t.Fatal("ftp API accepted")
	}
}

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false}, {"3", 3 * time.Second, true}, {"0", 0, true}, {"1.5", 1500 * time.Millisecond, true},
		{"Wed, 01 Jan 2025 00:00:10 GMT", 10 * time.Second, true}, {"Tue, 31 Dec 2024 00:00:00 GMT", 0, true},
		{"99999", maxRetryAfter, true}, {"soon", 0, false},
	} {
		got, ok := retryAfter(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("retryAfter(%q) = %v %v, want %v %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// noSleep records the waits instead of sleeping.
func noSleep(c *client) *[]time.Duration {
	var waits []time.Duration
	c.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	return &waits
}

// A redirect on upload-url or on the PUT is refused: neither the key
// headers nor the chunk reach the target, the error names only the
// target's origin, and the chunk is not retried into it.
func TestClientRefusesRedirects(t *testing.T) {
	chunk := Chunk{Phase: PhaseEntities, Index: 1, Rows: 1, Body: []byte("a,b\n1,2\n")}
	for _, step := range []string{"upload-url", "put"} {
		for _, target := range []string{"other port", "other host"} {
			t.Run(step+"/"+target, func(t *testing.T) {
				sink := attack.NewSink(t, attack.Answer{Body: `{"url":"/nowhere"}`})
				to := sink.URL
				if target == "other host" {
					to = attack.Foreign(sink.URL)
				}
				var storage *attack.Server
				storeOK, _ := serveStatus(t, 200)
				storage = attack.Redirect(t, storeOK, attack.Match{Method: http.MethodPut, Times: -1}, http.StatusTemporaryRedirect, to, false)
				api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_ = json.NewEncoder(w).Encode(map[string]string{"url": storage.URL + "/bucket/obj?X-Signature=sig-123456789"})
				}))
				t.Cleanup(api.Close)
				front := api.URL
				var rd *attack.Server
				if step == "upload-url" {
					rd = attack.Redirect(t, api.URL, attack.Match{Times: -1}, http.StatusTemporaryRedirect, to, false)
					front = rd.URL
				}
				c, err := newClient(front, secret.New(testKeyID), secret.New(testKeySecret), nil, 3, time.Second, nil)
				if err != nil {
					t.Fatal(err)
				}
				waits := noSleep(c)
				err = c.send(context.Background(), chunk)
				if !httpx.IsRedirect(err) {
					t.Fatalf("err = %v, want a refused redirect", err)
				}
				u, _ := url.Parse(to)
				if msg := err.Error(); !strings.Contains(msg, httpx.Origin(u)) || strings.Contains(msg, "X-Signature") || strings.Contains(msg, "sig-123456789") ||
					strings.Contains(msg, testKeySecret) {
					t.Fatalf("error %q: want the origin only", msg)
				}
				if n := len(sink.Seen()); n != 0 {
					t.Fatalf("the redirect was followed: %d requests reached the target (leaked %q)", n, sink.Leaked(testKeyID, testKeySecret))
				}
				if len(*waits) != 0 {
					t.Fatalf("retried after a redirect: waits %v", *waits)
				}
				fired := storage.Fired()
				if rd != nil {
					fired = rd.Fired()
				}
				if fired != 1 {
					t.Fatalf("%d redirected requests, want 1", fired)
				}
			})
		}
	}
}

// serveStatus starts a server answering every request with status.
func serveStatus(t *testing.T, status int) (string, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }))
	t.Cleanup(srv.Close)
	return srv.URL, srv
}

// A platform that reflects the key headers into its answer's headers and
// body never gets them into an error or a log line, even when the key
// straddles the cut of a long message or comes with control characters.
func TestClientNeverShowsReflectedKey(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   func(string) string
	}{
		{"400", 400, nil},
		{"503", 503, nil},
		{"long", 400, func(c string) string { return `{"error":"` + strings.Repeat("x", maxMessage-12) + c + `"}` }},
		{"text", 401, func(c string) string { return "\x1b[2J denied " + c }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rf := attack.Reflect(t, "", attack.Reflection{Match: attack.Match{Times: -1}, Status: tc.status, Body: tc.body})
			logs := &simtest.SyncBuffer{}
			c, err := newClient(rf.URL, secret.New(testKeyID), secret.New(testKeySecret), nil, 2, time.Second,
				slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
			if err != nil {
				t.Fatal(err)
			}
			noSleep(c)
			err = c.send(context.Background(), Chunk{Phase: PhaseEntities, Body: []byte("x")})
			if err == nil || rf.Fired() == 0 {
				t.Fatalf("err %v after %d reflections", err, rf.Fired())
			}
			for where, s := range map[string]string{"error": err.Error(), "logs": logs.String()} {
				for _, k := range []string{testKeyID, testKeySecret} {
					if strings.Contains(s, k[:8]) {
						t.Errorf("%s shows (part of) the key %q: %s", where, k, s)
					}
				}
				if strings.ContainsRune(s, 0x1b) {
					t.Errorf("%s carries a control character: %q", where, s)
				}
			}
		})
	}
}
