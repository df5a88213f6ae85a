package sim

import (
	"encoding/json"
	"testing"
)

// TestTwoDirectories: with Directories 2 the list comes on two pages, an
// account is suspended only through the directory that holds it (404 in
// the other), and a directory's users list holds only its accounts.
func TestTwoDirectories(t *testing.T) {
	s, base := startSim(t, Config{Seed: 1, Directories: 2})
	a := admin(t, base)
	var ids []string
	for cursor := ""; ; {
		var page struct {
			Data  []struct{ DirectoryID string }
			Links struct{ Next string }
		}
		a.getJSON("/admin/v2/orgs/sim-org/directories?cursor="+cursor, &page)
		if len(page.Data) != 1 {
			t.Fatalf("a directories page holds %d directories, want 1", len(page.Data))
		}
		ids = append(ids, page.Data[0].DirectoryID)
		if cursor = page.Links.Next; cursor == "" {
			break
		}
	}
	if len(ids) != 2 || ids[0] == ids[1] || ids[0] != s.site.directoryID {
		t.Fatalf("directories %q", ids)
	}
	acc := s.site.orgUsers[1].accountID // account 1 is in the second directory
	org := "/admin/v2/orgs/sim-org/directories/"
	decodeAdminErr(t, a.expect(404, "POST", org+ids[0]+"/users/"+acc+"/suspend", nil), "404")
	if s.site.orgUsers[1].suspended {
		t.Fatal("a 404 suspend changed the account")
	}
	a.expect(200, "POST", org+ids[1]+"/users/"+acc+"/suspend", nil)
	if !s.site.orgUsers[1].suspended {
		t.Fatal("suspend in the account's directory did not suspend it")
	}
	a.expect(404, "GET", org+ids[0]+"/users/"+acc, nil)
	a.expect(200, "GET", org+"-/users/"+acc, nil)
	var page struct{ Data []struct{ AccountID string } }
	a.getJSON(org+ids[1]+"/users?limit=100", &page)
	for _, u := range page.Data {
		if k := s.site.orgIdx[u.AccountID]; s.site.dirOf(k) != ids[1] {
			t.Fatalf("%s listed in directory %s, it is in %s", u.AccountID, ids[1], s.site.dirOf(k))
		}
	}
	if len(page.Data) == 0 {
		t.Fatal("the second directory lists no users")
	}
}

// TestStrictDocumentedOnly: the reads the published facts do not list
// answer the unknown-endpoint 404 (HTML), the documented ones still work.
func TestStrictDocumentedOnly(t *testing.T) {
	s, base := startSim(t, Config{Seed: 1, StrictDocumentedOnly: true})
	c, a := newClient(t, base), admin(t, base)
	for _, p := range []string{"/rest/api/3/user/search?query=a", "/rest/api/3/issue/createmeta/WEB/issuetypes"} {
		if b := c.expect(404, "GET", p, nil); json.Valid(b) {
			t.Errorf("%s: a JSON 404, want the unknown-endpoint page: %.100s", p, b)
		}
	}
	// An account that exists: the 404 is the route's, not the account's.
	a.expect(404, "GET", "/admin/v2/orgs/sim-org/directories/-/users/"+s.site.orgUsers[0].accountID, nil)
	c.expect(200, "GET", "/rest/api/3/users/search?maxResults=10", nil)
	a.expect(200, "GET", "/admin/v2/orgs/sim-org/directories/-/users?limit=10", nil)
}
