package sim

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// pickUser returns the first user (after myself) that ok accepts.
func pickUser(t testing.TB, s *Server, ok func(i int32, u *user) bool) int32 {
	t.Helper()
	for i := 1; i < len(s.site.users); i++ {
		if ok(int32(i), &s.site.users[i]) {
			return int32(i)
		}
	}
	t.Fatal("no user fits")
	return -1
}

func memberIDs(t testing.TB, c *client, groupID string) []string {
	t.Helper()
	var page struct {
		Values []struct{ AccountID string }
	}
	c.getJSON("/rest/api/3/group/member?includeInactiveUsers=true&maxResults=50&groupId="+url.QueryEscape(groupID), &page)
	var out []string
	for _, v := range page.Values {
		out = append(out, v.AccountID)
	}
	return out
}

func userGroupIDs(t testing.TB, c *client, accountID string) []string {
	t.Helper()
	var gs []struct{ Name, GroupID string }
	c.getJSON("/rest/api/3/user/groups?accountId="+url.QueryEscape(accountID), &gs)
	var out []string
	for _, g := range gs {
		out = append(out, g.GroupID)
	}
	return out
}

type auditPage struct {
	Offset, Limit, Total int
	Records              []struct {
		ID         int64
		Summary    string
		Created    string
		Category   string
		ObjectItem struct{ ID, Name, TypeName, ParentID, ParentName string }
		Changed    []struct{ FieldName, ChangedFrom, ChangedTo string } `json:"changedValues"`
		Associated []struct{ ID, Name, TypeName string }                `json:"associatedItems"`
	}
}

