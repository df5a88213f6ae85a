package jira

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/httpx"
	"github.com/govextract/jira-extractor/internal/retry/retrytest"
	"github.com/govextract/jira-extractor/internal/testsupport/attack"
)

// secretsOf are the forms a test client's credentials can take on the wire
// or in a reflection.
func secretsOf(email, token, orgKey string) []string {
	pair := email + ":" + token
	return []string{token, pair, base64.StdEncoding.EncodeToString([]byte(pair)), orgKey}
}

var testSecrets = secretsOf(testEmail, testToken, testOrgKey)

// leaks returns the secret s holds whole, or the first 8 bytes of (a cut
// credential leaks too), or "".
func leaks(s string, secrets []string) string {
	for _, sec := range secrets {
		if strings.Contains(s, sec) || (len(sec) >= 8 && strings.Contains(s, sec[:8])) {
			return sec
		}
	}
	return ""
}

// Every client call refuses a redirect: to another port of the same host,
// to another host, and from https to http. Nothing reaches the target, no
// credential is sent, the foreign answer is never used as data, the error
// names the target's origin (never its query) and is not retried.
func TestRedirectsAreRefusedWithoutSendingCredentials(t *testing.T) {
	usersPage := attack.Answer{Header: http.Header{"Content-Type": {"application/json"}}, Body: "[]"}
	cases := []struct {
		name   string
		tls    bool
		target func(sink string) string
	}{
		{"same host, other port", false, func(s string) string { return s }},
		{"other host", false, attack.Foreign},
		{"https to http", true, func(s string) string { return s }},
	}
	for _, tc := range cases {
		for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
			t.Run(tc.name+"/"+http.StatusText(status), func(t *testing.T) {
				sink := attack.NewSink(t, usersPage)
				target := tc.target(sink.URL)
				upstream, _ := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) {
					switch r.URL.Path {
					case "/admin/v1/orgs/org-1/users":
						writeJSON(w, 200, map[string]any{"data": []any{}, "links": map[string]any{}})
					default:
						writeJSON(w, 200, usersJSON(3, 0))
					}
				})
				rd := attack.Redirect(t, upstream.URL, attack.Match{Times: -1}, status, target, tc.tls)
				o := clientOpts{retries: 3}
				c := newClient(t, rd.URL, o)
				if tc.tls {
					c = newClientWith(t, rd.URL, o, httpx.New(httpx.Options{TLS: trust(rd.Client())}))
				}
				_, err := c.UsersPage(context.Background(), 0, 1000)
				_, _, adminErr := c.OrgUsersPage(context.Background(), "")
				for _, err := range []error{err, adminErr} {
					if err == nil {
						t.Fatal("a redirected call succeeded")
					}
					if !httpx.IsRedirect(err) {
						t.Errorf("err = %v, want a redirect error", err)
					}
					u, _ := url.Parse(target)
					origin := httpx.Origin(u)
					if !strings.Contains(err.Error(), origin) || strings.Contains(err.Error(), "startAt") || strings.Contains(err.Error(), "/rest/api/3/users/search?") {
						t.Errorf("error %q should name origin %s and no path or query", err, origin)
					}
					if s := leaks(err.Error(), testSecrets); s != "" {
						t.Errorf("error leaks %q", s)
					}
				}
				if got := sink.Seen(); len(got) != 0 {
					t.Fatalf("the redirect was followed: the target got %d requests (leaked: %q)", len(got), sink.Leaked(testSecrets...))
				}
				if rd.Fired() != 2 {
					t.Fatalf("%d redirected requests, want 2 (a redirect is never retried)", rd.Fired())
				}
				if _, retries, _ := c.Counts(); retries != 0 {
					t.Fatalf("%d retries after a redirect", retries)
				}
			})
		}
	}
}

// trust returns a TLS config that trusts the test server whose client hc
// is (httptest's Client()).
func trust(hc *http.Client) *tls.Config {
	return hc.Transport.(*http.Transport).TLSClientConfig
}

// newClientWith is newClient with an injected HTTP client.
func newClientWith(t *testing.T, base string, o clientOpts, hc *http.Client) *Client {
	t.Helper()
	c := newClient(t, base, o)
	o2 := c.opts
	o2.Logger, o2.HTTPClient, o2.Version = c.log, hc, "test"
	c2, err := New(o2)
	if err != nil {
		t.Fatal(err)
	}
	c2.backoff = c.backoff
	return c2
}

