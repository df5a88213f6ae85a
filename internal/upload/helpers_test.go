package upload

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/secret"

	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/upload/uploadtest"
)

const (
	testKeyID     = "key-id-7f3a9c"
	testKeySecret = "key-secret-Zq81xw0"
)

// fixture is a small site: entities and relations of every kind, special
// holders included.
type fixture struct {
	entities  map[model.SourceType][]model.Entity
	relations map[model.RelationKind][]model.Relation
}

func newFixture(users int) fixture {
	f := fixture{entities: map[model.SourceType][]model.Entity{}, relations: map[model.RelationKind][]model.Relation{}}
	addE := func(e model.Entity) { f.entities[e.SourceType] = append(f.entities[e.SourceType], e) }
	addR := func(r model.Relation) { f.relations[r.Kind] = append(f.relations[r.Kind], r) }
	last := time.Date(2025, 3, 4, 5, 6, 7, 8_000_000, time.UTC)
	for i := range users {
		rec := model.UserRecord{AccountID: fmt.Sprintf("acc-%03d", i), AccountType: "atlassian", DisplayName: fmt.Sprintf("User, \"%d\"\nsecond line", i), Active: i%5 != 0}
		if i%2 == 0 {
			rec.Email = fmt.Sprintf("u%d@example.com", i)
			rec.LastActive = last
		}
		addE(model.NewUser(rec))
	}
	for g := range 3 {
		addE(model.NewGroup(fmt.Sprintf("grp-%d", g), fmt.Sprintf("group %d", g), ""))
		for i := g; i < users; i += 3 {
			addR(model.MemberOfRel(fmt.Sprintf("acc-%03d", i), fmt.Sprintf("grp-%d", g)))
		}
	}
	addE(model.NewRole("10002", "Administrators", "admins"))
	addE(model.NewRole("10001", "Developers", ""))
	addE(model.NewPermissionScheme("10000", "Default scheme", ""))
	addE(model.NewApplicationRole("jira-software", "Jira Software", 10, 35))
	addR(model.ProductAccessRel("grp-0", "jira-software", true))
	addR(model.ProductAccessRel("grp-1", "jira-software", false))
	for p := range 2 {
		pid := fmt.Sprintf("%d", 10000+p) // the same id as the scheme: kinds must not be confused
		addE(model.NewProject(model.ProjectRecord{ID: pid, Key: fmt.Sprintf("P%d", p), Name: fmt.Sprintf("Project %d", p), ProjectType: "software", LeadAccountID: "acc-001"}))
		addR(model.LeadOfRel("acc-001", pid))
		addR(model.UsesSchemeRel(pid, "10000"))
		for _, role := range []string{"10001", "10002"} {
			addE(model.NewProjectRole(pid, fmt.Sprintf("P%d", p), role, map[string]string{"10001": "Developers", "10002": "Administrators"}[role]))
			addR(model.RoleInRel(pid, role))
			addR(model.InstanceOfRel(pid, role))
			addR(model.HasRoleRel(model.User, "acc-002", pid, role))
			addR(model.HasRoleRel(model.Group, "grp-2", pid, role))
		}
	}
	addR(model.HoldsPermissionRel("group", "grp-0", "grp-0", "10000", "BROWSE_PROJECTS"))
	addR(model.HoldsPermissionRel("projectRole", "10002", "10002", "10000", "ADMINISTER_PROJECTS"))
	addR(model.HoldsPermissionRel("applicationRole", "jira-software", "", "10000", "CREATE_ISSUES"))
	addR(model.HoldsPermissionRel("user", "acc-003", "acc-003", "10000", "DELETE_ISSUES"))
	addR(model.HoldsPermissionRel("anyone", "", "", "10000", "BROWSE_PROJECTS"))
	addR(model.HoldsPermissionRel("projectLead", "", "", "10000", "ASSIGN_ISSUES"))
	addR(model.HoldsPermissionRel("applicationRole", "", "", "10000", "BROWSE_PROJECTS"))
	return f
}

// specials counts the fixture's relations from special holders.
func (f fixture) specials() int {
	n := 0
	for _, r := range f.relations[model.HoldsPermission] {
		if model.SpecialHolder(r.FromType) {
			n++
		}
	}
	return n
}

// writeRun commits the fixture as a run under dir and returns its location.
func writeRun(t *testing.T, dir, format string, f fixture) string {
	t.Helper()
	ctx := context.Background()
	runID := "01JTESTRUN" + strings.ToUpper(strings.ReplaceAll(filepath.Base(dir), "-", ""))
	if len(runID) > 26 {
		runID = runID[:26]
	}
	sink, err := output.Create(ctx, output.Options{Destination: location.MustParse(dir), Format: format, BatchRows: 25, OwnerOnly: true, RunID: runID, Site: "acme"})
	if err != nil {
		t.Fatalf("open output: %v", err)
	}
	for _, k := range model.SourceTypes {
		if len(f.entities[k]) > 0 {
			if err := sink.WriteEntities(ctx, k, f.entities[k]); err != nil {
				t.Fatalf("write %s: %v", k, err)
			}
		}
	}
	for _, k := range model.RelationKinds {
		if len(f.relations[k]) > 0 {
			if err := sink.WriteRelations(ctx, k, f.relations[k]); err != nil {
				t.Fatalf("write %s: %v", k, err)
			}
		}
	}
	now := time.Now().UTC()
	m := &manifest.Manifest{SchemaVersion: manifest.SchemaVersion, RunID: runID, Extractor: manifest.Extractor{Name: "jira-extractor", Version: "test"},
		Site: "acme", StartedAt: now, FinishedAt: now, Status: manifest.StatusComplete}
	if err := sink.Commit(ctx, m); err != nil {
		t.Fatalf("commit: %v", err)
	}
	return sink.Location().String()
}

