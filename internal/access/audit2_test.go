package access

import (
	"context"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/model"
)

// AUDIT2: hostile ids include ids with ':'. A project role's source_id is
// PROJECTID:ROLEID; index.go cuts it at the FIRST colon, so a project id
// with a colon loses its roles and its role-based effective access.
func TestAudit2ProjectIDWithColon(t *testing.T) {
	const pid = "ns:10"
	b := NewBuilder(BuildOptions{})
	b.AddEntities(model.User, []model.Entity{{SourceType: model.User, SourceID: "u1"}})
	b.AddEntities(model.Project, []model.Entity{{SourceType: model.Project, SourceID: pid, Attrs: map[string]any{"key": "P"}}})
	b.AddRelations(model.RoleIn, []model.Relation{model.RoleInRel(pid, "10002")})
	b.AddRelations(model.HasRole, []model.Relation{model.HasRoleRel(model.User, "u1", pid, "10002")})
	b.AddRelations(model.UsesScheme, []model.Relation{model.UsesSchemeRel(pid, "s")})
	b.AddRelations(model.HoldsPermission, []model.Relation{model.HoldsPermissionRel("projectRole", "10002", "10002", "s", "ADMINISTER_PROJECTS")})
	var c collect
	if _, err := Write(context.Background(), b.Index(), nil, &c); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(c.rows, "\n")
	for _, want := range []string{
		`effective_role u1 ns:10:10002 {"via":"user"}`,
		`effective_permission u1 ns:10 {"permission":"ADMINISTER_PROJECTS","via":"project_role:10002"}`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s\ngot:\n%s", want, got)
		}
	}
}
