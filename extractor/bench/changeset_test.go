package bench

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/access"
	"github.com/govextract/jira-extractor/internal/manifest"
)

// smallIncremental is the org row of Incremental on the small site without
// latency: the whole harness in a few seconds.
func smallIncremental() IncScenario {
	sc := Incremental()[1]
	sc.Site, sc.Faults, sc.Concurrency = "small", sim.Faults{}, 4
	sc.Churn.Rate = 0.2
	return sc
}

// The harness on the small site: both runs exact, the --since run
// incremental, both change sets as the truths' diff, every figure filled.
func TestRunIncrementalSmall(t *testing.T) {
	res, err := RunIncremental(context.Background(), extractorBin, t.TempDir(), smallIncremental())
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case !res.TruthMatches || res.Mode != manifest.ModeIncremental || res.ChangeRows == 0:
		t.Fatalf("truth %v, mode %q, %d change rows", res.TruthMatches, res.Mode, res.ChangeRows)
	case res.Requests == 0 || res.Floor == 0 || res.Requests >= res.FullRequests || res.FloorShare <= 0:
		t.Fatalf("requests %d, floor %d, full %d", res.Requests, res.Floor, res.FullRequests)
	case res.PeakRSSMiB <= 0 || res.DiffPeakRSSMiB <= 0 || res.GroupsReread < 0:
		t.Fatalf("peak RSS %.0f, diff peak RSS %.0f, groups re-read %d", res.PeakRSSMiB, res.DiffPeakRSSMiB, res.GroupsReread)
	}
}

// The change-set check fails on any row missing, extra or different.
func TestChangeSetCheckFails(t *testing.T) {
	ctx := context.Background()
	sc := smallIncremental()
	srv, err := sim.New(sim.Config{Size: sc.Site, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	job, err := writeJob(filepath.Join(t.TempDir(), "check"), url, sc.Scenario, nil)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "--config", job, "--no-progress", "--log-format", "json"}
	_, base, err := runChecked(ctx, extractorBin, srv, sim.TruthOptions{}, args)
	if err != nil {
		t.Fatal(err)
	}
	before := srv.Truth(sim.TruthOptions{})
	srv.Churn(sc.Churn)
	srv.Churn(sim.Churn{Kinds: []string{sim.ChurnUserRenamed}, Changes: 1, Seed: 3})
	_, inc, err := runChecked(ctx, extractorBin, srv, sim.TruthOptions{}, append(args, "--since", base.Location().String()))
	if err != nil {
		t.Fatal(err)
	}
	want := expectChanges(before, srv.Truth(sim.TruthOptions{}), access.DefaultPermissions)
	if n, err := want.check(ctx, inc); err != nil || n != want.rows() || len(want.effAdded) == 0 {
		t.Fatalf("%d rows of %d (%d effective added): %v", n, want.rows(), len(want.effAdded), err)
	}
	entity := 0
	for entity < len(want.lines) && !strings.Contains(want.lines[entity], "\tentity\tuser\t") {
		entity++
	}
	if entity == len(want.lines) {
		t.Fatal("the churn changed no user")
	}
	var some uint64
	for h := range want.effAdded {
		some = h
	}
	for name, spoil := range map[string]func(e *expectedChanges){
		"row missing":    func(e *expectedChanges) { e.lines = append(e.lines, "added\tentity\tuser\tnobody\t\t\t\t\t\t{}") },
		"row unexpected": func(e *expectedChanges) { e.lines = append(e.lines[:entity:entity], e.lines[entity+1:]...) },
		"attributes differ": func(e *expectedChanges) {
			e.lines[entity] = strings.Replace(e.lines[entity], `"name":"`, `"name":"x`, 1)
		},
		"effective row missing": func(e *expectedChanges) { e.effAdded[some^1] = true },
		"effective row extra":   func(e *expectedChanges) { delete(e.effAdded, some) },
	} {
		spoilt := &expectedChanges{lines: append([]string(nil), want.lines...), effAdded: map[uint64]bool{}, effRemove: want.effRemove, seed: want.seed}
		for h := range want.effAdded {
			spoilt.effAdded[h] = true
		}
		spoil(spoilt)
		slices.Sort(spoilt.lines)
		if _, err := spoilt.check(ctx, inc); err == nil {
			t.Errorf("%s: the check passed", name)
		}
	}
}