// openRun opens a run for Upload.
func openRun(t *testing.T, loc string) Source {
	t.Helper()
	run, err := OpenRun(context.Background(), location.MustParse(loc), nil)
	if err != nil {
		t.Fatalf("open run: %v", err)
	}
	return run
}

func newServer(t *testing.T, opts uploadtest.Options) *uploadtest.Server {
	t.Helper()
	if opts.KeyID == "" {
		opts.KeyID, opts.KeySecret = testKeyID, testKeySecret
	}
	srv := uploadtest.New(opts)
	t.Cleanup(srv.Close)
	return srv
}

func baseOptions(srv *uploadtest.Server, statePath string) Options {
	return Options{API: srv.URL, KeyID: secret.New(testKeyID), KeySecret: secret.New(testKeySecret), StatePath: statePath,
		ChunkRows: 7, MaxRetries: 3, sleep: func(context.Context, time.Duration) error { return nil }}
}

// wantRows is what the server should hold after uploading f as app: one
// line per row, sorted, so duplicates show.
func wantRows(t *testing.T, f fixture, app string) (entities, relations []string) {
	t.Helper()
	roles := map[string]string{}
	for _, e := range f.entities[model.Role] {
		roles[e.SourceID] = e.Name
	}
	for _, k := range model.SourceTypes {
		for _, e := range f.entities[k] {
			rec, err := EntityRecord(app, e)
			if err != nil {
				t.Fatal(err)
			}
			entities = append(entities, csvRoundTrip(strings.Join(rec, "|")))
		}
	}
	for _, k := range model.AllRelationKinds() {
		for _, r := range f.relations[k] {
			if model.SpecialHolder(r.FromType) {
				continue
			}
			rec, err := RelationRecord(app, r, Names{Roles: roles})
			if err != nil {
				t.Fatal(err)
			}
			relations = append(relations, csvRoundTrip(strings.Join(rec, "|")))
		}
	}
	sort.Strings(entities)
	sort.Strings(relations)
	return entities, relations
}

func gotRows(srv *uploadtest.Server) (entities, relations []string) {
	for _, e := range srv.Entities() {
		entities = append(entities, strings.Join([]string{e.App, e.Name, e.EntityType, e.SourceSystem, e.SourceID, e.SourceType, e.MetadataVersion, e.Metadata}, "|"))
	}
	for _, r := range srv.Relations() {
		relations = append(relations, strings.Join([]string{r.App, r.ParentSourceID, r.ParentEntityType, r.SourceID, r.EntityType, r.SourceSystem, r.MetadataVersion, r.Metadata}, "|"))
	}
	sort.Strings(entities)
	sort.Strings(relations)
	return entities, relations
}

// assertStored checks that the server holds exactly the fixture's rows,
// each once, and that every chunk was PUT once.
func assertStored(t *testing.T, srv *uploadtest.Server, f fixture, app string) {
	t.Helper()
	we, wr := wantRows(t, f, app)
	ge, gr := gotRows(srv)
	if d := firstDiff(ge, we); d != "" {
		t.Errorf("stored entities differ: got %d rows, want %d: %s", len(ge), len(we), d)
	}
	if d := firstDiff(gr, wr); d != "" {
		t.Errorf("stored relations differ: got %d rows, want %d: %s", len(gr), len(wr), d)
	}
	for chunk, n := range srv.PutCounts() {
		if n != 1 {
			t.Errorf("chunk %s was accepted %d times", chunk, n)
		}
	}
}

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("metadata %q: %v", s, err)
	}
	return m
}

// firstDiff describes the first difference of two sorted row lists, or "".
func firstDiff(got, want []string) string {
	for i := 0; i < len(got) || i < len(want); i++ {
		switch {
		case i >= len(got):
			return fmt.Sprintf("missing %q", want[i])
		case i >= len(want):
			return fmt.Sprintf("extra %q", got[i])
		case got[i] != want[i]:
			return fmt.Sprintf("got %q, want %q", got[i], want[i])
		}
	}
	return ""
}

// csvRoundTrip is what a CSV reader (encoding/csv, like most) makes of a
// field: a CR LF inside a quoted field comes back as LF. The exact text is
// kept in the Metadata JSON, where it is escaped.
func csvRoundTrip(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
