package pipeline

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/secret"
)

// kinds is which entity and relation kinds a job keeps, as comma lists
// written out by hand for each filter: never computed with config's Wants*
// functions, which are what the pipeline itself uses.
type kinds struct{ ents, rels string }

// allKinds is every kind: a job without entityKinds or relationKinds.
var allKinds = kinds{
	ents: "user,group,project,role,project_role,application_role,permission_scheme",
	rels: "member_of,has_role,role_in,instance_of,lead_of,product_access,uses_scheme,holds_permission",
}

func (k kinds) entity(kind model.SourceType) bool {
	return slices.Contains(strings.Split(k.ents, ","), string(kind))
}

func (k kinds) relation(kind model.RelationKind) bool {
	return slices.Contains(strings.Split(k.rels, ","), string(kind))
}

// expected computes, independently of the pipeline, the rows a run of app
// (which must not filter kinds: see expectedKinds) against f must produce.
func expected(f *fakeSite, app testApp, orgAccess bool) (map[string]model.Entity, map[string]model.Relation) {
	if len(app.EntityKinds)+len(app.RelationKinds) > 0 {
		panic("expected: the job filters kinds; use expectedKinds with a literal table")
	}
	return expectedKinds(f, app, orgAccess, allKinds)
}

// expectedKinds is expected for a job that keeps only the kinds in k.
func expectedKinds(f *fakeSite, app testApp, orgAccess bool, k kinds) (map[string]model.Entity, map[string]model.Relation) {
	ents, rels := map[string]model.Entity{}, map[string]model.Relation{}
	addE := func(e model.Entity) {
		if k.entity(e.SourceType) {
			ents[e.Key()] = e
		}
	}
	addR := func(r model.Relation) {
		if k.relation(r.Kind) {
			rels[r.Key()] = r
		}
	}
	inactive := app.IncludeInactiveUsers == nil || *app.IncludeInactiveUsers // default true
	keep := func(t string, active bool) bool {
		return (active || inactive) && (len(app.AccountTypes) == 0 || slices.Contains(app.AccountTypes, t))
	}
	excluded := map[string]bool{}
	admin := map[string]jira.OrgUser{}
	if orgAccess {
		for _, u := range f.orgUsers {
			admin[u.AccountID] = u
		}
	}
	enrich := func(rec *model.UserRecord, a jira.OrgUser) {
		if rec.Email == "" {
			rec.Email = a.Email
		}
		rec.AccountStatus = a.AccountStatus
		rec.LastActive, _ = model.Time(a.LastActive)
		rec.ProductAccess = []string{}
		for _, p := range a.ProductAccess {
			rec.ProductAccess = append(rec.ProductAccess, p.Key)
		}
	}
	inJira := map[string]bool{}
	for _, u := range f.users {
		inJira[u.AccountID] = true
		if !keep(u.AccountType, u.Active) {
			excluded[u.AccountID] = true
			continue
		}
		rec := model.UserRecord{AccountID: u.AccountID, AccountType: u.AccountType, DisplayName: u.DisplayName, Active: u.Active, Email: u.EmailAddress, TimeZone: u.TimeZone, Locale: u.Locale}
		if a, ok := admin[u.AccountID]; ok {
			enrich(&rec, a)
		}
		addE(model.NewUser(rec))
	}
	for _, a := range f.orgUsers {
		if !orgAccess || inJira[a.AccountID] {
			continue
		}
		if !keep(a.AccountType, a.AccountStatus == "active") {
			excluded[a.AccountID] = true
			continue
		}
		rec := model.UserRecord{AccountID: a.AccountID, AccountType: a.AccountType, DisplayName: a.Name, Active: a.AccountStatus == "active"}
		enrich(&rec, a)
		addE(model.NewUser(rec))
	}
	jiraGroups := map[string]bool{}
	for _, g := range f.groups {
		jiraGroups[g.GroupID] = true
		addE(model.NewGroup(g.GroupID, g.Name, ""))
		n := 0
		for _, i := range g.members {
			u := f.users[i]
			if !u.Active && !inactive {
				continue
			}
			n++
			if f.vanishing[g.GroupID] && n > 50 {
				break
			}
			if keep(u.AccountType, u.Active) {
				addR(model.MemberOfRel(u.AccountID, g.GroupID))
			}
		}
	}
	if orgAccess {
		for _, g := range f.orgGrps {
			if !jiraGroups[g.ID] {
				addE(model.NewGroup(g.ID, g.Name, g.Description))
			}
		}
	}
	for _, p := range f.projects {
		if len(app.ProjectKeys) > 0 && !slices.Contains(app.ProjectKeys, p.Key) {
			continue
		}
		addE(model.NewProject(model.ProjectRecord{ID: p.ID, Key: p.Key, Name: p.Name, ProjectType: p.ProjectTypeKey, Archived: p.Archived, LeadAccountID: p.Lead.AccountID}))
		if !excluded[p.Lead.AccountID] {
			addR(model.LeadOfRel(p.Lead.AccountID, p.ID))
		}
		if !f.notFound[p.ID] {
			addR(model.UsesSchemeRel(p.ID, strconv.FormatInt(f.schemeOf[p.ID], 10)))
		}
		if f.notFound[p.ID] || f.forbidden[p.ID] {
			continue
		}
		for _, r := range f.roles {
			rid := r.ID.String()
			addE(model.NewProjectRole(p.ID, p.Key, rid, r.Name))
			addR(model.RoleInRel(p.ID, rid))
			addR(model.InstanceOfRel(p.ID, rid))
			for _, a := range p.roles[r.ID] {
				if a.ActorUser != nil {
					if !excluded[a.ActorUser.AccountID] {
						addR(model.HasRoleRel(model.User, a.ActorUser.AccountID, p.ID, rid))
					}
				} else {
					addR(model.HasRoleRel(model.Group, a.ActorGroup.GroupID, p.ID, rid))
				}
			}
		}
	}
	for _, r := range f.roles {
		addE(model.NewRole(r.ID.String(), r.Name, r.Description))
	}
	for _, a := range f.apps {
		addE(model.NewApplicationRole(a.Key, a.Name, *a.UserCount, *a.NumberOfSeats))
		for _, g := range a.GroupDetails {
			addR(model.ProductAccessRel(g.GroupID, a.Key, slices.Contains(a.DefaultGroups, g.Name)))
		}
	}
	for _, s := range f.schemes {
		id := s.ID.String()
		addE(model.NewPermissionScheme(id, s.Name, s.Description))
		for _, g := range s.Permissions {
			if g.Holder.Type == "user" && excluded[g.Holder.Value] {
				continue
			}
			addR(model.HoldsPermissionRel(g.Holder.Type, g.Holder.Parameter, g.Holder.Value, id, g.Permission))
		}
	}
	return ents, rels
}

