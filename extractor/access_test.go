package extractor_test

import (
	"context"
	"encoding/json"
	"github.com/govextract/jira-extractor/internal/location"
	"path/filepath"
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

// expectedAccess resolves effective access from the simulator's truth by the
// rules alone (simtest.ExpectedAccess shares no code with the resolver under
// test). perms nil means every permission. It returns relation keys.
func expectedAccess(tr sim.Truth, perms []string) map[string]bool {
	want := map[string]bool{}
	simtest.ExpectedAccess(tr, perms, func(r model.Relation) { want[r.Key()] = true })
	return want
}

// readEffective reads the two derived tables of a run as relation keys,
// failing on duplicates.
func readEffective(t testing.TB, rr *output.RunReader) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	for _, k := range model.DerivedRelationKinds {
		err := rr.ScanRelations(context.Background(), k, func(r model.Relation) error {
			if got[r.Key()] {
				t.Errorf("duplicate row %q", r.Key())
			}
			got[r.Key()] = true
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return got
}

func sameKeys(t testing.TB, got, want map[string]bool) {
	t.Helper()
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 {
		t.Errorf("effective access differs from the rules: %d missing (e.g. %q), %d extra (e.g. %q); %d rows expected",
			len(missing), show(missing), len(extra), show(extra), len(want))
	}
}

// viaKinds counts the expected rows by path kind (from the key's metadata).
func viaKinds(keys map[string]bool) map[string]int {
	out := map[string]int{}
	for k := range keys {
		md := k[strings.LastIndex(k, "\x00")+1:]
		var m map[string]string
		_ = json.Unmarshal([]byte(md), &m)
		via := m["via"]
		kind := via
		switch {
		case strings.HasPrefix(via, "project_role:") && strings.Contains(via, "/group:"):
			kind = "project_role_group"
		case strings.HasPrefix(via, "project_role:"):
			kind = "project_role"
		case strings.HasPrefix(via, "application_role:/"):
			kind = "any_logged_in_user"
		case strings.HasPrefix(via, "application_role:"):
			kind = "application_role"
		case strings.HasPrefix(via, "group:"):
			kind = "group"
		}
		if m["permission"] == "" {
			kind = "role " + kind
		}
		out[kind]++
	}
	return out
}

func runAccess(t testing.TB, cfg sim.Config, out map[string]any) (sim.Truth, *output.RunReader, *manifest.Manifest) {
	t.Helper()
	srv, url := simtest.StartSim(t, cfg)
	dest := t.TempDir()
	keys := map[string]any{"appConfig.concurrency": 8, "appConfig.requestsPerSecond": 5000, "appConfig.burst": 200}
	for k, v := range out {
		keys["output."+k] = v
	}
	job, err := config.Parse(simtest.Job(t, url, dest, keys), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := runJob(context.Background(), job, extractor.RunOptions{RunID: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != manifest.StatusComplete || len(m.Notes) != 0 {
		t.Fatalf("status %s, notes %v", m.Status, m.Notes)
	}
	rr, err := output.OpenRun(context.Background(), location.MustParse(filepath.Join(dest, "r")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := rr.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	return srv.Truth(sim.TruthOptions{}), rr, m
}

// Every path kind, inactive users, and no rows for issue-dependent holders,
// on the small generated site and the hostile data set, in Parquet and CSV.
func TestEffectiveAccessMatchesRules(t *testing.T) {
	cases := []struct {
		name string
		cfg  sim.Config
		out  map[string]any
	}{
		{"small-parquet", sim.Config{Seed: 3}, map[string]any{"effectivePermissions": []string{"*"}}},
		{"hostile-csv", sim.Config{DatasetFile: filepath.Join("..", "testdata", "sites", "hostile.json")}, map[string]any{"effectivePermissions": []string{"*"}, "format": "csv"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, rr, m := runAccess(t, c.cfg, c.out)
			want := expectedAccess(tr, nil)
			sameKeys(t, readEffective(t, rr), want)
			kinds := viaKinds(want)
			for _, k := range []string{"user", "group", "project_role", "project_role_group", "project_lead", "application_role", "any_logged_in_user", "anyone", "role user", "role group"} {
				if kinds[k] == 0 {
					t.Errorf("no expected row by path kind %s: the comparison does not cover it (%v)", k, kinds)
				}
			}
			// The truth holds issue-dependent holders, which must give nothing.
			issue := map[string]bool{}
			for _, r := range tr.Relations {
				if r.Kind == model.HoldsPermission {
					switch r.FromType {
					case "reporter", "assignee", "group_custom_field", "user_custom_field", "sd_customer_portal_only":
						issue[r.FromType] = true
					}
				}
			}
			if len(issue) < 5 {
				t.Errorf("the site has issue-dependent holders %v, want all five kinds", issue)
			}
			// Inactive users are included.
			inactive := map[string]bool{}
			for _, e := range tr.Entities {
				if e.SourceType == model.User && e.Attrs["active"] == false {
					inactive[e.SourceID] = true
				}
			}
			n := 0
			for k := range want {
				if inactive[strings.Split(k, "\x00")[2]] {
					n++
				}
			}
			if n == 0 {
				t.Error("no expected row for an inactive user")
			}
			if tb := m.Table(string(model.EffectivePermission)); tb == nil || tb.Rows == 0 {
				t.Errorf("manifest table effective_permission: %+v", tb)
			}
		})
	}
}

// BenchmarkEffectiveAccessMedium checks the medium site (20k users, 500
// projects) with the default permission set (ADMINISTER_PROJECTS) against
// the rules. It takes too long under -race for `make test`; `make bench`
// runs it once.
func BenchmarkEffectiveAccessMedium(b *testing.B) {
	for i := 0; i < b.N; i++ {
		start := time.Now()
		tr, rr, m := runAccess(b, sim.Config{Size: "medium", Seed: 1}, nil)
		want := expectedAccess(tr, []string{"ADMINISTER_PROJECTS"})
		sameKeys(b, readEffective(b, rr), want)
		b.ReportMetric(float64(len(want)), "effective-rows")
		b.ReportMetric(m.FinishedAt.Sub(m.StartedAt).Seconds(), "run-s")
		b.Logf("medium: %d expected rows, %s", len(want), time.Since(start).Round(time.Millisecond))
	}
}

// A job that filters member_of out gets complete effective tables for the
// paths that do not need it, no rows through groups, and notes (not
// warnings) that say which paths were not resolved.
func TestEffectiveAccessFilteredKindsNoted(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Seed: 3})
	dest := t.TempDir()
	kinds := []string{}
	for _, k := range model.RelationKinds {
		if k != model.MemberOf {
			kinds = append(kinds, string(k))
		}
	}
	job, err := config.Parse(simtest.Job(t, url, dest, map[string]any{"appConfig.relationKinds": kinds, "output.effectivePermissions": []string{"*"}}), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := runJob(context.Background(), job, extractor.RunOptions{RunID: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != manifest.StatusComplete || len(m.Warnings) != 0 {
		t.Errorf("status %s, warnings %v: a filter the job chose must not make the run partial", m.Status, m.Warnings)
	}
	var noted bool
	for _, n := range m.Notes {
		if n.Scope == "effective_permission" && strings.Contains(n.Message, "group:GROUPID") && strings.Contains(n.Message, "member_of") {
			noted = true
		}
	}
	if !noted {
		t.Errorf("notes %v do not say that group paths need member_of", m.Notes)
	}
	tr := srv.Truth(sim.TruthOptions{})
	var kept []model.Relation
	for _, r := range tr.Relations {
		if r.Kind != model.MemberOf {
			kept = append(kept, r)
		}
	}
	want := expectedAccess(sim.Truth{Entities: tr.Entities, Relations: kept}, nil)
	rr, err := output.OpenRun(context.Background(), location.MustParse(filepath.Join(dest, "r")), nil)
	if err != nil {
		t.Fatal(err)
	}
	sameKeys(t, readEffective(t, rr), want)
	if k := viaKinds(want); k["group"]+k["project_role_group"]+k["application_role"] != 0 || k["anyone"] == 0 {
		t.Errorf("expected path kinds without member_of: %v", k)
	}
}
