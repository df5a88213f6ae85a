package access

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/model"
)

// orderSite builds an index from one site's rows, memberships in the given
// order: the index numbers users and groups as it reads them.
func orderSite(t *testing.T, members []model.Relation) *Index {
	t.Helper()
	b := NewBuilder(BuildOptions{Names: true})
	b.AddRelations(model.MemberOf, members)
	var users []model.Entity
	for i := range 6 {
		users = append(users, model.Entity{SourceType: model.User, SourceID: fmt.Sprintf("u%d", i), Attrs: map[string]any{"active": true}})
	}
	b.AddEntities(model.User, users)
	b.AddEntities(model.Project, []model.Entity{{SourceType: model.Project, SourceID: "10", Attrs: map[string]any{"key": "P"}}})
	b.AddRelations(model.HasRole, []model.Relation{model.HasRoleRel(model.Group, "gb", "10", "7"), model.HasRoleRel(model.Group, "ga", "10", "7")})
	b.AddRelations(model.ProductAccess, []model.Relation{model.ProductAccessRel("gb", "jira-software", true), model.ProductAccessRel("ga", "jira-software", true)})
	b.AddRelations(model.UsesScheme, []model.Relation{model.UsesSchemeRel("10", "s")})
	b.AddRelations(model.HoldsPermission, []model.Relation{
		model.HoldsPermissionRel("projectRole", "7", "7", "s", "X"),
		model.HoldsPermissionRel("applicationRole", "jira-software", "jira-software", "s", "X"),
		model.HoldsPermissionRel("anyone", "", "", "s", "X"),
	})
	return b.Index()
}

// TestAnswersDoNotDependOnReadOrder: who and what print the same rows in
// the same order whatever order the memberships were read in.
func TestAnswersDoNotDependOnReadOrder(t *testing.T) {
	members := []model.Relation{model.MemberOfRel("u5", "gb"), model.MemberOfRel("u1", "gb"), model.MemberOfRel("u3", "ga"), model.MemberOfRel("u0", "ga")}
	answer := func(ix *Index) string {
		var b strings.Builder
		p, err := ix.FindProject("P")
		if err != nil {
			t.Fatal(err)
		}
		row := func(r Row) error {
			fmt.Fprintf(&b, "%s %s %s %s\n", r.User.AccountID, r.Permission, r.Role, r.Via)
			return nil
		}
		if err := ix.Who(p, nil, row); err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"u0", "u5"} {
			info, err := ix.FindUser(u)
			if err != nil {
				t.Fatal(err)
			}
			if err := ix.What(info, nil, row); err != nil {
				t.Fatal(err)
			}
		}
		return b.String()
	}
	want := answer(orderSite(t, members))
	reversed := slices.Clone(members)
	slices.Reverse(reversed)
	if got := answer(orderSite(t, reversed)); got != want {
		t.Fatalf("the answer depends on the read order:\n%s\nvs\n%s", got, want)
	}
	if !strings.Contains(want, "project_role:7/group:ga\n") || strings.Index(want, "group:ga") > strings.Index(want, "group:gb") {
		t.Fatalf("paths not in groupId order:\n%s", want)
	}
}
