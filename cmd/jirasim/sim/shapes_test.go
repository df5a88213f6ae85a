package sim

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

const tinyFile = "../../../testdata/sites/tiny.json"
const hostileFile = "../../../testdata/sites/hostile.json"

func TestUserShape(t *testing.T) {
	_, base := startSim(t, Config{DatasetFile: tinyFile})
	c := newClient(t, base)
	var users []map[string]any
	c.getJSON("/rest/api/3/users/search?maxResults=10", &users)
	if len(users) != 6 {
		t.Fatalf("got %d users, want 6", len(users))
	}
	byID := map[string]map[string]any{}
	for _, u := range users {
		byID[u["accountId"].(string)] = u
		for _, k := range []string{"self", "accountId", "accountType", "active", "displayName", "avatarUrls"} {
			if _, ok := u[k]; !ok {
				t.Errorf("user %v lacks %q", u["accountId"], k)
			}
		}
		if u["key"] != "" || u["name"] != "" {
			t.Errorf("key and name must be empty strings: %v", u)
		}
	}
	if _, ok := byID["5b10ac8d82e05b22cc7d4ef5"]["emailAddress"]; ok {
		t.Error("hidden email is shown")
	}
	if byID["557058:00000000-0000-4000-8000-000000000002"]["emailAddress"] != "alice@example.com" {
		t.Error("visible email missing")
	}
	if byID["557058:00000000-0000-4000-8000-000000000004"]["active"] != false {
		t.Error("inactive user shown active")
	}
	if _, ok := byID["qm:00000000-0000-4000-8000-000000000006:00000000-0000-4000-8000-000000000007"]["timeZone"]; ok {
		t.Error("user without time zone shows one")
	}
	var me map[string]any
	c.getJSON("/rest/api/3/myself", &me)
	if me["accountId"] != "557058:00000000-0000-4000-8000-000000000001" {
		t.Errorf("myself = %v", me["accountId"])
	}
}

func TestHostileNamesSurviveJSON(t *testing.T) {
	s, base := startSim(t, Config{DatasetFile: hostileFile})
	c := newClient(t, base)
	var users []wUser
	c.getJSON("/rest/api/3/users/search?maxResults=1000", &users)
	names := map[string]bool{}
	for _, u := range users {
		names[u.DisplayName] = true
	}
	for _, h := range hostileDisplayNames {
		if !names[h] {
			t.Errorf("hostile display name %q not served intact", h)
		}
	}
	var groups wPage[wGroup]
	c.getJSON("/rest/api/3/group/bulk?maxResults=50", &groups)
	gnames := map[string]bool{}
	for _, g := range groups.Values {
		gnames[g.Name] = true
	}
	for _, h := range hostileGroupNames {
		if !gnames[h] {
			t.Errorf("hostile group name %q missing", h)
		}
	}
	plus, hidden, kinds := 0, 0, map[string]int{}
	for _, u := range users {
		kinds[u.AccountType]++
		if u.EmailAddress == nil {
			hidden++
		} else if strings.Contains(*u.EmailAddress, "+") {
			plus++
		}
	}
	if plus == 0 || hidden < 100 || kinds["app"] == 0 || kinds["customer"] == 0 || kinds["atlassian"] < 700 {
		t.Errorf("hostile dataset lacks variety: plus=%d hidden=%d kinds=%v", plus, hidden, kinds)
	}
	if n, _, _ := s.Counts(); n != 1000 {
		t.Errorf("hostile dataset has %d users, want exactly 1000", n)
	}
}

func TestPageBeanShapeAndNextPage(t *testing.T) {
	_, base := startSim(t, Config{Seed: 1})
	c := newClient(t, base)
	status, _, b := c.do("/rest/api/3/group/bulk?startAt=0&maxResults=5")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	m := decodeMap(t, b)
	for _, k := range []string{"self", "nextPage", "maxResults", "startAt", "total", "isLast", "values"} {
		if _, ok := m[k]; !ok {
			t.Errorf("PageBean lacks %q: %s", k, b)
		}
	}
	next := m["nextPage"].(string)
	if strings.HasPrefix(next, base) || !strings.Contains(next, "startAt=5") {
		t.Errorf("nextPage %q should point at the fake site host with startAt=5", next)
	}
	_, _, b = c.do("/rest/api/3/group/bulk?startAt=15&maxResults=5")
	m = decodeMap(t, b)
	if _, ok := m["nextPage"]; ok || m["isLast"] != true {
		t.Errorf("last page must have isLast and no nextPage: %s", b)
	}
}

