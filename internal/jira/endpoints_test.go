package jira

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestEndpointRequestsAndDecoding(t *testing.T) {
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Path {
		case "/rest/api/3/users/search":
			writeJSON(w, 200, usersJSON(2, 0))
		case "/rest/api/3/group/bulk":
			writeJSON(w, 200, map[string]any{"startAt": 0, "maxResults": 50, "total": 1, "isLast": true,
				"values": []any{map[string]any{"groupId": "g1", "name": "jira-users"}}})
		case "/rest/api/3/group/member":
			writeJSON(w, 200, map[string]any{"startAt": 0, "maxResults": 50, "isLast": false,
				"nextPage": "https://evil.example.com/rest/api/3/group/member?startAt=50", "values": usersJSON(50, 0)})
		case "/rest/api/3/project/search":
			writeJSON(w, 200, map[string]any{"startAt": 0, "maxResults": 100, "total": 1, "isLast": true,
				"values": []any{map[string]any{"id": "10000", "key": "ABC", "name": "Alpha", "archived": true,
					"lead": map[string]any{"accountId": "lead-1"}}}})
		case "/rest/api/3/project/10000/roledetails":
			writeJSON(w, 200, []any{map[string]any{"id": 10002, "name": "Administrators"}})
		case "/rest/api/3/project/10000/role/10002":
			writeJSON(w, 200, map[string]any{"id": 10002, "name": "Administrators", "actors": []any{
				map[string]any{"id": 1, "type": UserRoleActor, "actorUser": map[string]any{"accountId": "u1"}},
				map[string]any{"id": 2, "type": GroupRoleActor, "actorGroup": map[string]any{"groupId": "g1", "name": "admins"}}}})
		case "/rest/api/3/role":
			writeJSON(w, 200, []any{map[string]any{"id": 10002, "name": "Administrators"}})
		case "/rest/api/3/applicationrole":
			writeJSON(w, 200, []any{map[string]any{"key": "jira-software", "groupDetails": []any{map[string]any{"groupId": "g1", "name": "jira-users"}}, "defaultGroups": []string{"jira-users"}}})
		case "/rest/api/3/permissionscheme":
			writeJSON(w, 200, map[string]any{"permissionSchemes": []any{map[string]any{"id": 0, "name": "Default",
				"permissions": []any{map[string]any{"id": 1, "permission": "BROWSE_PROJECTS", "holder": map[string]any{"type": "group", "parameter": "jira-users", "value": "g1"}}}}}})
		case "/rest/api/3/project/10000/permissionscheme":
			writeJSON(w, 200, map[string]any{"id": 0, "name": "Default"})
		case "/rest/api/3/serverInfo":
			writeJSON(w, 200, map[string]any{"baseUrl": "https://acme.atlassian.net", "deploymentType": "Cloud"})
		default:
			http.NotFound(w, r)
		}
	})
	c := newClient(t, srv.URL, clientOpts{retries: 1})
	ctx := context.Background()
	check := func(what string, err error, ok bool) {
		t.Helper()
		if err != nil || !ok {
			t.Errorf("%s: err %v ok %v", what, err, ok)
		}
	}
	users, err := c.UsersPage(ctx, 0, UsersPageSize)
	check("users", err, len(users) == 2)
	groups, err := c.GroupsPage(ctx, 0, GroupsPageSize)
	check("groups", err, len(groups.Values) == 1 && groups.Values[0].GroupID == "g1" && *groups.Total == 1)
	members, err := c.GroupMembersPage(ctx, "g 1/x", true, 0, MembersPageSize)
	check("members", err, len(members.Values) == 50)
	projects, err := c.ProjectsPage(ctx, 0, ProjectsPageSize)
	check("projects", err, len(projects.Values) == 1 && projects.Values[0].Lead.AccountID == "lead-1" && projects.Values[0].Archived)
	rd, err := c.ProjectRoleDetails(ctx, "10000")
	check("roledetails", err, len(rd) == 1 && rd[0].ID == 10002)
	role, err := c.ProjectRole(ctx, "10000", 10002)
	check("role", err, len(role.Actors) == 2 && role.Actors[1].ActorGroup.GroupID == "g1")
	gr, err := c.GlobalRoles(ctx)
	check("global roles", err, len(gr) == 1)
	ar, err := c.ApplicationRoles(ctx)
	check("app roles", err, len(ar) == 1 && ar[0].GroupDetails[0].GroupID == "g1")
	ps, err := c.PermissionSchemes(ctx)
	check("schemes", err, len(ps) == 1 && ps[0].Permissions[0].Holder.Value == "g1")
	pps, err := c.ProjectPermissionScheme(ctx, "10000")
	check("project scheme", err, pps.Name == "Default")
	si, err := c.ServerInfo(ctx)
	check("serverInfo", err, si["deploymentType"] == "Cloud")

	// Queries as the API documents them.
	q := map[string]url.Values{}
	for _, h := range rec.all() {
		v, _ := url.ParseQuery(h.query)
		q[h.path] = v
		if !strings.HasPrefix(h.auth, "Basic ") || h.ua != "jira-extractor/test" {
			t.Errorf("%s: auth %q ua %q", h.path, h.auth, h.ua)
		}
	}
	wantQ := map[string]url.Values{
		"/rest/api/3/users/search":     {"startAt": {"0"}, "maxResults": {"1000"}},
		"/rest/api/3/group/bulk":       {"startAt": {"0"}, "maxResults": {"50"}},
		"/rest/api/3/group/member":     {"startAt": {"0"}, "maxResults": {"50"}, "groupId": {"g 1/x"}, "includeInactiveUsers": {"true"}},
		"/rest/api/3/project/search":   {"startAt": {"0"}, "maxResults": {"100"}, "status": {"live", "archived"}, "expand": {"lead,description"}},
		"/rest/api/3/permissionscheme": {"expand": {"permissions"}},
	}
	for path, want := range wantQ {
		if !reflect.DeepEqual(q[path], want) {
			t.Errorf("%s query %v, want %v", path, q[path], want)
		}
	}

	// Stats are keyed by route template.
	st := c.Stats()
	if st.Total != 11 || st.ByEndpoint["GET /rest/api/3/project/{id}/role/{roleId}"] != 1 || st.ByEndpoint["GET /rest/api/3/group/member"] != 1 {
		t.Fatalf("stats %+v", st)
	}
	for k := range st.ByEndpoint {
		if strings.Contains(k, "10000") || strings.Contains(k, "?") {
			t.Errorf("by_endpoint key %q holds an id or a query", k)
		}
	}
}

