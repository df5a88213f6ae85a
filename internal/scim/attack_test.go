package scim_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/httpx"
	"github.com/govextract/jira-extractor/internal/scim"
	"github.com/govextract/jira-extractor/internal/secret"
	"github.com/govextract/jira-extractor/internal/testsupport/attack"
)

// scimSecrets are the simulator's SCIM credentials in every form that
// could leak.
var scimSecrets = func() []string {
	basic := sim.DefaultSCIMBasicUser + ":" + sim.DefaultSCIMBasicPassword
	client := sim.DefaultSCIMClientID + ":" + sim.DefaultSCIMClientSecret
	return []string{sim.DefaultSCIMToken, sim.DefaultSCIMBasicPassword, basic, base64.StdEncoding.EncodeToString([]byte(basic)),
		sim.DefaultSCIMClientSecret, base64.StdEncoding.EncodeToString([]byte(client)), sim.DefaultSCIMRefreshToken}
}()

// leaked returns the secret s holds: a configured one, or an access or
// (rotated) refresh token the simulator issued; "" when none.
func leaked(s string) string {
	for _, sec := range append(scimSecrets, "sim-scim-access-", "sim-scim-refresh-") {
		if strings.Contains(s, sec) {
			return sec
		}
	}
	return ""
}

// authCase is an auth mode, and whether the proxy stands in front of the
// directory or of the OAuth token endpoint.
type authCase struct {
	name      string
	auth      func(tokenBase string) scim.Auth
	tokenSide bool
}

var authCases = []authCase{
	{"bearer", func(string) scim.Auth { return bearer() }, false},
	{"basic", func(string) scim.Auth {
		return scim.Auth{Kind: scim.AuthBasic, Username: sim.DefaultSCIMBasicUser, Password: secret.New(sim.DefaultSCIMBasicPassword)}
	}, false},
	{"oauth2 directory", func(b string) scim.Auth { return oauth(b, scim.GrantClientCredentials) }, false},
	{"oauth2 token endpoint", func(b string) scim.Auth { return oauth(b, scim.GrantClientCredentials) }, true},
}

// A redirect away from the directory's (or token endpoint's) origin, to
// another port, another host or from https to http, is refused in every
// auth mode: nothing reaches the target, no credential is sent there, the
// error names the target's origin only and no secret, and it is not
// retried. A redirect within the origin is followed.
func TestRedirectsCarryNoCredentials(t *testing.T) {
	srv, up := start(t, sim.Config{Seed: 4})
	targets := []struct {
		name   string
		tls    bool
		target func(string) string
	}{
		{"other port", false, func(s string) string { return s }},
		{"other host", false, attack.Foreign},
		{"https to http", true, func(s string) string { return s }},
	}
	for _, ac := range authCases {
		for _, tg := range targets {
			t.Run(ac.name+"/"+tg.name, func(t *testing.T) {
				sink := attack.NewSink(t, attack.Answer{Header: http.Header{"Content-Type": {"application/json"}},
					Body: `{"totalResults":0,"Resources":[],"access_token":"x","token_type":"Bearer"}`})
				to := tg.target(sink.URL)
				m := attack.Match{Times: -1}
				if ac.tokenSide {
					m.Path = "/oauth/token"
				}
				rd := attack.Redirect(t, up, m, http.StatusTemporaryRedirect, to, tg.tls)
				base, tokenBase := srv.SCIMBaseURL(rd.URL, 2), up
				if ac.tokenSide {
					base, tokenBase = srv.SCIMBaseURL(up, 2), rd.URL
				}
				c, _ := clientOf(t, base, scim.Options{Auth: ac.auth(tokenBase), MaxRetries: 3, InsecureSkipVerify: tg.tls})
				_, err := c.GetUser(context.Background(), "u1")
				if err == nil || !httpx.IsRedirect(err) {
					t.Fatalf("err = %v, want a refused redirect", err)
				}
				u, _ := url.Parse(to)
				if msg := err.Error(); !strings.Contains(msg, httpx.Origin(u)) || strings.Contains(msg, "/scim/") || leaked(msg) != "" {
					t.Fatalf("error %q: want the origin %s, no path, no secret", msg, httpx.Origin(u))
				}
				if n := len(sink.Seen()); n != 0 {
					t.Fatalf("the redirect was followed: %d requests reached the target (leaked %q)", n, sink.Leaked(scimSecrets...))
				}
				// (oauth2 may try its two client authentication styles.)
				if f := rd.Fired(); f < 1 || f > 2 || c.Stats().Retries != 0 {
					t.Fatalf("%d redirects answered, %d retries: a redirect is never retried", f, c.Stats().Retries)
				}
			})
		}
	}

	// Within the origin (e.g. a server adding a slash), the redirect is
	// followed and the directory reads exactly.
	spc := srv.SCIMBaseURL("", 2) + "/ServiceProviderConfig"
	within := attack.Redirect(t, up, attack.Match{Path: spc}, http.StatusFound, "", false)
	c, _ := clientOf(t, srv.SCIMBaseURL(within.URL, 2), scim.Options{ReadSchema: true})
	got, _ := extract(t, c)
	requireExact(t, srv.SCIMTruth(), got)
	if within.Fired() != 1 {
		t.Fatalf("%d same-origin redirects, want 1", within.Fired())
	}
}