func TestClamping(t *testing.T) {
	_, base := startSim(t, Config{DatasetFile: hostileFile})
	c := newClient(t, base)
	var users []wUser
	c.getJSON("/rest/api/3/users/search?maxResults=5000", &users)
	if len(users) != 1000 {
		t.Errorf("users/search maxResults=5000 gave %d users, want 1000", len(users))
	}
	var gp wPage[wGroup]
	c.getJSON("/rest/api/3/group/bulk?maxResults=5000", &gp)
	if gp.MaxResults != 50 || len(gp.Values) != 24 {
		t.Errorf("group/bulk: maxResults %d, %d values", gp.MaxResults, len(gp.Values))
	}
	var big wGroup
	for _, g := range gp.Values {
		if g.Name == "jira-software-users" {
			big = g
		}
	}
	var mp wPage[wUser]
	c.getJSON("/rest/api/3/group/member?includeInactiveUsers=true&maxResults=5000&groupId="+big.GroupID, &mp)
	if mp.MaxResults != 50 || len(mp.Values) != 50 {
		t.Errorf("group/member: maxResults %d, %d values", mp.MaxResults, len(mp.Values))
	}
	_, base2 := startSim(t, Config{Users: 50, Groups: 3, Projects: 250, Seed: 2})
	c2 := newClient(t, base2)
	var pp wPage[wProject]
	c2.getJSON("/rest/api/3/project/search?maxResults=5000&status=live&status=archived", &pp)
	if pp.MaxResults != 100 || len(pp.Values) != 100 || *pp.IsLast {
		t.Errorf("project/search: maxResults %d, %d values, isLast %v", pp.MaxResults, len(pp.Values), *pp.IsLast)
	}
	if status, _, _ := c.do("/rest/api/3/users/search?maxResults=abc"); status != 400 {
		t.Errorf("bad maxResults: status %d, want 400", status)
	}
}

func TestUsersSearchEndsOnlyOnEmptyPage(t *testing.T) {
	_, base := startSim(t, Config{DatasetFile: hostileFile})
	c := newClient(t, base)
	var page []wUser
	c.getJSON("/rest/api/3/users/search?startAt=0&maxResults=1000", &page)
	if len(page) != 1000 {
		t.Fatalf("first page %d", len(page))
	}
	c.getJSON("/rest/api/3/users/search?startAt=1000&maxResults=1000", &page)
	if len(page) != 0 {
		t.Fatalf("page after the end has %d users", len(page))
	}
	status, _, b := c.do("/rest/api/3/users/search?startAt=990&maxResults=50")
	if status != 200 || !json.Valid(b) || b[0] != '[' {
		t.Fatalf("users/search must be a bare array: %.100s", b)
	}
}

func TestShortUserPages(t *testing.T) {
	s, base := startSim(t, Config{Users: 300, Groups: 2, Projects: 1, Faults: Faults{ShortUserPages: true}})
	c := newClient(t, base)
	// A client that stops on a short page misses users.
	var page []wUser
	c.getJSON("/rest/api/3/users/search?startAt=0&maxResults=100", &page)
	if len(page) == 0 || len(page) >= 100 {
		t.Fatalf("short page fault gave %d users", len(page))
	}
	// A client that stops only on an empty page gets them all, once each.
	seen := map[string]bool{}
	for start := 0; ; {
		c.getJSON("/rest/api/3/users/search?maxResults=100&startAt="+itoa(start), &page)
		if len(page) == 0 {
			break
		}
		for _, u := range page {
			if seen[u.AccountID] {
				t.Fatalf("user %s seen twice", u.AccountID)
			}
			seen[u.AccountID] = true
		}
		start += len(page)
	}
	if len(seen) != 300 {
		t.Errorf("got %d users, want 300", len(seen))
	}
	if s.Stats().Faults == 0 {
		t.Error("short pages not counted as faults")
	}
}

