package scim_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/scim"
	"github.com/govextract/jira-extractor/internal/secret"
)

// stalling returns a handler that answers nothing (before: no status;
// mid-body: a status and half a body) until the client gives up or the
// test ends.
func stalling(t *testing.T, midBody bool) http.HandlerFunc {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	return func(w http.ResponseWriter, r *http.Request) {
		// Read the body whole: only then does the server notice the
		// client hanging up, which ends r's context.
		_, _ = io.Copy(io.Discard, r.Body)
		if midBody {
			scimJSON(w, 200, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":`)
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}
}

const stallTimeout = 300 * time.Millisecond

// requireTimeout fails unless err is a timeout naming scim.timeout and
// want, and the attempts took about their timeouts.
func requireTimeout(t *testing.T, err error, want string, attempts int, took time.Duration) {
	t.Helper()
	var te *scim.TransportError
	if !errors.As(err, &te) || !te.Timeout {
		t.Fatalf("err = %v, want a timeout", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "scim.timeout") || !strings.Contains(msg, stallTimeout.String()) || !strings.Contains(msg, want) {
		t.Fatalf("error %q: want it to name scim.timeout, %s and %s", msg, stallTimeout, want)
	}
	if lo, hi := time.Duration(attempts)*stallTimeout, time.Duration(attempts)*stallTimeout+2*time.Second; took < lo || took > hi {
		t.Fatalf("%d attempts took %s, want within [%s, %s]", attempts, took, lo, hi)
	}
}

// A server that stalls, before its status or in the middle of its body,
// fails each attempt within scim.timeout; reads are retried maxRetries
// times, and the error names the setting.
func TestStalledServerFailsWithinTimeout(t *testing.T) {
	for _, tc := range []struct {
		name    string
		midBody bool
		retries int
	}{
		{"no answer", false, 0},
		{"no answer, retried", false, 1},
		{"half a body", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, n := counting(t, stalling(t, tc.midBody))
			c, _ := clientOf(t, srv.URL, scim.Options{Timeout: stallTimeout, MaxRetries: tc.retries})
			begin := time.Now()
			_, err := c.GetUser(context.Background(), "u1")
			requireTimeout(t, err, "GET /Users/{id}", tc.retries+1, time.Since(begin))
			if int(n.Load()) != tc.retries+1 {
				t.Fatalf("%d requests, want %d", n.Load(), tc.retries+1)
			}
		})
	}
}

// A write to a stalled server is sent once: its outcome is unknown, and
// the message names scim.timeout.
func TestStalledWriteIsNotResent(t *testing.T) {
	srv, n := counting(t, stalling(t, false))
	c, _ := clientOf(t, srv.URL, scim.Options{Timeout: stallTimeout, MaxRetries: 3})
	res := c.SetActive(context.Background(), "u1", false)
	if res.Class != scim.WriteUnknown || !strings.Contains(res.Message, "scim.timeout") || n.Load() != 1 {
		t.Fatalf("stalled write: %+v after %d requests; want unknown, naming scim.timeout, sent once", res, n.Load())
	}
}

// An OAuth token endpoint that stalls fails within scim.timeout too, and
// the error names the token URL's setting.
func TestStalledTokenEndpoint(t *testing.T) {
	srv, url := start(t, sim.Config{Seed: 3})
	tokens, n := counting(t, stalling(t, false))
	auth := scim.Auth{Kind: scim.AuthOAuth2, TokenURL: tokens.URL + "/oauth/token", ClientID: sim.DefaultSCIMClientID,
		ClientSecret: secret.New(sim.DefaultSCIMClientSecret), GrantType: scim.GrantClientCredentials}
	c, _ := clientOf(t, srv.SCIMBaseURL(url, 2), scim.Options{Auth: auth, Timeout: stallTimeout, MaxRetries: 1})
	begin := time.Now()
	_, err := c.GetUser(context.Background(), "u1")
	requireTimeout(t, err, "scim.auth.tokenUrl", 2, time.Since(begin))
	if n.Load() < 2 || srv.Stats().Requests != 0 {
		t.Fatalf("%d token requests, %d directory requests; want the token fetch retried and nothing sent without a token", n.Load(), srv.Stats().Requests)
	}
}
