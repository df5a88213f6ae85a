package sim

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"
)

type adminErrBody struct {
	Errors []struct{ ID, Status, Code, Title, Detail string }
}

func decodeAdminErr(t testing.TB, b []byte, status string) adminErrBody {
	t.Helper()
	var e adminErrBody
	if err := json.Unmarshal(b, &e); err != nil || len(e.Errors) != 1 || e.Errors[0].Status != status ||
		e.Errors[0].ID == "" || e.Errors[0].Code == "" || e.Errors[0].Detail == "" {
		t.Fatalf("not an Admin API error with status %s (%v): %.300s", status, err, b)
	}
	return e
}

// jiraActive reads a user's "active" from users/search.
func jiraActive(t testing.TB, c *client, accountID string) bool {
	t.Helper()
	var all []struct {
		AccountID string
		Active    bool
	}
	c.getJSON("/rest/api/3/users/search?maxResults=1000", &all)
	for _, u := range all {
		if u.AccountID == accountID {
			return u.Active
		}
	}
	t.Fatalf("%s not in users/search", accountID)
	return false
}

func v2User(t testing.TB, a *client, accountID string) (status string) {
	t.Helper()
	var page struct {
		Data []struct{ AccountID, Status string }
	}
	a.getJSON("/admin/v2/orgs/sim-org/directories/-/users?limit=100", &page)
	for _, u := range page.Data {
		if u.AccountID == accountID {
			return u.Status
		}
	}
	t.Fatalf("%s not on the first v2 users page", accountID)
	return ""
}

func v1Status(t testing.TB, a *client, accountID string) string {
	t.Helper()
	var page struct {
		Data []struct {
			AccountID     string `json:"account_id"`
			AccountStatus string `json:"account_status"`
		} `json:"data"`
	}
	a.getJSON("/admin/v1/orgs/sim-org/users", &page)
	for _, u := range page.Data {
		if u.AccountID == accountID {
			return u.AccountStatus
		}
	}
	t.Fatalf("%s not on the first v1 users page", accountID)
	return ""
}