// A server that echoes the credentials (the Authorization header, the
// decoded Basic pair, the bearer token) into its error bodies and headers
// never gets them into an error, in any auth mode.
func TestReflectedCredentialsNeverReachErrors(t *testing.T) {
	srv, up := start(t, sim.Config{Seed: 4})
	body := func(creds string) string {
		q := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(creds)
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"scimType":"` + q + `","detail":"echo ` + q + `"}`
	}
	for _, ac := range authCases[:3] {
		for _, status := range []int{400, 401, 404, 409, 429, 503} {
			rf := attack.Reflect(t, up, attack.Reflection{Match: attack.Match{Path: "/scim/directory/" + directoryID(srv) + "/Users/u1", Times: -1},
				Status: status, Body: body})
			c, _ := clientOf(t, srv.SCIMBaseURL(rf.URL, 2), scim.Options{Auth: ac.auth(up), MaxRetries: 1})
			_, err := c.GetUser(context.Background(), "u1")
			res := c.SetActive(context.Background(), "u1", false)
			seen := []string{res.Message}
			if err != nil {
				seen = append(seen, err.Error())
			}
			if err == nil || rf.Fired() == 0 {
				t.Fatalf("%s, HTTP %d: err %v after %d reflections", ac.name, status, err, rf.Fired())
			}
			for _, s := range seen {
				if sec := leaked(s); sec != "" {
					t.Errorf("%s, HTTP %d: %q leaks a credential", ac.name, status, s)
				}
			}
		}
	}
}

// directoryID is the simulator's SCIM directory id.
func directoryID(srv *sim.Server) string {
	return strings.TrimPrefix(srv.SCIMBaseURL("", 2), "/scim/directory/")
}

// A server that drops every third request on a reused connection makes
// Go's transport re-send it by itself: the extraction stays exact and
// every request that reached the server is counted.
func TestSilentResendsAreCounted(t *testing.T) {
	srv, up := start(t, sim.Config{Seed: 4, SCIM: sim.SCIMConfig{PageSize: 10}})
	rs := attack.ResetReused(t, up, 3)
	c, _ := clientOf(t, srv.SCIMBaseURL(rs.URL, 2), scim.Options{ReadSchema: true, Concurrency: 1})
	got, _ := extract(t, c)
	requireExact(t, srv.SCIMTruth(), got)
	if rs.Fired() == 0 || c.Stats().Total != int64(rs.Requests()) {
		t.Fatalf("%d requests counted, the server read %d (%d dropped)", c.Stats().Total, rs.Requests(), rs.Fired())
	}
}