func TestGroupMemberInactiveExclusion(t *testing.T) {
	_, base := startSim(t, Config{DatasetFile: tinyFile})
	c := newClient(t, base)
	g := "00000000-0000-4000-9000-000000000001" // 4 members, 1 inactive
	var p wPage[wUser]
	c.getJSON("/rest/api/3/group/member?groupId="+g, &p)
	if len(p.Values) != 3 || *p.Total != 3 {
		t.Errorf("default: %d members (total %v), want 3 active", len(p.Values), p.Total)
	}
	for _, u := range p.Values {
		if !u.Active {
			t.Errorf("inactive user %s listed without includeInactiveUsers", u.AccountID)
		}
	}
	c.getJSON("/rest/api/3/group/member?includeInactiveUsers=true&groupId="+g, &p)
	if len(p.Values) != 4 {
		t.Errorf("includeInactiveUsers=true: %d members, want 4", len(p.Values))
	}
	c.getJSON("/rest/api/3/group/member?groupname=jira-software-users&includeInactiveUsers=true", &p)
	if len(p.Values) != 4 {
		t.Errorf("by groupname: %d members, want 4", len(p.Values))
	}
	// A group whose pages omit total.
	status, _, b := c.do("/rest/api/3/group/member?groupId=00000000-0000-4000-9000-000000000003")
	if m := decodeMap(t, b); status != 200 || m["total"] != nil || m["isLast"] != true {
		t.Errorf("omitTotal group: %s", b)
	}
	if status, _, _ := c.do("/rest/api/3/group/member?groupId=nope"); status != 404 {
		t.Errorf("unknown group: %d", status)
	}
	if status, _, _ := c.do("/rest/api/3/group/member"); status != 400 {
		t.Errorf("no group: %d", status)
	}
}

func TestProjectSearchStatusAndLead(t *testing.T) {
	_, base := startSim(t, Config{DatasetFile: tinyFile})
	c := newClient(t, base)
	var p wPage[wProject]
	c.getJSON("/rest/api/3/project/search", &p)
	if len(p.Values) != 2 {
		t.Errorf("default status: %d projects, want the 2 live ones", len(p.Values))
	}
	for _, pr := range p.Values {
		if pr.Archived || pr.Lead != nil {
			t.Errorf("default search: archived=%v lead=%v", pr.Archived, pr.Lead)
		}
	}
	p = wPage[wProject]{}
	c.getJSON("/rest/api/3/project/search?status=archived&expand=lead", &p)
	if len(p.Values) != 1 || !p.Values[0].Archived || p.Values[0].Lead == nil || p.Values[0].IsPrivate != nil {
		t.Errorf("archived: %+v", p.Values)
	}
	c.getJSON("/rest/api/3/project/search?status=live,archived", &p)
	if len(p.Values) != 3 {
		t.Errorf("comma status: %d", len(p.Values))
	}
	_, base2 := startSim(t, Config{Users: 5, Groups: 1, Projects: 1, Seed: 1})
	status, _, b := newClient(t, base2).do("/rest/api/3/project/search?status=archived")
	if status != 404 || !strings.Contains(string(b), "errorMessages") {
		t.Errorf("nothing matches: %d %s", status, b)
	}
}

