package extractor_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/incremental"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
)

// incRun runs job (with --since since, unless empty) and opens the result.
func incRun(t *testing.T, job extractor.Job, since string, cfg incremental.Config) *output.RunReader {
	t.Helper()
	if since != "" {
		cfg.Since = since
		job.Incremental = &cfg
	}
	res, err := extractor.Run(context.Background(), job, extractor.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rr, err := output.OpenRun(context.Background(), res.Location, job.Output.S3)
	if err != nil {
		t.Fatal(err)
	}
	if err := rr.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	return rr
}

// derived are the tables a change set holds that the truth does not.
var derived = map[string]bool{string(model.EffectiveRole): true, string(model.EffectivePermission): true}

// truthChanges is the change set between two truths, as sorted lines
// "change record kind id" (effective access left out).
func truthChanges(before, after sim.Truth) []string {
	var out []string
	ents := func(tr sim.Truth) map[string]model.Entity {
		m := map[string]model.Entity{}
		for _, e := range tr.Entities {
			m[e.Key()] = e
		}
		return m
	}
	rkey := func(r model.Relation) string {
		k := string(r.Kind) + " " + r.FromType + "|" + r.FromID + "|" + r.ToType + "|" + r.ToID
		if r.Kind == model.HoldsPermission {
			k += "|" + r.Metadata
		}
		return k
	}
	rels := func(tr sim.Truth) map[string]model.Relation {
		m := map[string]model.Relation{}
		for _, r := range tr.Relations {
			m[rkey(r)] = r
		}
		return m
	}
	be, ae := ents(before), ents(after)
	for k, e := range ae {
		id := "entity " + string(e.SourceType) + " " + e.SourceID
		if b, ok := be[k]; !ok {
			out = append(out, "added "+id)
		} else if canonEntity(b) != canonEntity(e) {
			out = append(out, "updated "+id)
		}
	}
	for k, e := range be {
		if _, ok := ae[k]; !ok {
			out = append(out, "removed entity "+string(e.SourceType)+" "+e.SourceID)
		}
	}
	br, ar := rels(before), rels(after)
	for k, r := range ar {
		if b, ok := br[k]; !ok {
			out = append(out, "added relation "+k)
		} else if b.Metadata != r.Metadata {
			out = append(out, "updated relation "+k)
		}
	}
	for k := range br {
		if _, ok := ar[k]; !ok {
			out = append(out, "removed relation "+k)
		}
	}
	sort.Strings(out)
	return out
}

// runChanges reads a run's change set in the same lines.
func runChanges(t *testing.T, rr *output.RunReader) []string {
	t.Helper()
	var out []string
	err := rr.ScanChanges(context.Background(), func(c output.Change) error {
		if derived[c.Kind] {
			return nil
		}
		if c.Record == output.RecordEntity {
			out = append(out, c.Change+" entity "+c.Kind+" "+c.SourceID)
			return nil
		}
		k := c.Change + " relation " + c.Kind + " " + c.FromType + "|" + c.FromID + "|" + c.ToType + "|" + c.ToID
		if c.Kind == string(model.HoldsPermission) {
			k += "|" + c.After + c.Before
		}
		out = append(out, k)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s differ:\ngot  %d:\n%s\nwant %d:\n%s", what, len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
	}
}

// TestIncrementalAfterEachKindOfChange: after each kind of change, an
// incremental run equals the truth, reads less than a full run, and its
// change set is exactly the change made.
func TestIncrementalAfterEachKindOfChange(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 3})
	dest := t.TempDir()
	job := newJob(t, url, dest, nil).Resolve().Job
	ctx := context.Background()
	base := incRun(t, job, "", incremental.Config{})
	full := base.Manifest().Requests.Total
	for i, kind := range []string{sim.ChurnMemberAdded, sim.ChurnActorAdded, sim.ChurnUserCreated, sim.ChurnUserRenamed,
		sim.ChurnUserRemoved, sim.ChurnGroupCreated, sim.ChurnGroupDeleted, sim.ChurnProjectCreated, sim.ChurnProjectDeleted} {
		t.Run(kind, func(t *testing.T) {
			before := srv.Truth(sim.TruthOptions{})
			rep := srv.Churn(sim.Churn{Kinds: []string{kind}, Changes: 2, Seed: uint64(10 + i)})
			if len(rep.Changes) == 0 {
				t.Fatalf("churn made no %s change", kind)
			}
			after := srv.Truth(sim.TruthOptions{})
			rr := incRun(t, job, base.Location().String(), incremental.Config{})
			m := rr.Manifest()
			if m.Mode != manifest.ModeIncremental || m.BaseRun != base.Location().String() || m.Changes == nil {
				t.Fatalf("mode %q base %q reason %q changes %v", m.Mode, m.BaseRun, m.Reason, m.Changes)
			}
			simtest.RequireTruth(t, ctx, rr, after)
			if m.Requests.Total >= full {
				t.Errorf("incremental run made %d requests, a full run %d", m.Requests.Total, full)
			}
			sameLines(t, "change set", runChanges(t, rr), truthChanges(before, after))
			base = rr
		})
	}
}

