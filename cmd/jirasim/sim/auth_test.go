package sim

import (
	"strings"
	"testing"
)

func TestAuth(t *testing.T) {
	s, base := startSim(t, Config{DatasetFile: tinyFile})
	gw := "/ex/jira/" + s.CloudID() + "/rest/api/3"
	site := "/rest/api/3"
	const badCreds = `{"message":"Client must be authenticated to access this resource.","status-code":401}`
	const scopeMismatch = `{"code":401,"message":"Unauthorized; scope does not match"}`
	cases := []struct {
		name   string
		token  string
		path   string
		status int
		body   string
	}{
		{"unscoped on site", DefaultToken, site + "/myself", 200, ""},
		{"unscoped on gateway", DefaultToken, gw + "/myself", 401, badCreds},
		{"scoped on site", DefaultScopedToken, site + "/myself", 401, badCreds},
		{"scoped on gateway", DefaultScopedToken, gw + "/myself", 200, ""},
		{"scoped on gateway, config scope", DefaultScopedToken, gw + "/permissionscheme", 200, ""},
		{"underscoped myself", DefaultUnderScopedToken, gw + "/myself", 200, ""},
		{"underscoped users", DefaultUnderScopedToken, gw + "/users/search", 200, ""},
		{"underscoped group/member", DefaultUnderScopedToken, gw + "/group/member?groupId=00000000-0000-4000-9000-000000000001", 200, ""},
		{"underscoped projects", DefaultUnderScopedToken, gw + "/project/search", 401, scopeMismatch},
		{"underscoped roles", DefaultUnderScopedToken, gw + "/project/10001/roledetails", 401, scopeMismatch},
		{"underscoped global roles", DefaultUnderScopedToken, gw + "/role", 401, scopeMismatch},
		{"underscoped approles", DefaultUnderScopedToken, gw + "/applicationrole", 401, scopeMismatch},
		{"underscoped on site", DefaultUnderScopedToken, site + "/myself", 401, badCreds},
		{"wrong token on site", "nope", site + "/myself", 401, badCreds},
		{"wrong token on gateway", "nope", gw + "/myself", 401, badCreds},
		{"wrong cloud id", DefaultScopedToken, "/ex/jira/00000000-0000-0000-0000-000000000000/rest/api/3/myself", 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, b := newClient(t, base).with(tc.token).do(tc.path)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, b)
			}
			if tc.body != "" && string(b) != tc.body {
				t.Errorf("body %s, want %s", b, tc.body)
			}
		})
	}
	c := newClient(t, base)
	c.email, c.token = "", ""
	if status, _, _ := c.do(site + "/myself"); status != 401 {
		t.Errorf("no credentials: %d", status)
	}
	c = newClient(t, base)
	c.email = "other@example.com"
	if status, _, _ := c.do(site + "/myself"); status != 401 {
		t.Errorf("wrong email: %d", status)
	}
	s.SetFaults(Faults{PlainText401: true})
	status, h, b := newClient(t, base).with("nope").do(site + "/myself")
	if status != 401 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") || b[0] == '{' {
		t.Errorf("plain 401: %d %s %s", status, h.Get("Content-Type"), b)
	}
}

func TestPermissions(t *testing.T) {
	cases := []struct {
		perms Permissions
		path  string
		want  int
	}{
		{Permissions{AdministerJira: true, BrowseProjects: true}, "/rest/api/3/users/search", 403},
		{Permissions{AdministerJira: true, BrowseProjects: true}, "/rest/api/3/group/bulk", 403},
		{Permissions{AdministerJira: true, BrowseProjects: true}, "/rest/api/3/project/search", 200},
		{Permissions{BrowseUsers: true, BrowseProjects: true}, "/rest/api/3/role", 403},
		{Permissions{BrowseUsers: true, BrowseProjects: true}, "/rest/api/3/applicationrole", 403},
		{Permissions{BrowseUsers: true, BrowseProjects: true}, "/rest/api/3/permissionscheme", 403},
		{Permissions{BrowseUsers: true, BrowseProjects: true}, "/rest/api/3/users/search", 200},
		{Permissions{BrowseUsers: true, AdministerJira: true}, "/rest/api/3/project/search", 404},
		{Permissions{BrowseUsers: true, AdministerJira: true}, "/rest/api/3/project/WEB/roledetails", 404},
		{Permissions{DenyAll: true}, "/rest/api/3/myself", 200},
		{Permissions{DenyAll: true}, "/rest/api/3/group/member?groupId=x", 403},
		{Permissions{}, "/rest/api/3/permissionscheme", 200},
	}
	for _, tc := range cases {
		_, base := startSim(t, Config{DatasetFile: tinyFile, Permissions: tc.perms})
		status, _, b := newClient(t, base).do(tc.path)
		if status != tc.want {
			t.Errorf("%+v %s: status %d, want %d", tc.perms, tc.path, status, tc.want)
		}
		if status != 200 && !strings.Contains(string(b), `"errorMessages"`) {
			t.Errorf("%s: not a Jira error body: %s", tc.path, b)
		}
	}
}