func TestGroupMembershipWrites(t *testing.T) {
	s, base := startSim(t, Config{Seed: 1})
	c := newClient(t, base)
	g := s.site.groups[4] // empty-group
	ui := pickUser(t, s, func(_ int32, u *user) bool { return u.active })
	acc := s.site.users[ui].accountID
	path := "/rest/api/3/group/user?groupId=" + g.id

	var grp struct {
		Name, GroupID string
		Users         struct{ Size int }
	}
	if err := json.Unmarshal(c.expect(201, "POST", path, map[string]string{"accountId": acc}), &grp); err != nil {
		t.Fatal(err)
	}
	if grp.GroupID != g.id || grp.Name != "empty-group" || grp.Users.Size != 1 {
		t.Errorf("201 body: %+v", grp)
	}
	e := decodeJiraErr(t, c.expect(400, "POST", path, map[string]string{"accountId": acc}))
	if len(e.ErrorMessages) != 1 || e.ErrorMessages[0] != "Cannot add user. User is already a member of 'empty-group'" {
		t.Errorf("already a member: %+v", e)
	}
	if got := memberIDs(t, c, g.id); !slices.Equal(got, []string{acc}) {
		t.Errorf("group/member after add: %v", got)
	}
	if !slices.Contains(userGroupIDs(t, c, acc), g.id) {
		t.Errorf("user/groups misses %s", g.id)
	}
	c.expect(404, "POST", "/rest/api/3/group/user?groupId=nope", map[string]string{"accountId": acc})
	c.expect(404, "POST", path, map[string]string{"accountId": "557058:nobody"})
	c.expect(400, "POST", path, map[string]string{})
	c.expect(400, "POST", "/rest/api/3/group/user", map[string]string{"accountId": acc})
	c.expect(404, "DELETE", "/rest/api/3/group/user?groupId=nope&accountId="+url.QueryEscape(acc), nil)
	c.expect(404, "DELETE", path+"&accountId=557058:nobody", nil)

	c.expect(200, "DELETE", path+"&accountId="+url.QueryEscape(acc), nil)
	e = decodeJiraErr(t, c.expect(400, "DELETE", path+"&accountId="+url.QueryEscape(acc), nil))
	if len(e.ErrorMessages) != 1 || !strings.Contains(e.ErrorMessages[0], "not a member") {
		t.Errorf("not a member: %+v", e)
	}
	if slices.Contains(userGroupIDs(t, c, acc), g.id) || len(memberIDs(t, c, g.id)) != 0 {
		t.Error("still a member after DELETE")
	}

	st := s.Stats()
	if st.Writes != 2 || st.WritesByEndpoint["POST /rest/api/3/group/user"] != 1 || st.WritesByEndpoint["DELETE /rest/api/3/group/user"] != 1 {
		t.Errorf("writes: %d %v", st.Writes, st.WritesByEndpoint)
	}
	if st.WriteRequests != 10 {
		t.Errorf("write requests %d, want 10", st.WriteRequests)
	}

	var au auditPage
	c.getJSON("/rest/api/3/auditing/record", &au)
	if au.Total != 2 || len(au.Records) != 2 || au.Limit != 1000 {
		t.Fatalf("audit: %+v", au)
	}
	for k, want := range []string{"User removed from group", "User added to group"} { // newest first
		r := au.Records[k]
		if r.Summary != want || r.Category != "group management" || r.ObjectItem.TypeName != "GROUP" || r.ObjectItem.ID != g.id ||
			len(r.Associated) != 1 || r.Associated[0].ID != acc || r.Associated[0].TypeName != "USER" {
			t.Errorf("audit record %d: %+v", k, r)
		}
	}
	if au.Records[0].ID <= au.Records[1].ID {
		t.Error("audit records are not newest first")
	}
	c.getJSON("/rest/api/3/auditing/record?filter=removed%20group&limit=5", &au)
	if au.Total != 1 || au.Records[0].Summary != "User removed from group" || au.Limit != 5 {
		t.Errorf("audit filter: %+v", au)
	}
	c.getJSON("/rest/api/3/auditing/record?offset=1&limit=5000", &au)
	if au.Total != 2 || len(au.Records) != 1 || au.Limit != 1000 || au.Records[0].Summary != "User added to group" {
		t.Errorf("audit offset/limit: %+v", au)
	}
	c.getJSON("/rest/api/3/auditing/record?from=2999-01-01T00:00:00.000%2B0000", &au)
	if au.Total != 0 {
		t.Errorf("audit from the future: %+v", au)
	}

	// Without site administration: 403 on writes and on the audit log.
	_, base2 := startSim(t, Config{Seed: 1, Permissions: Permissions{BrowseUsers: true, BrowseProjects: true, AdministerProjects: true}})
	c2 := newClient(t, base2)
	c2.expect(403, "POST", path, map[string]string{"accountId": acc})
	c2.expect(403, "DELETE", "/rest/api/3/user?accountId="+url.QueryEscape(acc), nil)
	c2.expect(403, "GET", "/rest/api/3/auditing/record", nil)
	c2.expect(200, "GET", "/rest/api/3/user/groups?accountId="+url.QueryEscape(acc), nil)
	// The under-scoped token (read:jira-user only) may read back but not write.
	gw := newClient(t, base).with(DefaultUnderScopedToken)
	gw.base = base + "/ex/jira/" + s.CloudID()
	gw.expect(401, "POST", path, map[string]string{"accountId": acc})
	gw.expect(200, "GET", "/rest/api/3/user/groups?accountId="+url.QueryEscape(acc), nil)
}