// The Admin API's links.next is a full URL: only its cursor is used, and
// the next page is read from the configured Admin API, never from the
// host links.next names.
func TestAdminNextLinkNeverLeavesTheAdminOrigin(t *testing.T) {
	sink := attack.NewSink(t, attack.Answer{Header: http.Header{"Content-Type": {"application/json"}}, Body: `{"data":[],"links":{}}`})
	var cursors []string
	admin, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		cursors = append(cursors, r.URL.Query().Get("cursor"))
		next := ""
		if n == 1 {
			next = attack.Foreign(sink.URL) + "/v1/orgs/org-1/users?cursor=page2"
		}
		writeJSON(w, 200, map[string]any{"data": []map[string]any{{"account_id": "a" + string(rune('0'+n))}}, "links": map[string]any{"next": next}})
	})
	c := newClient(t, admin.URL, clientOpts{admin: admin.URL})
	_, next, err := c.OrgUsersPage(context.Background(), "")
	if err != nil || next != "page2" {
		t.Fatalf("first page: next %q, %v", next, err)
	}
	if _, next, err = c.OrgUsersPage(context.Background(), next); err != nil || next != "" {
		t.Fatalf("second page: next %q, %v", next, err)
	}
	if len(sink.Seen()) != 0 || len(cursors) != 2 || cursors[1] != "page2" {
		t.Fatalf("foreign host got %d requests; admin got cursors %q", len(sink.Seen()), cursors)
	}
}

// A 200 whose body is null, an object, a string or a page without its
// list never ends a listing: it is retried, and when it persists the call
// fails. Only an empty list ends the users.
func TestUnexpectedBodiesAreRetriedThenFail(t *testing.T) {
	bodies := []string{`null`, `{}`, `"users"`, `{"values":null}`, `1`}
	type endpoint struct {
		path string
		call func(*Client) error
	}
	endpoints := []endpoint{
		{"/rest/api/3/users/search", func(c *Client) error { _, err := c.UsersPage(context.Background(), 0, 1000); return err }},
		{"/rest/api/3/group/bulk", func(c *Client) error { _, err := c.GroupsPage(context.Background(), 0, 50); return err }},
		{"/rest/api/3/group/member", func(c *Client) error {
			_, err := c.GroupMembersPage(context.Background(), "g", true, 0, 50)
			return err
		}},
		{"/rest/api/3/project/search", func(c *Client) error { _, err := c.ProjectsPage(context.Background(), 0, 100); return err }},
		{"/rest/api/3/project/1/roledetails", func(c *Client) error { _, err := c.ProjectRoleDetails(context.Background(), "1"); return err }},
		{"/rest/api/3/project/1/role/2", func(c *Client) error { _, err := c.ProjectRole(context.Background(), "1", 2); return err }},
		{"/rest/api/3/role", func(c *Client) error { _, err := c.GlobalRoles(context.Background()); return err }},
		{"/rest/api/3/permissionscheme", func(c *Client) error { _, err := c.PermissionSchemes(context.Background()); return err }},
		{"/admin/v1/orgs/org-1/users", func(c *Client) error { _, _, err := c.OrgUsersPage(context.Background(), ""); return err }},
		{"/admin/v2/orgs/org-1/directories/-/groups", func(c *Client) error { _, _, err := c.OrgGroupsPage(context.Background(), ""); return err }},
	}
	for _, ep := range endpoints {
		for _, body := range bodies {
			srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(body))
			})
			c := newClient(t, srv.URL, clientOpts{retries: 2, admin: srv.URL})
			err := ep.call(c)
			if ep.path == "/rest/api/3/project/1/role/2" && strings.HasPrefix(body, "{") {
				continue // an object is a role's shape; its fields are optional
			}
			if ep.path == "/rest/api/3/group/member" || ep.path == "/rest/api/3/group/bulk" || ep.path == "/rest/api/3/project/search" {
				if body == `{}` && err == nil {
					t.Errorf("%s: %s accepted as a page", ep.path, body)
					continue
				}
			}
			var re *RetryError
			if !errors.As(err, &re) {
				t.Errorf("%s answered %s: err = %v, want a failure after retries", ep.path, body, err)
				continue
			}
			if n := len(rec.all()); n != 3 {
				t.Errorf("%s answered %s: %d requests, want 3 (retried)", ep.path, body, n)
			}
		}
	}
}

