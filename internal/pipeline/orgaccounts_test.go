package pipeline

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/jira"
)

func TestOrgAccountsRoundTrip(t *testing.T) {
	o := newOrgAccounts()
	long := strings.Repeat("x", orgChunk+10) // larger than a chunk
	in := []jira.OrgUser{
		{AccountID: "a1", AccountType: "atlassian", AccountStatus: "active", Name: "Ann", Email: "ann@example.com",
			LastActive: "2024-05-06T07:08:09.123456Z", ProductAccess: []jira.ProductAccess{{Key: "jira-software"}, {Key: "confluence"}}},
		{AccountID: "a2", AccountType: "app", AccountStatus: "inactive", Name: "Bot"},
		{AccountID: "a3", AccountType: "customer", AccountStatus: "closed", Name: long, LastActive: "1969-12-31T23:59:59.9995Z"},
		{AccountID: "a1", AccountType: "atlassian", AccountStatus: "active", Name: "Ann again", Email: "ann2@example.com"},
	}
	for _, u := range in {
		o.add(u)
	}
	if o.Len() != 3 {
		t.Fatalf("Len = %d, want 3", o.Len())
	}

	a, found, first := o.claim("a1")
	want := adminUser{accountType: "atlassian", status: "active", name: "Ann again", email: "ann2@example.com", productAccess: []string{}}
	if !found || !first || !reflect.DeepEqual(a, want) {
		t.Fatalf("claim a1 = %+v %v %v, want the later record %+v, found, first", a, found, first, want)
	}
	if _, found, first = o.claim("a1"); !found || first {
		t.Errorf("second claim of a1: found=%v first=%v, want found and not first", found, first)
	}
	if _, found, _ = o.claim("nobody"); found {
		t.Error("claim of an unknown id found an account")
	}

	var ids []string
	got := map[string]adminUser{}
	if err := o.unclaimed(func(id string, a adminUser) error {
		ids = append(ids, id)
		got[id] = a
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids, []string{"a2", "a3"}) {
		t.Fatalf("unclaimed = %v, want [a2 a3] in the order added", ids)
	}
	if a := got["a2"]; a.accountType != "app" || a.status != "inactive" || !a.lastActive.IsZero() || a.productAccess == nil {
		t.Errorf("a2 = %+v", a)
	}
	// Last active keeps millisecond precision (what the output stores),
	// rounded down as model.NewUser does, before 1970 too.
	if a := got["a3"]; a.name != long || !a.lastActive.Equal(time.Date(1969, 12, 31, 23, 59, 59, 999_000_000, time.UTC)) {
		t.Errorf("a3: name of %d bytes, lastActive %v", len(a.name), a.lastActive)
	}
	o2 := newOrgAccounts()
	o2.add(in[0])
	a, _, _ = o2.claim("a1")
	if !a.lastActive.Equal(time.Date(2024, 5, 6, 7, 8, 9, 123_000_000, time.UTC)) || !reflect.DeepEqual(a.productAccess, []string{"jira-software", "confluence"}) {
		t.Errorf("a1 = %+v", a)
	}
}

// The store's size per account is what keeps a 200,000-user org small;
// this guards against a layout that silently grows back.
func TestOrgAccountsCompact(t *testing.T) {
	o := newOrgAccounts()
	const n = 20_000
	for i := range n {
		o.add(jira.OrgUser{AccountID: fmt.Sprintf("557058:%08x-34d7-47c2-8331-1cf6%08d", i, i), AccountType: "atlassian", AccountStatus: "active",
			Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("user.name%d@example.com", i), LastActive: "2024-11-03T16:19:46.207Z",
			ProductAccess: []jira.ProductAccess{{Key: "jira-software"}, {Key: "confluence"}}})
	}
	packed := 0
	for _, c := range o.chunks {
		packed += cap(c)
	}
	// id 43 + name ~10 + email ~27 + 4 length bytes + 2 words + 7 bytes of
	// time + 3 product bytes.
	if per := packed / n; per > 110 {
		t.Errorf("%d packed bytes per account, want at most 110", per)
	}
	if len(o.vocab) != 4 {
		t.Errorf("vocabulary %v, want the 4 distinct short values", o.vocab)
	}
}