func TestRoleActorWrites(t *testing.T) {
	s, base := startSim(t, Config{Seed: 1})
	c := newClient(t, base)
	p := &s.site.projects[0]
	pr := p.roles[0]
	rid := s.site.roles[pr.role].id
	path := "/rest/api/3/project/" + p.key + "/role/" + itoa(int(rid))
	ui := pickUser(t, s, func(i int32, u *user) bool { return u.active && actorIndex(&pr, i, -1) < 0 })
	inactive := pickUser(t, s, func(_ int32, u *user) bool { return !u.active })
	gi := int32(slices.IndexFunc(s.site.groups, func(g group) bool {
		k, _ := s.site.groupIdx[g.id]
		return actorIndex(&pr, -1, k) < 0
	}))
	acc, gid := s.site.users[ui].accountID, s.site.groups[gi].id

	type roleBody struct {
		ID     int64
		Actors []struct {
			Type       string
			ActorUser  struct{ AccountID string }
			ActorGroup struct{ GroupID string }
		}
	}
	var rb roleBody
	if err := json.Unmarshal(c.expect(200, "POST", path, map[string][]string{"user": {acc}}), &rb); err != nil {
		t.Fatal(err)
	}
	if rb.ID != rid || len(rb.Actors) != len(pr.actors)+1 || rb.Actors[len(rb.Actors)-1].ActorUser.AccountID != acc {
		t.Errorf("POST user actor: %+v", rb)
	}
	e := decodeJiraErr(t, c.expect(400, "POST", path, map[string][]string{"user": {acc}}))
	if !strings.Contains(e.ErrorMessages[0], "already a member of the project role") {
		t.Errorf("already an actor: %+v", e)
	}
	if err := json.Unmarshal(c.expect(200, "POST", path, map[string][]string{"groupId": {gid}}), &rb); err != nil {
		t.Fatal(err)
	}
	if rb.Actors[len(rb.Actors)-1].ActorGroup.GroupID != gid || len(rb.Actors) != len(pr.actors)+2 {
		t.Errorf("POST group actor: %+v", rb)
	}
	c.expect(404, "POST", path, map[string][]string{"user": {s.site.users[inactive].accountID}}) // not active
	c.expect(404, "POST", path, map[string][]string{"user": {"557058:nobody"}})
	c.expect(404, "POST", path, map[string][]string{"groupId": {"nope"}})
	c.expect(404, "POST", "/rest/api/3/project/NOPE/role/"+itoa(int(rid)), map[string][]string{"user": {acc}})
	c.expect(404, "POST", "/rest/api/3/project/"+p.key+"/role/99999", map[string][]string{"user": {acc}})
	c.expect(400, "POST", path, map[string][]string{})
	// The role read shows both new actors.
	c.getJSON(path, &rb)
	if len(rb.Actors) != len(pr.actors)+2 {
		t.Errorf("GET role after adds: %d actors", len(rb.Actors))
	}

	c.expect(204, "DELETE", path+"?user="+url.QueryEscape(acc), nil)
	e = decodeJiraErr(t, c.expect(404, "DELETE", path+"?user="+url.QueryEscape(acc), nil))
	if !strings.Contains(e.ErrorMessages[0], "not a member of the project role") {
		t.Errorf("not an actor: %+v", e)
	}
	c.expect(204, "DELETE", path+"?groupId="+gid, nil)
	c.expect(400, "DELETE", path, nil)
	c.getJSON(path, &rb)
	if len(rb.Actors) != len(pr.actors) {
		t.Errorf("GET role after deletes: %d actors, want %d", len(rb.Actors), len(pr.actors))
	}
	var au auditPage
	c.getJSON("/rest/api/3/auditing/record?filter=project%20roles", &au)
	if au.Total != 4 {
		t.Fatalf("role audit records: %+v", au)
	}
	r := au.Records[3] // the first change: the user added
	if r.Summary != "Project roles changed" || r.Category != "projects" || r.ObjectItem.TypeName != "PROJECT_ROLE" ||
		r.ObjectItem.ID != itoa(int(rid)) || len(r.Changed) != 1 || r.Changed[0].ChangedTo != acc ||
		!slices.ContainsFunc(r.Associated, func(a struct{ ID, Name, TypeName string }) bool { return a.TypeName == "PROJECT" && a.ID == p.id }) {
		t.Errorf("role audit record: %+v", r)
	}

	// Without Administer Projects (nor Administer Jira): 404 on both writes.
	_, base2 := startSim(t, Config{Seed: 1, Permissions: Permissions{BrowseUsers: true, BrowseProjects: true}})
	c2 := newClient(t, base2)
	c2.expect(404, "POST", path, map[string][]string{"user": {acc}})
	c2.expect(404, "DELETE", path+"?user="+url.QueryEscape(acc), nil)
	_, base3 := startSim(t, Config{Seed: 1, Permissions: Permissions{BrowseProjects: true, AdministerProjects: true}})
	newClient(t, base3).expect(200, "POST", path, map[string][]string{"user": {acc}})
}

func TestUserCreateAndDelete(t *testing.T) {
	s, base := startSim(t, Config{Seed: 1})
	c := newClient(t, base)
	users0, _, _ := s.Counts()
	var u struct {
		AccountID, EmailAddress, DisplayName string
		Active                               bool
	}
	body := map[string]any{"emailAddress": "new.person@example.com", "products": []string{"jira-software"}}
	if err := json.Unmarshal(c.expect(201, "POST", "/rest/api/3/user", body), &u); err != nil {
		t.Fatal(err)
	}
	if u.AccountID == "" || u.EmailAddress != "new.person@example.com" || !u.Active {
		t.Fatalf("created user: %+v", u)
	}
	if n, _, _ := s.Counts(); n != users0+1 {
		t.Errorf("users %d, want %d", n, users0+1)
	}
	swDefault := s.site.groups[0].id // jira-software's default group
	if !slices.Equal(userGroupIDs(t, c, u.AccountID), []string{swDefault}) {
		t.Errorf("new user's groups: %v", userGroupIDs(t, c, u.AccountID))
	}
	w := s.Stats().Writes
	var again struct{ AccountID string }
	_ = json.Unmarshal(c.expect(201, "POST", "/rest/api/3/user", body), &again)
	if again.AccountID != u.AccountID || s.Stats().Writes != w {
		t.Errorf("existing user with access: %+v, writes %d → %d", again, w, s.Stats().Writes)
	}
	noAccess := map[string]any{"emailAddress": "no.access@example.com", "products": []string{}}
	c.expect(201, "POST", "/rest/api/3/user", noAccess)
	c.expect(400, "POST", "/rest/api/3/user", noAccess) // exists without access
	e := decodeJiraErr(t, c.expect(400, "POST", "/rest/api/3/user", map[string]any{"emailAddress": "not-an-email"}))
	if e.Errors["emailAddress"] == "" || e.Errors["products"] == "" {
		t.Errorf("bad create: %+v", e)
	}
	e = decodeJiraErr(t, c.expect(400, "POST", "/rest/api/3/user", map[string]any{"emailAddress": "a@b.example", "products": []string{"confluence"}}))
	if !strings.Contains(e.Errors["products"], "confluence") {
		t.Errorf("bad product: %+v", e)
	}

	// An org account that is not on the site joins with its own accountId.
	var orgOnly *orgUser
	for k := range s.site.orgUsers {
		if ou := &s.site.orgUsers[k]; ou.jira < 0 && ou.status == "active" {
			orgOnly = ou
			break
		}
	}
	var joined struct{ AccountID string }
	_ = json.Unmarshal(c.expect(201, "POST", "/rest/api/3/user", map[string]any{"emailAddress": orgOnly.email, "products": []string{"jira-servicedesk"}}), &joined)
	if joined.AccountID != orgOnly.accountID {
		t.Errorf("org account joined as %q, want %q", joined.AccountID, orgOnly.accountID)
	}

	// Delete: gone from users/search, groups and user/groups; the account stays in the org.
	c.expect(204, "DELETE", "/rest/api/3/user?accountId="+url.QueryEscape(u.AccountID), nil)
	c.expect(404, "DELETE", "/rest/api/3/user?accountId="+url.QueryEscape(u.AccountID), nil)
	c.expect(404, "GET", "/rest/api/3/user/groups?accountId="+url.QueryEscape(u.AccountID), nil)
	if slices.Contains(memberIDs(t, c, swDefault), u.AccountID) {
		t.Error("deleted user still in group/member")
	}
	var all []struct{ AccountID string }
	c.getJSON("/rest/api/3/users/search?maxResults=1000", &all)
	if slices.ContainsFunc(all, func(x struct{ AccountID string }) bool { return x.AccountID == u.AccountID }) {
		t.Error("deleted user still in users/search")
	}
	if n, _, _ := s.Counts(); len(all) != n || n != users0+2 {
		t.Errorf("users/search %d, Counts %d, want %d", len(all), n, users0+2)
	}
	var au auditPage
	c.getJSON("/rest/api/3/auditing/record?filter=user", &au)
	if au.Records[0].Summary != "User deleted" || au.Records[0].ObjectItem.ID != u.AccountID {
		t.Errorf("newest audit record: %+v", au.Records[0])
	}

	// Refused: yourself, a project lead.
	c.expect(400, "DELETE", "/rest/api/3/user?accountId="+url.QueryEscape(s.site.users[s.site.myself].accountID), nil)
	lead := &s.site.projects[0]
	e = decodeJiraErr(t, c.expect(400, "DELETE", "/rest/api/3/user?accountId="+url.QueryEscape(s.site.users[lead.lead].accountID), nil))
	if !strings.Contains(e.ErrorMessages[0], lead.key) {
		t.Errorf("lead delete: %+v", e)
	}

	// Back on the site with the same accountId.
	_ = json.Unmarshal(c.expect(201, "POST", "/rest/api/3/user", body), &again)
	if again.AccountID != u.AccountID {
		t.Errorf("re-created user %q, want %q", again.AccountID, u.AccountID)
	}
	c.expect(200, "GET", "/rest/api/3/user/groups?accountId="+url.QueryEscape(u.AccountID), nil)
}