func TestRoleEndpointsShape(t *testing.T) {
	_, base := startSim(t, Config{DatasetFile: tinyFile})
	c := newClient(t, base)
	var roles map[string]string
	c.getJSON("/rest/api/3/project/WEB/role", &roles)
	if len(roles) != 3 || !strings.HasSuffix(roles["Developers"], "/project/10001/role/10100") {
		t.Errorf("role map: %v", roles)
	}
	_, _, b := c.do("/rest/api/3/project/10001/role/10100")
	var r struct {
		Actors []map[string]any `json:"actors"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	var sawUser, sawGroup bool
	for _, a := range r.Actors {
		switch a["type"] {
		case "atlassian-user-role-actor":
			sawUser = a["actorUser"].(map[string]any)["accountId"] != "" && a["displayName"] != nil && a["id"] != nil
		case "atlassian-group-role-actor":
			g := a["actorGroup"].(map[string]any)
			sawGroup = g["groupId"] == "00000000-0000-4000-9000-000000000003" && g["name"] == "developers" && a["name"] == "developers"
		}
	}
	if !sawUser || !sawGroup {
		t.Errorf("actors: %s", b)
	}
	if status, _, _ := c.do("/rest/api/3/project/10001/role/10102"); status != 404 {
		t.Errorf("role not in project: %d", status)
	}
	if status, _, _ := c.do("/rest/api/3/project/NOPE/roledetails"); status != 404 {
		t.Errorf("unknown project: %d", status)
	}
	var global []wRole
	c.getJSON("/rest/api/3/role", &global)
	if len(global) != 4 || len(global[0].Actors) != 1 || global[0].Actors[0].ActorGroup.GroupID != "00000000-0000-4000-9000-000000000002" {
		t.Errorf("global roles: %+v", global)
	}
	var sc map[string]any
	c.getJSON("/rest/api/3/project/HELP/permissionscheme", &sc)
	if sc["id"] != float64(10001) || sc["permissions"] != nil {
		t.Errorf("project scheme: %v", sc)
	}
}

func TestConfigEndpointsShape(t *testing.T) {
	_, base := startSim(t, Config{DatasetFile: tinyFile})
	c := newClient(t, base)
	var apps []wAppRole
	c.getJSON("/rest/api/3/applicationrole", &apps)
	if len(apps) != 3 || apps[0].Key != "jira-software" || len(apps[0].GroupDetails) != 2 || apps[0].GroupDetails[0].GroupID == "" ||
		len(apps[0].DefaultGroups) != 1 || apps[0].DefaultGroupsDetails[0].Name != "jira-software-users" {
		t.Errorf("application roles: %+v", apps)
	}
	var s struct {
		PermissionSchemes []wScheme `json:"permissionSchemes"`
	}
	c.getJSON("/rest/api/3/permissionscheme?expand=permissions", &s)
	types := map[string]bool{}
	for _, sc := range s.PermissionSchemes {
		for _, p := range sc.Permissions {
			types[p.Holder.Type] = true
			if p.Holder.Type == "group" && (p.Holder.Parameter != "jira-administrators" || p.Holder.Value != "00000000-0000-4000-9000-000000000002") {
				t.Errorf("group holder: %+v", p.Holder)
			}
		}
	}
	for _, want := range []string{"anyone", "applicationRole", "assignee", "group", "groupCustomField", "projectLead", "projectRole", "reporter", "sd.customer.portal.only", "user", "userCustomField"} {
		if !types[want] {
			t.Errorf("holder type %q missing", want)
		}
	}
	s.PermissionSchemes = nil
	c.getJSON("/rest/api/3/permissionscheme", &s)
	if len(s.PermissionSchemes) != 2 || s.PermissionSchemes[0].Permissions != nil {
		t.Errorf("without expand, no grants: %+v", s.PermissionSchemes)
	}
}

func TestGeneratedSchemesHaveEveryHolderType(t *testing.T) {
	d, err := Generate(Config{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range d.PermissionSchemes {
		types := map[string]bool{}
		withParam := false
		for _, g := range sc.Permissions {
			types[g.Holder.Type] = true
			if g.Holder.Type == "applicationRole" && g.Holder.Parameter != "" {
				withParam = true
			}
		}
		if len(types) != 11 || !withParam {
			t.Errorf("scheme %d: holder types %v, applicationRole with parameter %v", sc.ID, types, withParam)
		}
	}
}

func TestMiscEndpoints(t *testing.T) {
	s, base := startSim(t, Config{DatasetFile: tinyFile})
	c := newClient(t, base)
	c.email, c.token = "", ""
	var ti map[string]string
	c.getJSON("/_edge/tenant_info", &ti)
	if ti["cloudId"] != "11111111-2222-4333-8444-555555555555" || s.CloudID() != ti["cloudId"] {
		t.Errorf("tenant_info %v", ti)
	}
	var si map[string]any
	c.getJSON("/rest/api/3/serverInfo", &si)
	if si["deploymentType"] != "Cloud" {
		t.Errorf("serverInfo %v", si)
	}
	status, h, b := c.do("/wiki/whatever")
	if status != 404 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || json.Valid(b) {
		t.Errorf("unknown path: %d %s %.50s", status, h.Get("Content-Type"), b)
	}
	if s.Stats().ByEndpoint["GET (unmatched)"] != 1 {
		t.Errorf("unmatched not counted: %v", s.Stats().ByEndpoint)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
