package scim_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/scim"
	"github.com/govextract/jira-extractor/internal/secret"
)

func oauth(url, grant string) scim.Auth {
	return scim.Auth{Kind: scim.AuthOAuth2, TokenURL: url + "/oauth/token", ClientID: sim.DefaultSCIMClientID,
		ClientSecret: secret.New(sim.DefaultSCIMClientSecret), GrantType: grant, RefreshToken: secret.New(sim.DefaultSCIMRefreshToken),
		Scopes: []string{"scim:read", "scim:write"}}
}

// Every auth mode reads the whole directory exactly; OAuth tokens that
// expire mid-run (after a few requests) are refreshed, and a rotated
// refresh token is the one used next.
func TestAuthModesExact(t *testing.T) {
	srv, url := start(t, sim.Config{Seed: 3, SCIM: sim.SCIMConfig{TokenMaxUses: 4, PageSize: 25}})
	truth := srv.SCIMTruth()
	for _, tc := range []struct {
		name   string
		auth   scim.Auth
		grants int // at least, from the client's count
	}{
		{"bearer", bearer(), 0},
		{"basic", scim.Auth{Kind: scim.AuthBasic, Username: sim.DefaultSCIMBasicUser, Password: secret.New(sim.DefaultSCIMBasicPassword)}, 0},
		{"oauth2 client_credentials", oauth(url, scim.GrantClientCredentials), 2},
		{"oauth2 refresh_token", oauth(url, scim.GrantRefreshToken), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newClient(t, srv, url, 2, tc.auth, true)
			got, _ := extract(t, c)
			requireExact(t, truth, got)
			if g := c.TokenGrants(); g < tc.grants {
				t.Fatalf("%d tokens obtained, want at least %d (a mid-run refresh)", g, tc.grants)
			}
			if tc.grants > 0 && c.Stats().Total/4 > int64(c.TokenGrants())+1 {
				t.Fatalf("%d requests with %d tokens of 4 uses each", c.Stats().Total, c.TokenGrants())
			}
		})
	}
	g := srv.SCIMTokenGrants()
	if g["client_credentials"] < 2 || g["refresh_token"] < 2 {
		t.Fatalf("token endpoint grants %v", g)
	}
}

// A wrong credential fails at once (no retries) with a message naming
// the setting to fix and never the secret.
func TestWrongCredentialNamesSetting(t *testing.T) {
	srv, url := start(t, sim.Config{Seed: 3})
	const bad = "wrong-secret-value-123"
	for _, tc := range []struct {
		name, setting string
		auth          scim.Auth
	}{
		{"bearer", "scim.auth.token", scim.Auth{Kind: scim.AuthBearer, Token: secret.New(bad)}},
		{"basic", "scim.auth.username and scim.auth.password", scim.Auth{Kind: scim.AuthBasic, Username: "scim-admin", Password: secret.New(bad)}},
		{"oauth2 client secret", "scim.auth.clientId and scim.auth.clientSecret", func() scim.Auth {
			a := oauth(url, scim.GrantClientCredentials)
			a.ClientSecret = secret.New(bad)
			return a
		}()},
		{"oauth2 refresh token", "scim.auth.refreshToken", func() scim.Auth {
			a := oauth(url, scim.GrantRefreshToken)
			a.RefreshToken = secret.New(bad)
			return a
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newClient(t, srv, url, 2, tc.auth, true)
			begin := time.Now()
			_, err := scim.Extract(context.Background(), c, &memSink{}, scim.ExtractOptions{})
			if err == nil {
				t.Fatal("extraction with a wrong credential succeeded")
			}
			if time.Since(begin) > 5*time.Second {
				t.Fatalf("took %s to fail", time.Since(begin))
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.setting) || strings.Contains(msg, bad) || !scim.IsAuth(err) {
				t.Fatalf("error %q: want it to name %q, be an auth error and hide the secret", msg, tc.setting)
			}
			if n := c.Stats().Total; n > 2 {
				t.Fatalf("%d requests for a refused credential", n)
			}
			if s := fmt.Sprintf("%v %+v %#v", tc.auth, tc.auth, tc.auth); strings.Contains(s, bad) {
				t.Fatalf("the auth prints its secret: %s", s)
			}
		})
	}
}
