package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
)

// readChanges opens a run (or a diff's folder) and returns its change set
// rows as sorted lines, and the rows themselves.
func readChanges(t *testing.T, dir string) ([]string, []output.Change, *manifest.Manifest) {
	t.Helper()
	rr, err := output.OpenRun(context.Background(), location.MustParse(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	var rows []output.Change
	err = rr.ScanChanges(context.Background(), func(c output.Change) error {
		rows = append(rows, c)
		b, _ := json.Marshal(c)
		lines = append(lines, string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return lines, rows, rr.Manifest()
}

// TestRunSinceAndDiffHostileNames: run, change the site (hostile names with
// CR LF, commas, quotes and emoji), run --since auto, then diff the two runs
// into CSV: both change sets are the same, and every renamed user's before
// and after hold its exact old and new names. The runs are Parquet or CSV:
// a CSV run must read a CR LF inside a field back exactly, or every such
// name would show as changed.
func TestRunSinceAndDiffHostileNames(t *testing.T) {
	for _, format := range []string{"parquet", "csv"} {
		t.Run(format, func(t *testing.T) { testRunSinceAndDiff(t, format) })
	}
}

func testRunSinceAndDiff(t *testing.T, format string) {
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1, Email: simEmail, Token: simToken,
		ScopedToken: simScoped, UnderScopedToken: simNoScope, OrgID: simOrgID, OrgAPIKey: simOrgKey})
	dir := t.TempDir()
	dest := filepath.Join(dir, "out")
	jm := simJob(url, simToken, dest, false)
	jm["output"].(map[string]any)["format"] = format
	job := writeJob(t, dir, jm)
	first := runBin(t, dir, "run", "--config", job)
	if first.code != 0 {
		t.Fatalf("first run\n%s", first)
	}
	oldRun := strings.TrimSpace(first.stdout)
	names := map[string]string{}
	for _, e := range srv.Truth(sim.TruthOptions{}).Entities {
		if e.SourceType == model.User {
			names[e.SourceID] = e.Name
		}
	}
	srv.Churn(sim.Churn{Kinds: []string{sim.ChurnUserRenamed, sim.ChurnUserCreated, sim.ChurnGroupCreated}, Changes: 8, Seed: 2})
	newNames := map[string]string{}
	for _, e := range srv.Truth(sim.TruthOptions{}).Entities {
		if e.SourceType == model.User {
			newNames[e.SourceID] = e.Name
		}
	}
	second := runBin(t, dir, "run", "--config", job, "--since", "auto")
	if second.code != 0 {
		t.Fatalf("--since run\n%s", second)
	}
	newRun := strings.TrimSpace(second.stdout)
	incLines, _, m := readChanges(t, newRun)
	if m.Mode != manifest.ModeIncremental || m.BaseRun != oldRun {
		t.Fatalf("mode %q base %q (want %q) reason %q", m.Mode, m.BaseRun, oldRun, m.Reason)
	}
	if v := runBin(t, dir, "verify", newRun); v.code != 0 {
		t.Fatalf("verify of an incremental run\n%s", v)
	}
	d := runBin(t, dir, "diff", oldRun, newRun, "--out", filepath.Join(dir, "changes"), "--format", "csv")
	if d.code != 0 {
		t.Fatalf("diff\n%s", d)
	}
	diffLines, rows, _ := readChanges(t, strings.TrimSpace(d.stdout))
	if strings.Join(diffLines, "\n") != strings.Join(incLines, "\n") {
		t.Fatalf("diff and the incremental run's changes/ differ: %d and %d rows", len(diffLines), len(incLines))
	}
	renamed := 0
	for _, c := range rows {
		if c.Kind != string(model.User) || c.Change != output.ChangeUpdated {
			continue
		}
		var before, after struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal([]byte(c.Before), &before); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(c.After), &after); err != nil {
			t.Fatal(err)
		}
		if before.Name != names[c.SourceID] || after.Name != newNames[c.SourceID] {
			t.Fatalf("user %s: before %q after %q, want %q and %q", c.SourceID, before.Name, after.Name, names[c.SourceID], newNames[c.SourceID])
		}
		if strings.ContainsAny(after.Name, "\n,\"🧪") {
			renamed++
		}
	}
	if renamed == 0 {
		t.Fatal("no renamed user with a hostile name in the change set: the test checks nothing")
	}
	if bad := runBin(t, dir, "diff", oldRun); bad.code != 2 {
		t.Fatalf("diff with one run: want exit 2\n%s", bad)
	}
	if err := os.Remove(filepath.Join(oldRun, manifest.FileName)); err != nil {
		t.Fatal(err)
	}
	if bad := runBin(t, dir, "diff", oldRun, newRun); bad.code != 1 || !strings.Contains(bad.stderr, "not complete") {
		t.Fatalf("diff of an incomplete run: want exit 1\n%s", bad)
	}
}