func TestAdminAPI(t *testing.T) {
	d, err := Generate(Config{Users: 400, Groups: 150, Projects: 2, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	s, base := startSim(t, Config{Dataset: d})
	c := newClient(t, base)
	c.bearer = DefaultOrgAPIKey
	// v1: links.next is a full URL that works as is.
	seen := map[string]bool{}
	next, pages := "/admin/v1/orgs/sim-org/users", 0
	for next != "" {
		var page struct {
			Data  []wOrgUser            `json:"data"`
			Links struct{ Next string } `json:"links"`
		}
		c.getJSON(next, &page)
		pages++
		if page.Links.Next != "" && !strings.HasPrefix(page.Links.Next, base+"/admin/v1/orgs/sim-org/users?cursor=") {
			t.Fatalf("v1 next %q is not a full URL of this server", page.Links.Next)
		}
		for _, u := range page.Data {
			if seen[u.AccountID] || u.AccountStatus == "" || u.ProductAccess == nil {
				t.Errorf("v1 user %+v repeated or incomplete", u)
			}
			seen[u.AccountID] = true
		}
		next = page.Links.Next
	}
	if len(seen) != len(d.Org.Users) || pages != (len(d.Org.Users)+99)/100 {
		t.Errorf("v1: %d users in %d pages, want %d", len(seen), pages, len(d.Org.Users))
	}
	// v2 users and groups: links.next is a cursor string.
	for _, kind := range []string{"users", "groups"} {
		n, cursor, pages := 0, "", 0
		for {
			var page struct {
				Data  []map[string]any      `json:"data"`
				Links struct{ Next string } `json:"links"`
			}
			c.getJSON("/admin/v2/orgs/sim-org/directories/-/"+kind+"?limit=30&cursor="+cursor, &page)
			pages++
			if len(page.Data) > 30 {
				t.Fatalf("limit ignored")
			}
			n += len(page.Data)
			if page.Links.Next == "" {
				break
			}
			if strings.Contains(page.Links.Next, "/") {
				t.Fatalf("v2 next %q should be a bare cursor", page.Links.Next)
			}
			cursor = page.Links.Next
		}
		want := len(d.Org.Users)
		if kind == "groups" {
			want = len(d.Org.Groups)
		}
		if n != want || pages != (want+29)/30 {
			t.Errorf("v2 %s: %d in %d pages, want %d", kind, n, pages, want)
		}
	}
	var big struct{ Data []any }
	c.getJSON("/admin/v2/orgs/sim-org/directories/-/groups?limit=1000", &big)
	if len(big.Data) != adminV2Max {
		t.Errorf("v2 limit not clamped: %d", len(big.Data))
	}
	// Errors.
	for _, tc := range []struct {
		bearer, path string
		status       int
	}{
		{"wrong", "/admin/v1/orgs/sim-org/users", 401},
		{"", "/admin/v1/orgs/sim-org/users", 401},
		{DefaultOrgAPIKey, "/admin/v1/orgs/other-org/users", 404},
		{DefaultOrgAPIKey, "/admin/v2/orgs/sim-org/directories/abc/users", 404},
		{DefaultOrgAPIKey, "/admin/v2/orgs/sim-org/directories/-/users?cursor=bm9wZQ", 400},
		{DefaultOrgAPIKey, "/admin/v2/orgs/sim-org/directories/-/groups?limit=-1", 400},
	} {
		cc := newClient(t, base)
		cc.bearer = tc.bearer
		if tc.bearer == "" {
			cc.email, cc.token = DefaultEmail, DefaultToken // Basic is not accepted
		}
		status, _, b := cc.do(tc.path)
		var e struct {
			Errors []struct{ ID, Status, Code, Title, Detail string } `json:"errors"`
		}
		m := decodeMap(t, b)
		_ = m
		if status != tc.status {
			t.Errorf("%s bearer=%q: %d, want %d", tc.path, tc.bearer, status, tc.status)
		}
		if err := jsonUnmarshal(b, &e); err != nil || len(e.Errors) != 1 || e.Errors[0].Status != itoa(tc.status) || e.Errors[0].Code == "" || e.Errors[0].ID == "" {
			t.Errorf("%s: admin error body %s", tc.path, b)
		}
	}
	if s.Stats().ByEndpoint["GET /admin/v1/orgs/{orgId}/users"] == 0 {
		t.Errorf("admin routes not counted: %v", s.Stats().ByEndpoint)
	}
}