// TestUserPagesAfterChanges: users/search pages of any size, cut across
// removed and re-encoded users, join into the one-page answer.
func TestUserPagesAfterChanges(t *testing.T) {
	s, base := startSim(t, Config{Seed: 1})
	c, a := newClient(t, base), admin(t, base)
	var dirs struct {
		Data []struct{ DirectoryID string }
	}
	a.getJSON("/admin/v2/orgs/sim-org/directories", &dirs)
	removed, suspended := 0, 0
	for i := int32(1); i < 60 && removed+suspended < 16; i++ {
		u := &s.site.users[i]
		lead := slices.ContainsFunc(s.site.projects, func(p project) bool { return p.lead == i })
		switch {
		case i%3 == 0 && !lead:
			c.expect(204, "DELETE", "/rest/api/3/user?accountId="+url.QueryEscape(u.accountID), nil)
			removed++
		case i%3 == 1 && s.site.orgUserOf(i) != nil:
			a.expect(200, "POST", "/admin/v2/orgs/sim-org/directories/"+dirs.Data[0].DirectoryID+"/users/"+u.accountID+"/suspend", nil)
			suspended++
		}
	}
	c.expect(201, "POST", "/rest/api/3/user", map[string]any{"emailAddress": "late.joiner@example.com", "products": []string{}})
	whole := mustGet(t, c, "/rest/api/3/users/search?maxResults=1000")
	var all []json.RawMessage
	if err := json.Unmarshal(whole, &all); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := s.Counts(); len(all) != n || removed == 0 || suspended == 0 {
		t.Fatalf("%d users listed, Counts %d (removed %d, suspended %d)", len(all), n, removed, suspended)
	}
	for _, size := range []int{1, 7, 50} {
		var joined []json.RawMessage
		for start := 0; ; {
			var page []json.RawMessage
			c.getJSON("/rest/api/3/users/search?maxResults="+itoa(size)+"&startAt="+itoa(start), &page)
			if len(page) == 0 {
				break
			}
			joined = append(joined, page...)
			start += len(page)
		}
		if len(joined) != len(all) {
			t.Fatalf("pages of %d: %d users, want %d", size, len(joined), len(all))
		}
		for k := range all {
			if string(joined[k]) != string(all[k]) {
				t.Fatalf("pages of %d: user %d differs:\n%s\n%s", size, k, joined[k], all[k])
			}
		}
	}
}

func mustGet(t testing.TB, c *client, path string) []byte {
	t.Helper()
	status, _, b := c.do(path)
	if status != 200 {
		t.Fatalf("GET %s: %d %.200s", path, status, b)
	}
	return b
}
