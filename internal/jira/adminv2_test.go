package jira

import (
	"context"
	"net/http"
	"testing"
)

// The v2 directory users listing maps onto OrgUser (no last active date,
// no product access), and its links.next cursor goes back verbatim, even
// when it starts with "/" or holds "=" and "+".
func TestOrgUsersV2PageSendsBareCursorsVerbatim(t *testing.T) {
	odd := []string{"/c2Vj+cmV0==", "a=b+c", "/admin/v2/orgs/x?cursor=not-a-url"}
	var got []string
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.URL.Path != "/admin/v2/orgs/org-1/directories/-/users" || r.URL.Query().Get("limit") == "" {
			http.NotFound(w, r)
			return
		}
		got = append(got, r.URL.Query().Get("cursor"))
		next := ""
		if n <= len(odd) {
			next = odd[n-1]
		}
		writeJSON(w, 200, map[string]any{"data": []any{map[string]any{"accountId": "a", "accountType": "atlassian", "status": "closed",
			"name": "N", "email": "n@example.com", "lastActive": "2024-01-01T00:00:00.000Z"}}, "links": map[string]any{"next": next}})
	})
	c := newClient(t, srv.URL, clientOpts{admin: srv.URL + "/admin"})
	cursor := ""
	for range len(odd) + 1 {
		us, next, err := c.OrgUsersV2Page(context.Background(), cursor)
		if err != nil {
			t.Fatal(err)
		}
		if want := (OrgUser{AccountID: "a", AccountType: "atlassian", AccountStatus: "closed", Name: "N", Email: "n@example.com"}); len(us) != 1 || us[0].AccountID != want.AccountID ||
			us[0].AccountStatus != want.AccountStatus || us[0].Email != want.Email || us[0].LastActive != "" || us[0].ProductAccess != nil {
			t.Fatalf("users %+v", us)
		}
		cursor = next
	}
	want := append([]string{""}, odd...)
	if len(got) != len(want) {
		t.Fatalf("cursors sent %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cursor %d sent %q, want %q", i, got[i], want[i])
		}
	}
}

func TestIsGone(t *testing.T) {
	for status, want := range map[int]bool{404: true, 410: true, 403: false, 500: false} {
		if got := IsGone(&APIError{Status: status, HTML: true}); got != want {
			t.Errorf("%d: %v", status, got)
		}
	}
}
