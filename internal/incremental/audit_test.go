package incremental

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/jira"
)

func newNotingPlan() *Plan {
	p := &Plan{}
	p.changedGroups, p.changedProjects = map[string]bool{}, map[string]bool{}
	return p
}

// TestProjectRoleRecordNamesItsProject: a "Project roles changed" record
// names the project among its associated items and may carry no parentId
// on the role. Only that project is read again, not every project; a role
// record naming no project is a global role change, which re-reads all.
func TestProjectRoleRecordNamesItsProject(t *testing.T) {
	p := newNotingPlan()
	p.note(jira.AuditRecord{Summary: "Project roles changed", Category: "projects",
		ObjectItem:      jira.AuditItem{ID: "10002", Name: "Administrators", TypeName: "PROJECT_ROLE"},
		AssociatedItems: []jira.AuditItem{{ID: "10042", Name: "Ops, \"core\"", TypeName: "PROJECT"}, {ID: "557058:u1", TypeName: "USER"}}})
	if p.allProjects || !p.changedProjects["10042"] || len(p.changedProjects) != 1 {
		t.Fatalf("a role change in one project: allProjects %v, changed %v; want only 10042", p.allProjects, p.changedProjects)
	}
	p.note(jira.AuditRecord{Summary: "Project role updated", Category: "projects",
		ObjectItem: jira.AuditItem{ID: "10002", Name: "Administrators", TypeName: "PROJECT_ROLE"}})
	if !p.allProjects {
		t.Fatal("a role record naming no project must re-read every project")
	}
}

// orgPages serves one page of Admin API groups.
type orgPages struct{ groups []jira.OrgGroup }

func (orgPages) AuditRecords(context.Context, time.Time, time.Time, int, int) (jira.AuditPage, error) {
	return jira.AuditPage{}, nil
}
func (orgPages) GlobalRoles(context.Context) ([]jira.ProjectRole, error) { return nil, nil }
func (o orgPages) OrgGroupsPage(context.Context, string) ([]jira.OrgGroup, string, error) {
	return o.groups, "", nil
}

// TestGroupsWithoutCountsAreNoted: the Admin API list may give no member
// counts. Those groups cannot show an unaudited change, and the manifest
// must say so instead of staying silent; a count that differs still marks
// its group.
func TestGroupsWithoutCountsAreNoted(t *testing.T) {
	var two int64 = 2
	p := newNotingPlan()
	p.baseGroups = map[string]bool{"g1": true, "g2": true, "g3": true}
	p.baseCounts, p.removedInBase = counter{}, counter{}
	p.baseCounts.add("g1")
	p.baseCounts.add("g2")
	src := orgPages{groups: []jira.OrgGroup{
		{ID: "g1", Counts: &jira.OrgGroupCounts{Users: &two}}, // 1 in the base run: changed
		{ID: "g2"}, {ID: "g3", Counts: &jira.OrgGroupCounts{}},
		{ID: "new-group"}, // not in the base run: read anyway
	}}
	if err := p.readOrgCounts(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	if !p.changedGroups["g1"] || p.changedGroups["g2"] || p.changedGroups["g3"] {
		t.Fatalf("changed groups %v; want g1 only", p.changedGroups)
	}
	if len(p.Notes) != 1 || !strings.Contains(p.Notes[0].Message, "no member count for 2 groups") {
		t.Fatalf("notes %+v; want one naming the 2 groups without counts", p.Notes)
	}
}