// On the simulator, one users/search page answered with 200 null is read
// again: every user arrives. Answered null every time, the listing fails
// instead of ending short.
func TestNullUsersPageDoesNotEndTheListing(t *testing.T) {
	srv, base := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1})
	want, _, _ := srv.Counts()
	page3 := attack.Match{Path: "/rest/api/3/users/search", Query: url.Values{"startAt": {"100"}}}
	null := attack.Answer{Header: http.Header{"Content-Type": {"application/json"}}, Body: "null"}
	listAll := func(c *Client) (int, error) {
		n := 0
		for start := 0; ; {
			us, err := c.UsersPage(context.Background(), start, 50)
			if err != nil || len(us) == 0 {
				return n, err
			}
			n += len(us)
			start += len(us)
		}
	}
	once := attack.Inject(t, base, page3, null)
	got, err := listAll(simClient(t, once.URL, sim.DefaultToken, clientOpts{retries: 2}))
	if err != nil || got != want || once.Fired() != 1 {
		t.Fatalf("one null page: %d of %d users, %v (injected %d)", got, want, err, once.Fired())
	}
	page3.Times = -1
	always := attack.Inject(t, base, page3, null)
	got, err = listAll(simClient(t, always.URL, sim.DefaultToken, clientOpts{retries: 2}))
	if err == nil || !strings.Contains(err.Error(), "null") {
		t.Fatalf("null every time: %d users, err %v; want a failure naming the null body", got, err)
	}
}

// A server that reflects the credentials into RateLimit-Reason,
// Content-Type and other headers, the body, or a malformed status line
// never gets them into a log line or an error.
func TestReflectedCredentialsNeverReachLogsOrErrors(t *testing.T) {
	upstream, _ := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) { writeJSON(w, 200, usersJSON(1, 0)) })
	cases := []struct {
		name string
		r    attack.Reflection
	}{
		{"quota 429", attack.Reflection{Match: attack.Match{Times: -1}, Status: 429,
			Header: func(c string) string { return "jira-quota-tenant-based " + c },
			Body:   func(c string) string { return `{"message":"\u001b[2J\u001b[31m` + c + `"}` }}},
		{"burst 429", attack.Reflection{Match: attack.Match{Times: -1}, Status: 429}},
		{"200 not JSON", attack.Reflection{Match: attack.Match{Times: -1}, Status: 200, Body: func(c string) string { return "<" + c }}},
		{"503", attack.Reflection{Match: attack.Match{Times: -1}, Status: 503}},
		{"401", attack.Reflection{Match: attack.Match{Times: -1}, Status: 401}},
		{"400", attack.Reflection{Match: attack.Match{Times: -1}, Status: 400}},
		// The credential straddles the cut of a long message.
		{"400 long", attack.Reflection{Match: attack.Match{Times: -1}, Status: 400,
			Body: func(c string) string { return `{"message":"` + strings.Repeat("x", maxMessage-16) + c + `"}` }}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rf := attack.Reflect(t, upstream.URL, tc.r)
			logs := &simtest.SyncBuffer{}
			c := newClient(t, rf.URL, clientOpts{retries: 1, logBuf: logs, clock: retrytest.NewFake(retrytest.Epoch)})
			_, err := c.UsersPage(context.Background(), 0, 10)
			_, _, adminErr := c.OrgGroupsPage(context.Background(), "")
			if err == nil || adminErr == nil || rf.Fired() == 0 {
				t.Fatalf("errs %v / %v after %d reflections", err, adminErr, rf.Fired())
			}
			for where, s := range map[string]string{"error": err.Error(), "admin error": adminErr.Error(), "logs": logs.String()} {
				if sec := leaks(s, testSecrets); sec != "" {
					t.Errorf("%s leaks %q:\n%s", where, sec, s)
				}
				if strings.Contains(s, "\x1b") {
					t.Errorf("%s carries a control character: %q", where, s)
				}
			}
			if tc.name == "quota 429" && !strings.Contains(logs.String(), "level=WARN") {
				t.Errorf("no quota warning logged:\n%s", logs.String())
			}
		})
	}

	// A raw server whose status line reflects the Authorization header.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				_, _ = conn.Write([]byte("HTTP/1.1 " + req.Header.Get("Authorization") + "\r\n\r\n"))
			}()
		}
	}()
	c := newClient(t, "http://"+ln.Addr().String(), clientOpts{retries: 1})
	_, err = c.ServerInfo(context.Background())
	if err == nil {
		t.Fatal("a malformed status line was accepted")
	}
	if sec := leaks(err.Error(), testSecrets); sec != "" {
		t.Fatalf("transport error leaks %q: %v", sec, err)
	}
}