// A 404 from project/search is passed on as the 404 it is: only the caller
// can tell "no projects" from a page that went missing.
func TestProjectsNotFoundIsPassedOn(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		jiraError(w, 404, "No projects found")
	})
	c := newClient(t, srv.URL, clientOpts{retries: 1})
	for _, startAt := range []int{0, 200} {
		p, err := c.ProjectsPage(context.Background(), startAt, 100)
		if !IsNotFound(err) || len(p.Values) != 0 || !strings.Contains(err.Error(), fmt.Sprintf("list projects at %d", startAt)) {
			t.Fatalf("startAt=%d: page %+v err %v, want a 404 naming the page", startAt, p, err)
		}
	}
	if _, err := c.ProjectsProbe(context.Background()); !IsNotFound(err) {
		t.Fatalf("probe: err %v, want the 404", err)
	}
	// An HTML 404 is not "no projects".
	srv2, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(404)
		_, _ = w.Write([]byte("<html>no such site</html>"))
	})
	c2 := newClient(t, srv2.URL, clientOpts{retries: 1})
	if _, err := c2.ProjectsPage(context.Background(), 0, 100); err == nil || !strings.Contains(err.Error(), "is siteName right?") {
		t.Fatalf("HTML 404: err = %v", err)
	}
}

func TestNextStartAtWithClampedPages(t *testing.T) {
	total := 120
	cases := []struct {
		name    string
		p       Page[int]
		startAt int
		next    int
		last    bool
	}{
		{"clamped to 50, more", Page[int]{MaxResults: 50, Values: make([]int, 50)}, 0, 50, false},
		{"clamped, total reached", Page[int]{MaxResults: 50, Total: &total, Values: make([]int, 20)}, 100, 120, true},
		{"short page but not last", Page[int]{MaxResults: 50, Values: make([]int, 10)}, 50, 60, false},
		{"isLast", Page[int]{IsLast: true, Values: make([]int, 3)}, 0, 3, true},
		{"empty", Page[int]{}, 60, 60, true},
	}
	for _, tc := range cases {
		next, last := tc.p.NextStartAt(tc.startAt)
		if next != tc.next || last != tc.last {
			t.Errorf("%s: next %d last %v, want %d %v", tc.name, next, last, tc.next, tc.last)
		}
	}
}

// ProjectsProbe asks one project with no status filter and no expansion and
// reports the total (or the values when the answer has no total).
func TestProjectsProbe(t *testing.T) {
	withTotal := true
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		page := map[string]any{"startAt": 0, "maxResults": 1, "isLast": false,
			"values": []any{map[string]any{"id": "10000", "key": "ABC", "name": "Alpha"}}}
		if withTotal {
			page["total"] = 37
		}
		writeJSON(w, 200, page)
	})
	c := newClient(t, srv.URL, clientOpts{retries: 1})
	if n, err := c.ProjectsProbe(context.Background()); err != nil || n != 37 {
		t.Fatalf("probe with total: %d, %v; want 37", n, err)
	}
	withTotal = false
	if n, err := c.ProjectsProbe(context.Background()); err != nil || n != 1 {
		t.Fatalf("probe without total: %d, %v; want 1", n, err)
	}
	hits := rec.all()
	h := hits[len(hits)-1]
	q, _ := url.ParseQuery(h.query)
	if h.path != "/rest/api/3/project/search" || q.Get("maxResults") != "1" || q.Get("startAt") != "0" || q.Has("status") || q.Has("expand") {
		t.Errorf("probe asked %s?%s", h.path, h.query)
	}
}
