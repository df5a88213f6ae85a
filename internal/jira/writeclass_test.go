package jira

import (
	"context"
	"net/http"
	"testing"
)

// TestSyncedGroupRefusalIsPersonOnlyWhateverItsNameSays: Jira's refusal of
// a write on a group synced from an identity provider quotes the group's
// name. A hostile name that contains "not a member" must not turn a 403
// refusal into WriteAlready ("unchanged"): it is a person-only refusal.
func TestSyncedGroupRefusalIsPersonOnlyWhateverItsNameSays(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		jiraError(w, 403, "You can't change the members of group 'Staff (not a member of HR)' because it is synced from an identity provider. Manage its members in your identity provider instead.")
	})
	c := newClient(t, srv.URL, clientOpts{})
	r := c.RemoveGroupMember(context.Background(), "g1", "acc-1")
	if r.Class != WriteRejected || !r.PersonOnly {
		t.Fatalf("a 403 synced-group refusal came out %s (PersonOnly %v); want rejected and person-only", r.Class, r.PersonOnly)
	}
}

// TestAlreadyAnswersOnlyOnTheirCallAndStatus: "already a member" counts
// only on an add's 400, "not a member" only on a remove's 400 or 404, and
// never when the words are only in a quoted name.
func TestAlreadyAnswersOnlyOnTheirCallAndStatus(t *testing.T) {
	cases := []struct {
		name   string
		status int
		msg    string
		write  func(c *Client) WriteResult
		want   WriteClass
	}{
		{"add 400 already", 400, "Cannot add user. User is already a member of 'jira-users'", addMember, WriteAlready},
		{"add 400 quoted name", 400, "Cannot add user. Group 'already a member club' is read-only", addMember, WriteRejected},
		{"add 403 already", 403, "User is already a member of 'x' but you lack permission", addMember, WriteRejected},
		{"add 400 not a member", 400, "Cannot add user: the user is not a member of the organization", addMember, WriteRejected},
		{"remove 400 not a member", 400, "Cannot remove user. User is not a member of 'jira-users'", removeMember, WriteAlready},
		{"remove 404 not a member", 404, "User is not a member of the group", removeMember, WriteAlready},
		{"remove 403 not a member", 403, "You are not a member of the administrators group", removeMember, WriteRejected},
		{"remove 400 quoted name", 400, `Group "not a member yet" cannot be changed`, removeMember, WriteRejected},
		{"role add 400 already", 400, "Jane is already a member of the project role.", func(c *Client) WriteResult {
			return c.AddRoleActor(context.Background(), "10000", "10002", ActorKindUser, "acc-1")
		}, WriteAlready},
		{"role remove 404 not a member", 404, "Jane is not a member of the project role.", func(c *Client) WriteResult {
			return c.RemoveRoleActor(context.Background(), "10000", "10002", ActorKindUser, "acc-1")
		}, WriteAlready},
		{"create 400 already", 400, "User is already a member of 'x'", func(c *Client) WriteResult {
			return c.CreateUser(context.Background(), "a@example.com", nil)
		}, WriteRejected},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) { jiraError(w, tc.status, tc.msg) })
			r := tc.write(newClient(t, srv.URL, clientOpts{}))
			if r.Class != tc.want || r.PersonOnly {
				t.Fatalf("HTTP %d %q came out %s (PersonOnly %v), want %s", tc.status, tc.msg, r.Class, r.PersonOnly, tc.want)
			}
		})
	}
}

func addMember(c *Client) WriteResult {
	return c.AddGroupMember(context.Background(), "g1", "acc-1")
}

func removeMember(c *Client) WriteResult {
	return c.RemoveGroupMember(context.Background(), "g1", "acc-1")
}

// TestV2StatusIsTheOnlyStateSource: the Admin v2 user documents only
// `status` for the account's state; v1's word for a deactivated account is
// "inactive". An activate must not read such an account as active.
func TestV2StatusIsTheOnlyStateSource(t *testing.T) {
	for _, tc := range []struct {
		status                 string
		deactivated, suspended bool
	}{
		{"active", false, false}, {"inactive", true, false}, {"deactivated", true, false}, {"Closed", true, false},
		{"suspended", false, true}, {"", false, false},
	} {
		u := DirectoryUser{AccountID: "a", Status: tc.status}
		if u.Deactivated() != tc.deactivated || u.Suspended() != tc.suspended {
			t.Errorf("status %q: deactivated %v suspended %v, want %v %v", tc.status, u.Deactivated(), u.Suspended(), tc.deactivated, tc.suspended)
		}
	}
}