// TestIncrementalUnauditedChanges: a membership change without an audit
// record is caught through the Admin API group counts with an org key,
// and (as documented) missed without one, with a note in the manifest.
func TestIncrementalUnauditedChanges(t *testing.T) {
	ctx := context.Background()
	for _, org := range []bool{true, false} {
		t.Run(map[bool]string{true: "org key", false: "no org key"}[org], func(t *testing.T) {
			srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 5})
			var extra map[string]any
			if org {
				extra = map[string]any{"orgId": sim.DefaultOrgID, "orgApiKey": sim.DefaultOrgAPIKey}
			}
			job := newJob(t, url, t.TempDir(), extra).Resolve().Job
			base := incRun(t, job, "", incremental.Config{})
			rep := srv.Churn(sim.Churn{Kinds: []string{sim.ChurnUnauditedMember}, Changes: 3, Seed: 9})
			if len(rep.UnauditedGroups) != 3 {
				t.Fatalf("churn: %+v", rep)
			}
			rr := incRun(t, job, incremental.SinceAuto, incremental.Config{})
			m := rr.Manifest()
			if m.Mode != manifest.ModeIncremental || m.BaseRun != base.Location().String() {
				t.Fatalf("mode %q base %q reason %q", m.Mode, m.BaseRun, m.Reason)
			}
			truth := srv.Truth(sim.TruthOptions{Org: org})
			if org {
				simtest.RequireTruth(t, ctx, rr, truth)
				return
			}
			diff, err := simtest.CompareReader(ctx, rr, truth.Entities, truth.Relations)
			if err != nil {
				t.Fatal(err)
			}
			if diff.Empty() {
				t.Fatal("without an org key an unaudited change cannot be seen, yet the run matched the truth: the test changed nothing")
			}
			noted := false
			for _, n := range m.Notes {
				noted = noted || (n.Scope == "incremental" && strings.Contains(n.Message, "without an org API key"))
			}
			if !noted {
				t.Fatalf("no note says what the run cannot see: %+v", m.Notes)
			}
		})
	}
}