// Go's transport re-sends a GET by itself when a reused connection is
// reset after the request went out; the client counts every request that
// went on the wire, so its stats match what the server saw.
func TestRequestCountsIncludeTransportResends(t *testing.T) {
	srv, base := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1})
	rr := attack.ResetReused(t, base, 3)
	c := simClient(t, rr.URL, sim.DefaultToken, clientOpts{retries: 3})
	for start := 0; start < 200; start += 5 {
		if _, err := c.UsersPage(context.Background(), start, 5); err != nil {
			t.Fatal(err)
		}
	}
	st := c.Stats()
	if rr.Fired() == 0 {
		t.Fatal("no reused connection was reset")
	}
	if st.Total != int64(rr.Requests()) || st.ByEndpoint[routeUsers] != st.Total || int64(srv.Stats().Requests) != st.Total-int64(rr.Fired()) {
		t.Fatalf("client counted %d requests (%d retries); the proxy got %d (%d reset), the simulator %d",
			st.Total, st.Retries, rr.Requests(), rr.Fired(), srv.Stats().Requests)
	}
}

// A request waiting out a 429's Retry-After holds no in-flight slot: with
// concurrency 1, another request completes during the wait; and the
// client never has more requests on the wire than its concurrency.
func TestWaitingRequestHoldsNoSlot(t *testing.T) {
	var inflight, peak atomic.Int64
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		cur := inflight.Add(1)
		defer inflight.Add(-1)
		for p := peak.Load(); cur > p && !peak.CompareAndSwap(p, cur); p = peak.Load() {
		}
		if r.URL.Path == "/rest/api/3/users/search" && n == 1 {
			w.Header().Set("Retry-After", "30")
			jiraError(w, 429, "slow down")
			return
		}
		if r.URL.Path == "/rest/api/3/serverInfo" {
			writeJSON(w, 200, map[string]any{"version": "1001"})
			return
		}
		writeJSON(w, 200, usersJSON(1, 0))
	})
	clk := retrytest.NewFake(retrytest.Epoch)
	clk.SetWorkers(2) // the throttled request and this test
	c := newClient(t, srv.URL, clientOpts{retries: 2, clock: clk, concurrency: 1})
	done := make(chan error, 1)
	go func() { _, err := c.UsersPage(context.Background(), 0, 1); clk.Leave(); done <- err }()
	waitFor(t, "the 429", func() bool { return throttledCount(c) == 1 && clk.Sleeping() == 1 })
	if _, err := c.ServerInfo(context.Background()); err != nil {
		t.Fatalf("a request during another's Retry-After: %v", err)
	}
	if clk.Since(retrytest.Epoch) != 0 {
		t.Fatal("the clock moved: the second request waited for the first")
	}
	clk.Leave() // let the Retry-After pass
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Eight callers, concurrency 2: never more than 2 on the wire.
	peak.Store(0)
	c2 := newClient(t, srv.URL, clientOpts{retries: 2, concurrency: 2})
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			var err error
			for range 20 {
				if _, err = c2.ServerInfo(context.Background()); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if p := peak.Load(); p > 2 || c2.InFlightLimit() != 2 {
		t.Fatalf("%d requests in flight with concurrency %d", p, c2.InFlightLimit())
	}
}

// An unreachable site names the endpoint once, the host, and what to check.
func TestUnreachableSiteMessage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	c := newClient(t, "http://"+addr, clientOpts{retries: 1, clock: retrytest.NewFake(retrytest.Epoch)})
	_, err = c.Detect(context.Background())
	if err == nil {
		t.Fatal("Detect against a closed port succeeded")
	}
	msg := err.Error()
	if strings.Count(msg, routeMyself) != 1 || !strings.Contains(msg, "cannot connect to "+addr) || !strings.Contains(msg, "baseUrl") {
		t.Fatalf("message %q: want the route once, the host and a hint", msg)
	}
}
