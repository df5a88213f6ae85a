package sim

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// A group synced from an identity provider refuses membership writes
// through Jira's API as through the Admin API, and nothing changes.
func TestSyncedGroupRefusesJiraWrites(t *testing.T) {
	s, base := startSim(t, Config{Seed: 1})
	synced := s.SyncedGroupIDs()
	if len(synced) != 1 {
		t.Fatalf("synced groups %v, want the one the generator marks", synced)
	}
	g := synced[0]
	before := truthState(s.Truth(TruthOptions{}))
	var member, outsider string
	for _, r := range s.Truth(TruthOptions{}).Relations {
		if r.Kind == "member_of" && r.ToID == g && member == "" {
			member = r.FromID
		}
	}
	for _, e := range s.Truth(TruthOptions{}).Entities {
		if e.SourceType == "user" && !slices.Contains(before.members, e.SourceID+"|"+g) && outsider == "" {
			outsider = e.SourceID
		}
	}
	if member == "" || outsider == "" {
		t.Fatalf("group %s: member %q outsider %q", g, member, outsider)
	}
	c := newClient(t, base)
	b := c.expect(http.StatusForbidden, "POST", "/rest/api/3/group/user?"+url.Values{"groupId": {g}}.Encode(), map[string]string{"accountId": outsider})
	if e := decodeJiraErr(t, b); len(e.ErrorMessages) != 1 || !strings.Contains(e.ErrorMessages[0], "synced from an identity provider") {
		t.Fatalf("add: %s", b)
	}
	b = c.expect(http.StatusForbidden, "DELETE", "/rest/api/3/group/user?"+url.Values{"groupId": {g}, "accountId": {member}}.Encode(), nil)
	if e := decodeJiraErr(t, b); len(e.ErrorMessages) != 1 || !strings.Contains(e.ErrorMessages[0], "identity provider") {
		t.Fatalf("remove: %s", b)
	}
	after := truthState(s.Truth(TruthOptions{}))
	sameLines(t, "memberships", after.members, before.members)
	if st := s.Stats(); st.Writes != 0 {
		t.Fatalf("writes = %d, want 0", st.Writes)
	}
	// Other groups still take writes.
	var other string
	for _, r := range s.Truth(TruthOptions{}).Relations {
		if r.Kind == "member_of" && r.ToID != g && !slices.Contains(before.members, outsider+"|"+r.ToID) {
			other = r.ToID
			break
		}
	}
	c.expect(http.StatusCreated, "POST", "/rest/api/3/group/user?"+url.Values{"groupId": {other}}.Encode(), map[string]string{"accountId": outsider})
}