// TestIncrementalFallbacks: each reason for a full read gives a full,
// exact run with the reason in the manifest.
func TestIncrementalFallbacks(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		setup  func(t *testing.T, srv *sim.Server, base *output.RunReader) (since string, cfg incremental.Config)
		reason string
	}{
		{"audit 403", func(t *testing.T, srv *sim.Server, base *output.RunReader) (string, incremental.Config) {
			srv.SetAuditForbidden(true)
			return base.Location().String(), incremental.Config{}
		}, "audit log cannot be read (403"},
		{"base incomplete", func(t *testing.T, srv *sim.Server, base *output.RunReader) (string, incremental.Config) {
			if err := os.Remove(filepath.Join(base.Location().Path(), manifest.FileName)); err != nil {
				t.Fatal(err)
			}
			return base.Location().String(), incremental.Config{}
		}, "is incomplete"},
		{"other site", func(t *testing.T, srv *sim.Server, base *output.RunReader) (string, incremental.Config) {
			rewriteManifest(t, base, func(m *manifest.Manifest) { m.Site = "elsewhere" })
			return base.Location().String(), incremental.Config{}
		}, "another site"},
		{"too old", func(t *testing.T, srv *sim.Server, base *output.RunReader) (string, incremental.Config) {
			return base.Location().String(), incremental.Config{MaxAge: time.Nanosecond}
		}, "incremental.maxAge"},
		{"fullEvery", func(t *testing.T, srv *sim.Server, base *output.RunReader) (string, incremental.Config) {
			return base.Location().String(), incremental.Config{FullEvery: 1}
		}, "incremental.fullEvery"},
		{"too many records", func(t *testing.T, srv *sim.Server, base *output.RunReader) (string, incremental.Config) {
			srv.Churn(sim.Churn{Kinds: []string{sim.ChurnMemberAdded}, Changes: 5, Seed: 4})
			return base.Location().String(), incremental.Config{MaxRecords: 2}
		}, "a full read is cheaper"},
		{"too many scopes", func(t *testing.T, srv *sim.Server, base *output.RunReader) (string, incremental.Config) {
			srv.Churn(sim.Churn{Kinds: []string{sim.ChurnMemberAdded}, Changes: 5, Seed: 4})
			return base.Location().String(), incremental.Config{MaxScopeShare: 0.0001}
		}, "costs about as much as a full read"},
		{"no base in destination", func(t *testing.T, srv *sim.Server, base *output.RunReader) (string, incremental.Config) {
			return incremental.SinceAuto, incremental.Config{}
		}, "no complete run of site"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 7})
			baseDest, dest := t.TempDir(), t.TempDir()
			base := incRun(t, newJob(t, url, baseDest, nil).Resolve().Job, "", incremental.Config{})
			since, cfg := tc.setup(t, srv, base)
			rr := incRun(t, newJob(t, url, dest, nil).Resolve().Job, since, cfg)
			m := rr.Manifest()
			if m.Mode != manifest.ModeFull || !strings.Contains(m.Reason, tc.reason) {
				t.Fatalf("mode %q reason %q, want full with %q (requests %v)", m.Mode, m.Reason, tc.reason, m.Requests.ByEndpoint)
			}
			// base_run names the run asked for; with auto and none found, none.
			if want := strings.TrimPrefix(since, incremental.SinceAuto); m.BaseRun != want {
				t.Fatalf("base_run %q, want %q", m.BaseRun, want)
			}
			simtest.RequireTruth(t, ctx, rr, srv.Truth(sim.TruthOptions{}))
		})
	}
}

// rewriteManifest changes a finished run's manifest in place.
func rewriteManifest(t *testing.T, rr *output.RunReader, f func(*manifest.Manifest)) {
	t.Helper()
	m := *rr.Manifest()
	f(&m)
	b, err := jsonIndent(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rr.Location().Path(), manifest.FileName), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestIncrementalCrashLeavesBaseUntouched: a run cancelled mid-way writes no
// manifest and leaves every byte of its base run as it was.
func TestIncrementalCrashLeavesBaseUntouched(t *testing.T) {
	srv, err := sim.New(sim.Config{Size: "small", Seed: 8})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var armed atomic.Bool
	url := serveWrapped(t, srv, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if armed.Load() && strings.Contains(r.URL.Path, "/project/search") {
				cancel() // the process dies while the pipeline reads
			}
			h.ServeHTTP(w, r)
		})
	})
	dest := t.TempDir()
	job := newJob(t, url, dest, nil).Resolve().Job
	base := incRun(t, job, "", incremental.Config{})
	before := snapshotDir(t, base.Location().Path())
	srv.Churn(sim.Churn{Changes: 10, Seed: 3})
	armed.Store(true)
	inc := job
	inc.Incremental = &incremental.Config{Since: incremental.SinceAuto}
	res, err := extractor.Run(ctx, inc, extractor.RunOptions{})
	if err == nil {
		t.Fatal("the cancelled run succeeded")
	}
	if res.Manifest.Status != manifest.StatusCancelled {
		t.Fatalf("status %q: %v", res.Manifest.Status, err)
	}
	if _, err := os.Stat(filepath.Join(res.Location.Path(), manifest.FileName)); !os.IsNotExist(err) {
		t.Fatalf("a cancelled run has a manifest: %v", err)
	}
	if after := snapshotDir(t, base.Location().Path()); after != before {
		t.Fatal("the base run changed")
	}
	// The next --since auto run still builds on the untouched base run.
	rr := incRun(t, job, incremental.SinceAuto, incremental.Config{})
	if rr.Manifest().BaseRun != base.Location().String() || rr.Manifest().Mode != manifest.ModeIncremental {
		t.Fatalf("after the crash: base %q mode %q (%s)", rr.Manifest().BaseRun, rr.Manifest().Mode, rr.Manifest().Reason)
	}
	simtest.RequireTruth(t, context.Background(), rr, srv.Truth(sim.TruthOptions{}))
}

// snapshotDir is every file's path, size and content of dir.
func snapshotDir(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b.WriteString(p + "\x00" + string(data) + "\x00")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func jsonIndent(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }
