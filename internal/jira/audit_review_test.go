package jira

import (
	"context"
	"net/http"
	"testing"
)

// TestAuditReview_SyncedGroupNameIsNotAnAlready: Jira's refusal of a write
// on a group synced from an identity provider quotes the group's name. A
// hostile name that contains "not a member" must not turn a 403 refusal
// into WriteAlready ("unchanged"): it is a person-only refusal.
func TestAuditReview_SyncedGroupNameIsNotAnAlready(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		jiraError(w, 403, "You can't change the members of group 'Staff (not a member of HR)' because it is synced from an identity provider. Manage its members in your identity provider instead.")
	})
	c := newClient(t, srv.URL, clientOpts{})
	r := c.RemoveGroupMember(context.Background(), "g1", "acc-1")
	if r.Class != WriteRejected || !r.PersonOnly {
		t.Fatalf("a 403 synced-group refusal came out %s (PersonOnly %v); want rejected and person-only", r.Class, r.PersonOnly)
	}
}

// TestAuditReview_V2StatusInactiveIsDeactivated: JIRA_API.md gives the
// Admin v2 user only `status` (no accountStatus/membershipStatus, which
// only our simulator adds), and the v1 vocabulary for a deactivated
// account is "inactive". An activate action must not read such an
// account as already active.
func TestAuditReview_V2StatusInactiveIsDeactivated(t *testing.T) {
	u := DirectoryUser{AccountID: "a", Status: "inactive"}
	if !u.Deactivated() {
		t.Fatal(`status "inactive" is not read as deactivated: activate would report "unchanged" and leave the account off`)
	}
}
