package scim_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/scim"
)

// A directory (or OAuth token endpoint) behind a self-signed certificate
// is refused by default, at once and without a retry, with an error that
// names the URL's setting and scim.insecureSkipVerify; with
// insecureSkipVerify the same directory reads exactly.
func TestSelfSignedCertificate(t *testing.T) {
	for _, tc := range []struct {
		name, setting string
		oauth         bool
	}{
		{"bearer", "scim.baseUrl", false},
		{"oauth2 token endpoint", "scim.auth.tokenUrl", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, url := simtest.StartSimTLS(t, sim.Config{Seed: 9, SCIM: sim.SCIMConfig{PageSize: 50}})
			if !strings.HasPrefix(url, "https://") {
				t.Fatalf("simulator at %s, want https", url)
			}
			o := scim.Options{ReadSchema: true, MaxRetries: 3}
			if tc.oauth {
				o.Auth = oauth(url, scim.GrantClientCredentials)
			}
			c, clk := clientOf(t, srv.SCIMBaseURL(url, 2), o)
			begin := time.Now()
			_, err := scim.Extract(context.Background(), c, &memSink{}, scim.ExtractOptions{})
			var te *scim.TransportError
			if !errors.As(err, &te) || !te.Final || !te.NotSent {
				t.Fatalf("err = %v, want a final TLS failure", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "TLS certificate is not trusted") || !strings.Contains(msg, tc.setting) ||
				!strings.Contains(msg, "scim.insecureSkipVerify") || !strings.Contains(msg, "--allow-insecure") {
				t.Fatalf("error %q: want it to name %s, scim.insecureSkipVerify and --allow-insecure", msg, tc.setting)
			}
			if st := srv.Stats(); st.Requests != 0 || c.Stats().Total != 0 || c.Stats().Retries != 0 || len(clk.Sleeps()) != 0 || time.Since(begin) > 5*time.Second {
				t.Fatalf("%d requests reached the server, %d retries, waits %v, took %s", st.Requests, c.Stats().Retries, clk.Sleeps(), time.Since(begin))
			}

			o.InsecureSkipVerify = true
			c, _ = clientOf(t, srv.SCIMBaseURL(url, 2), o)
			got, _ := extract(t, c)
			requireExact(t, srv.SCIMTruth(), got)
			if tc.oauth && srv.SCIMTokenGrants()[scim.GrantClientCredentials] == 0 {
				t.Fatal("no token was obtained over TLS")
			}
		})
	}
}
