package access

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/govextract/jira-extractor/internal/model"
)

// collect gathers the rows Write passes (Write calls it from two
// goroutines, one per table).
type collect struct {
	mu   sync.Mutex
	rows []string
}

func (c *collect) WriteRelations(_ context.Context, kind model.RelationKind, batch []model.Relation) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range batch {
		c.rows = append(c.rows, string(kind)+" "+r.FromID+" "+r.ToID+" "+r.Metadata)
	}
	return nil
}

// Paths shared by several grants collapse to one row per user and path:
// two users named directly share the path "user"; a group in two products
// gives one "any logged-in user" row; a repeated grant gives nothing more.
func TestSharedPathsOneRowPerUserAndPath(t *testing.T) {
	b := NewBuilder(BuildOptions{})
	b.AddEntities(model.User, []model.Entity{{SourceType: model.User, SourceID: "u1"}, {SourceType: model.User, SourceID: "u2"}, {SourceType: model.User, SourceID: "u3"}})
	b.AddEntities(model.Project, []model.Entity{{SourceType: model.Project, SourceID: "10", Attrs: map[string]any{"key": "P"}}})
	b.AddRelations(model.MemberOf, []model.Relation{model.MemberOfRel("u3", "g"), model.MemberOfRel("u3", "g")})
	b.AddRelations(model.ProductAccess, []model.Relation{model.ProductAccessRel("g", "jira-software", true), model.ProductAccessRel("g", "jira-servicedesk", false)})
	b.AddRelations(model.UsesScheme, []model.Relation{model.UsesSchemeRel("10", "s")})
	b.AddRelations(model.HoldsPermission, []model.Relation{
		model.HoldsPermissionRel("user", "u1", "u1", "s", "X"),
		model.HoldsPermissionRel("user", "u2", "u2", "s", "X"),
		model.HoldsPermissionRel("user", "u1", "u1", "s", "X"),
		model.HoldsPermissionRel("applicationRole", "", "", "s", "X"),
		model.HoldsPermissionRel("reporter", "", "", "s", "X"),
	})
	var c collect
	st, err := Write(context.Background(), b.Index(), nil, &c)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(c.rows)
	want := []string{
		`effective_permission u1 10 {"permission":"X","via":"user"}`,
		`effective_permission u2 10 {"permission":"X","via":"user"}`,
		`effective_permission u3 10 {"permission":"X","via":"application_role:/group:g"}`,
	}
	if strings.Join(c.rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(c.rows, "\n"), strings.Join(want, "\n"))
	}
	if st.PermissionRows != 3 || st.ByVia["user"] != 2 || st.ByVia["application_role"] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestClosest(t *testing.T) {
	names := []string{"WEB", "PAY", "ADMINISTER_PROJECTS", "jane@example.com"}
	for in, want := range map[string]string{"WBE": "WEB", "web": "WEB", "ADMINSTER_PROJECTS": "ADMINISTER_PROJECTS", "jane@exmaple.com": "jane@example.com", "SOMETHING_ELSE_ENTIRELY": ""} {
		if got := Closest(in, names); got != want {
			t.Errorf("Closest(%q) = %q, want %q", in, got, want)
		}
	}
}