// compare reports the first differences between what the sink got and the
// expected rows, plus duplicates.
func compare(t *testing.T, s *memSink, wantE map[string]model.Entity, wantR map[string]model.Relation) {
	t.Helper()
	if len(s.entDups) > 0 || len(s.relDups) > 0 {
		t.Errorf("duplicates: entities %v relations %v", first(s.entDups), first(s.relDups))
	}
	var missing, extra, differ []string
	for k, w := range wantE {
		g, ok := s.ents[k]
		if !ok {
			missing = append(missing, k)
		} else if fmt.Sprint(g) != fmt.Sprint(w) {
			differ = append(differ, fmt.Sprintf("got %v want %v", g, w))
		}
	}
	for k := range s.ents {
		if _, ok := wantE[k]; !ok {
			extra = append(extra, k)
		}
	}
	for k := range wantR {
		if _, ok := s.rels[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range s.rels {
		if _, ok := wantR[k]; !ok {
			extra = append(extra, k)
		}
	}
	if len(missing)+len(extra)+len(differ) > 0 {
		t.Errorf("output differs from truth: %d missing %v; %d invented %v; %d differ %v",
			len(missing), first(missing), len(extra), first(extra), len(differ), first(differ))
	}
}

func first(xs []string) string {
	sort.Strings(xs)
	if len(xs) > 5 {
		xs = xs[:5]
	}
	return strings.ReplaceAll(strings.Join(xs, " | "), "\x00", "/")
}

// testApp is the part of the job file's appConfig a pipeline test sets.
type testApp struct {
	Concurrency          int
	OrgID                string
	OrgAPIKey            secret.Value
	ProjectKeys          []string
	AccountTypes         []string
	EntityKinds          []string
	RelationKinds        []string
	IncludeInactiveUsers *bool
}

// options resolves app as the command layer resolves a job file.
func (app testApp) options() Options {
	return Options{
		Concurrency: app.Concurrency,
		OrgAccess:   app.OrgID != "" && !app.OrgAPIKey.IsZero(),
		Filter: Filter{ProjectKeys: app.ProjectKeys, AccountTypes: app.AccountTypes, EntityKinds: app.EntityKinds,
			RelationKinds: app.RelationKinds, ExcludeInactive: app.IncludeInactiveUsers != nil && !*app.IncludeInactiveUsers},
	}
}
