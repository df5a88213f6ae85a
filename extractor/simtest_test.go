package extractor_test

import (
	"context"
	"fmt"
	"github.com/govextract/jira-extractor/internal/location"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
)

// serveWrapped serves srv's handler through wrap on a test server.
func serveWrapped(t *testing.T, srv *sim.Server, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(wrap(srv.Handler()))
	t.Cleanup(ts.Close)
	return ts.URL
}

// newJob builds a validated job against the simulator at url writing to
// dest; extra keys are merged into appConfig.
func newJob(t testing.TB, url, dest string, extra map[string]any) *config.Job {
	t.Helper()
	keys := map[string]any{
		"appConfig.concurrency": 8,
		// The client's limiter is not what these tests measure.
		"appConfig.requestsPerSecond": 2000, "appConfig.burst": 100,
	}
	for k, v := range extra {
		keys["appConfig."+k] = v
	}
	job, err := config.Parse(simtest.Job(t, url, dest, keys), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// rows is a run's (or a truth's) content: canonical text per key.
type rows struct {
	ents map[string]string // Entity.Key → every field
	rels map[string]bool   // Relation.Key
}

func canonEntity(e model.Entity) string {
	keys := make([]string, 0, len(e.Attrs))
	for k, v := range e.Attrs {
		if v != nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%s|%s|%s", e.SourceType, e.SourceID, e.EntityType(), e.Name, e.Metadata)
	for _, k := range keys {
		v := e.Attrs[k]
		if tm, ok := v.(time.Time); ok {
			v = tm.UTC().Format(time.RFC3339Nano)
		}
		fmt.Fprintf(&b, "|%s=%T:%v", k, v, v)
	}
	return b.String()
}

func truthRows(tr sim.Truth) rows {
	r := rows{ents: map[string]string{}, rels: map[string]bool{}}
	for _, e := range tr.Entities {
		r.ents[e.Key()] = canonEntity(e)
	}
	for _, x := range tr.Relations {
		r.rels[x.Key()] = true
	}
	return r
}

// readRun reads every table of a finished run, failing on duplicate keys.
func readRun(t *testing.T, run string) rows {
	t.Helper()
	ctx := context.Background()
	rr, err := output.OpenRun(ctx, location.MustParse(run), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := rows{ents: map[string]string{}, rels: map[string]bool{}}
	var dups []string
	for _, k := range model.SourceTypes {
		err := rr.ScanEntities(ctx, k, func(e model.Entity) error {
			if _, dup := r.ents[e.Key()]; dup {
				dups = append(dups, e.Key())
			}
			r.ents[e.Key()] = canonEntity(e)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range model.RelationKinds {
		err := rr.ScanRelations(ctx, k, func(x model.Relation) error {
			if r.rels[x.Key()] {
				dups = append(dups, x.Key())
			}
			r.rels[x.Key()] = true
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(dups) > 0 {
		t.Errorf("%d duplicate rows, e.g. %s", len(dups), show(dups))
	}
	return r
}

// diff compares got with want and reports the first differences.
func diff(t *testing.T, got, want rows) {
	t.Helper()
	if len(want.ents) == 0 || len(want.rels) == 0 {
		t.Fatalf("empty expectation (%d entities, %d relations): the comparison would prove nothing", len(want.ents), len(want.rels))
	}
	var missing, invented, differ []string
	for k, w := range want.ents {
		g, ok := got.ents[k]
		switch {
		case !ok:
			missing = append(missing, k)
		case g != w:
			differ = append(differ, "got "+g+" want "+w)
		}
	}
	for k := range got.ents {
		if _, ok := want.ents[k]; !ok {
			invented = append(invented, k)
		}
	}
	for k := range want.rels {
		if !got.rels[k] {
			missing = append(missing, k)
		}
	}
	for k := range got.rels {
		if !want.rels[k] {
			invented = append(invented, k)
		}
	}
	if len(missing)+len(invented)+len(differ) > 0 {
		t.Errorf("output differs from the truth (%d entities, %d relations expected):\n  %d missing: %s\n  %d invented: %s\n  %d differ: %s",
			len(want.ents), len(want.rels), len(missing), show(missing), len(invented), show(invented), len(differ), show(differ))
	}
}

func show(xs []string) string {
	sort.Strings(xs)
	if len(xs) > 4 {
		xs = xs[:4]
	}
	return strings.ReplaceAll(strings.Join(xs, " ; "), "\x00", "/")
}

// filterTruth applies a job's filters to the truth, the way the extractor
// documents them: projectKeys keeps only those projects and their roles,
// leads and scheme use; accountTypes and includeInactiveUsers=false drop
// users and every relation from them; entity and relation kinds drop kinds.
func filterTruth(tr sim.Truth, job *config.Job) sim.Truth {
	app := job.Resolve().Job.Filter
	excluded := map[string]bool{}
	for _, e := range tr.Entities {
		if e.SourceType != model.User {
			continue
		}
		typ, _ := e.Attrs["account_type"].(string)
		active, _ := e.Attrs["active"].(bool)
		if !app.WantsAccountType(typ) || (!active && app.ExcludeInactive) {
			excluded[e.SourceID] = true
		}
	}
	keys := map[string]bool{}
	projects := map[string]bool{} // ids of kept projects
	for _, e := range tr.Entities {
		if e.SourceType == model.Project {
			k, _ := e.Attrs["key"].(string)
			keys[k] = true
			if len(app.ProjectKeys) == 0 || slices.Contains(app.ProjectKeys, k) {
				projects[e.SourceID] = true
			}
		}
	}
	projectOfRole := func(prID string) string { return strings.SplitN(prID, ":", 2)[0] }
	var out sim.Truth
	for _, e := range tr.Entities {
		switch {
		case !app.WantsEntity(e.SourceType):
		case e.SourceType == model.User && excluded[e.SourceID]:
		case e.SourceType == model.Project && !projects[e.SourceID]:
		case e.SourceType == model.ProjectRole && !projects[projectOfRole(e.SourceID)]:
		default:
			out.Entities = append(out.Entities, e)
		}
	}
	for _, r := range tr.Relations {
		switch {
		case !app.WantsRelation(r.Kind):
		case r.FromType == string(model.User) && excluded[r.FromID]:
		case r.ToType == string(model.Project) && !projects[r.ToID]:
		case r.FromType == string(model.Project) && !projects[r.FromID]:
		case r.FromType == string(model.ProjectRole) && !projects[projectOfRole(r.FromID)]:
		case r.ToType == string(model.ProjectRole) && !projects[projectOfRole(r.ToID)]:
		default:
			out.Relations = append(out.Relations, r)
		}
	}
	return out
}

// runDir is where a run with this id lands under dest.
func runDir(dest, runID string) string { return filepath.Join(dest, runID) }

// runJob resolves job as the command layer does, runs it and returns the
// run's manifest.
func runJob(ctx context.Context, job *config.Job, opts extractor.RunOptions) (*manifest.Manifest, error) {
	res, err := extractor.Run(ctx, job.Resolve().Job, opts)
	return res.Manifest, err
}
