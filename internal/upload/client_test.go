package upload

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/secret"
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