func TestAdminWrites(t *testing.T) {
	s, base := startSim(t, Config{Seed: 1})
	c, a := newClient(t, base), admin(t, base)
	var dirs struct {
		Data []struct{ DirectoryID, Name string }
	}
	a.getJSON("/admin/v2/orgs/sim-org/directories", &dirs)
	if len(dirs.Data) != 1 || dirs.Data[0].DirectoryID == "" {
		t.Fatalf("directories: %+v", dirs)
	}
	dir := "/admin/v2/orgs/sim-org/directories/" + dirs.Data[0].DirectoryID
	// Reads accept the real directory id as well as "-".
	a.expect(200, "GET", dir+"/users?limit=1", nil)

	ui := pickUser(t, s, func(i int32, u *user) bool {
		ou := s.site.orgUserOf(i)
		return u.active && ou != nil && ou.status == "active" && s.site.orgIdx[u.accountID] < 50
	})
	acc := s.site.users[ui].accountID
	decodeAdminErr(t, a.expect(400, "POST", "/admin/v2/orgs/sim-org/directories/-/users/"+acc+"/suspend", nil), "400")
	decodeAdminErr(t, a.expect(404, "POST", dir+"/users/557058:nobody/suspend", nil), "404")
	newClient(t, base).expect(401, "POST", dir+"/users/"+acc+"/suspend", nil) // Basic auth is not an org key

	var msg struct{ Message string }
	_ = json.Unmarshal(a.expect(200, "POST", dir+"/users/"+acc+"/suspend", nil), &msg)
	if msg.Message == "" {
		t.Error("suspend: no message")
	}
	if jiraActive(t, c, acc) || v2User(t, a, acc) != "suspended" {
		t.Errorf("after suspend: Jira active %v, v2 status %q", jiraActive(t, c, acc), v2User(t, a, acc))
	}
	a.expect(200, "POST", dir+"/users/"+acc+"/restore", nil)
	if !jiraActive(t, c, acc) || v2User(t, a, acc) != "active" {
		t.Error("restore did not bring the user back")
	}

	a.expect(204, "POST", "/users/"+acc+"/manage/lifecycle/disable", map[string]string{"message": "offboarded"})
	if st := v1Status(t, a, acc); st != "inactive" || jiraActive(t, c, acc) {
		t.Errorf("after disable: account_status %q, Jira active %v", st, jiraActive(t, c, acc))
	}
	a.expect(204, "POST", "/users/"+acc+"/manage/lifecycle/enable", nil)
	if !jiraActive(t, c, acc) {
		t.Error("enable did not reactivate")
	}
	decodeAdminErr(t, a.expect(404, "POST", "/users/557058:nobody/manage/lifecycle/disable", nil), "404")

	// Memberships: refused on groups synced from an identity provider.
	var groups struct {
		Data []struct {
			ID             string
			ExternalSynced bool
			Counts         struct{ Users int }
		}
	}
	a.getJSON("/admin/v2/orgs/sim-org/directories/-/groups?limit=100", &groups)
	var synced []string
	for _, g := range groups.Data {
		if g.ExternalSynced {
			synced = append(synced, g.ID)
		}
	}
	if len(synced) < 2 {
		t.Fatalf("want a synced Jira group and a synced org group, got %v", synced)
	}
	for _, g := range synced {
		e := decodeAdminErr(t, a.expect(403, "POST", dir+"/groups/"+g+"/memberships", map[string]string{"account_id": acc}), "403")
		if e.Errors[0].Code != "GROUP_SYNCED_FROM_IDP" {
			t.Errorf("synced refusal code %q", e.Errors[0].Code)
		}
		decodeAdminErr(t, a.expect(403, "DELETE", dir+"/groups/"+g+"/memberships/"+url.PathEscape(acc), nil), "403")
	}
	// A Jira group changes in Jira; an org-only group keeps its own members.
	empty := s.site.groups[4].id
	a.expect(200, "POST", dir+"/groups/"+empty+"/memberships", map[string]string{"account_id": acc})
	if !slices.Equal(memberIDs(t, c, empty), []string{acc}) {
		t.Errorf("Jira group after Admin add: %v", memberIDs(t, c, empty))
	}
	a.expect(200, "POST", dir+"/groups/"+empty+"/memberships", map[string]string{"account_id": acc}) // repeat: no error
	var orgOnly string
	for _, g := range s.site.orgGroups {
		if _, jira := s.site.groupIdx[g.id]; !jira && !g.synced {
			orgOnly = g.id
			break
		}
	}
	a.expect(200, "POST", dir+"/groups/"+orgOnly+"/memberships", map[string]string{"account_id": acc})
	a.getJSON("/admin/v2/orgs/sim-org/directories/-/groups?limit=100", &groups)
	for _, g := range groups.Data {
		if (g.ID == orgOnly || g.ID == empty) && g.Counts.Users != 1 {
			t.Errorf("group %s counts.users %d, want 1", g.ID, g.Counts.Users)
		}
	}
	decodeAdminErr(t, a.expect(400, "POST", "/admin/v2/orgs/sim-org/directories/-/groups/"+empty+"/memberships", map[string]string{"account_id": acc}), "400")
	decodeAdminErr(t, a.expect(404, "POST", dir+"/groups/nope/memberships", map[string]string{"account_id": acc}), "404")
	decodeAdminErr(t, a.expect(400, "POST", dir+"/groups/"+empty+"/memberships", map[string]string{}), "400")
	a.expect(204, "DELETE", dir+"/groups/"+empty+"/memberships/"+url.PathEscape(acc), nil)
	a.expect(204, "DELETE", dir+"/groups/"+orgOnly+"/memberships/"+url.PathEscape(acc), nil)
	if len(memberIDs(t, c, empty)) != 0 {
		t.Error("Admin DELETE left the Jira membership")
	}
	// Changes made through the Admin API leave no Jira audit record.
	var au auditPage
	c.getJSON("/rest/api/3/auditing/record", &au)
	if au.Total != 0 {
		t.Errorf("Admin API writes made %d audit records", au.Total)
	}
	if st := s.Stats(); st.Writes != 8 {
		t.Errorf("writes %d, want 8 (suspend, restore, disable, enable, 2 adds, 2 removes): %v", st.Writes, st.WritesByEndpoint)
	}
}
