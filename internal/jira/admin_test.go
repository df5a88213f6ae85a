package jira

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
)

func TestCursorFromNext(t *testing.T) {
	cases := []struct {
		next, cursor, host string
		isURL              bool
	}{
		{"https://api.atlassian.com/admin/v1/orgs/o/users?cursor=abc%3D%3D", "abc==", "api.atlassian.com", true},
		{"https://evil.example.com/admin/v1/orgs/o/users?cursor=xyz", "xyz", "evil.example.com", true},
		// Only an absolute URL is a URL: anything else is the cursor itself.
		{"/admin/v1/orgs/o/users?cursor=rel", "", "", false},
		{"/c2VjcmV0", "", "", false},
		{"a+b=c", "", "", false},
		{"?cursor=x", "", "", false},
		{"mailto:x@example.com", "", "", false},
		{"https://api.atlassian.com/admin/v1/orgs/o/users", "", "api.atlassian.com", true},
		{"eyJjdXJzb3IiOjF9", "", "", false},
	}
	for _, tc := range cases {
		cur, host, isURL := CursorFromNext(tc.next)
		if cur != tc.cursor || host != tc.host || isURL != tc.isURL {
			t.Errorf("%q: %q %q %v", tc.next, cur, host, isURL)
		}
	}
}

func TestOrgUsersFollowsCursorNeverHost(t *testing.T) {
	var srvURL string
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.URL.Path != "/admin/v1/orgs/org-1/users" {
			http.NotFound(w, r)
			return
		}
		switch r.URL.Query().Get("cursor") {
		case "":
			writeJSON(w, 200, map[string]any{"data": []any{map[string]any{"account_id": "a1", "account_status": "active"}},
				"links": map[string]any{"next": srvURL + "/admin/v1/orgs/org-1/users?cursor=page2"}})
		case "page2":
			// A next link on a foreign host: only its cursor is used.
			writeJSON(w, 200, map[string]any{"data": []any{map[string]any{"account_id": "a2", "account_status": "closed"}},
				"links": map[string]any{"next": "https://evil.example.com/admin/v1/orgs/org-1/users?cursor=page3"}})
		case "page3":
			writeJSON(w, 200, map[string]any{"data": []any{map[string]any{"account_id": "a3"}}, "links": map[string]any{}})
		}
	})
	srvURL = srv.URL
	logs := &simtest.SyncBuffer{}
	c := newClient(t, srv.URL, clientOpts{retries: 1, logBuf: logs})
	var got []string
	cursor := ""
	for i := 0; i < 5; i++ {
		users, next, err := c.OrgUsersPage(context.Background(), cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			got = append(got, u.AccountID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if strings.Join(got, ",") != "a1,a2,a3" {
		t.Fatalf("users %v", got)
	}
	for _, h := range rec.all() {
		if h.auth != "Bearer "+testOrgKey {
			t.Fatalf("admin request without the Bearer key")
		}
	}
	if len(rec.all()) != 3 {
		t.Fatalf("%d requests", len(rec.all()))
	}
	if !strings.Contains(logs.String(), "evil.example.com") {
		t.Error("foreign next host not logged")
	}
}

func TestOrgGroupsCursorString(t *testing.T) {
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.URL.Path != "/admin/v2/orgs/org-1/directories/-/groups" {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("cursor") == "" {
			writeJSON(w, 200, map[string]any{"data": []any{map[string]any{"id": "g1", "name": "one"}}, "links": map[string]any{"next": "c2"}})
			return
		}
		writeJSON(w, 200, map[string]any{"data": []any{map[string]any{"id": "g2", "name": "two"}}, "links": map[string]any{"next": nil}})
	})
	c := newClient(t, srv.URL, clientOpts{retries: 1})
	g, next, err := c.OrgGroupsPage(context.Background(), "")
	if err != nil || len(g) != 1 || next != "c2" {
		t.Fatalf("%v %q %v", g, next, err)
	}
	g, next, err = c.OrgGroupsPage(context.Background(), next)
	if err != nil || len(g) != 1 || g[0].ID != "g2" || next != "" {
		t.Fatalf("%v %q %v", g, next, err)
	}
	if q := rec.all()[1].query; !strings.Contains(q, "cursor=c2") || !strings.Contains(q, "limit=100") {
		t.Fatalf("query %q", q)
	}
}

func TestAdminErrors(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			writeJSON(w, 401, map[string]any{"errors": []any{map[string]any{"status": "401", "code": "unauthorized", "title": "Unauthorized", "detail": "bad key"}}})
			return
		}
		writeJSON(w, 403, map[string]any{"errors": []any{map[string]any{"title": "Forbidden", "detail": "not an org admin"}}})
	})
	c := newClient(t, srv.URL, clientOpts{retries: 1})
	_, _, err := c.OrgUsersPage(context.Background(), "")
	if !IsAuth(err) || !strings.Contains(err.Error(), "orgApiKey") || !strings.Contains(err.Error(), "bad key") {
		t.Fatalf("401: %v", err)
	}
	_, _, err = c.OrgUsersPage(context.Background(), "")
	if !IsForbidden(err) || !strings.Contains(err.Error(), "Forbidden: not an org admin") {
		t.Fatalf("403: %v", err)
	}
	// A next URL without a cursor is an error, not a silent end.
	if _, err := c.cursorOf("https://api.atlassian.com/admin/v1/orgs/o/users?page=2"); err == nil {
		t.Fatal("next URL without cursor accepted")
	}

	noOrg := newClient(t, srv.URL, clientOpts{noOrg: true})
	if _, _, err := noOrg.OrgGroupsPage(context.Background(), ""); !errors.Is(err, ErrNoOrgAccess) {
		t.Fatalf("no org: %v", err)
	}
}
