package extractor_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/changes"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/incremental"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/output/s3test"
)

// TestIncrementalBaseOnS3: --since auto finds the base run in an S3
// destination, carries its rows forward and writes an exact run and its
// change set to S3.
func TestIncrementalBaseOnS3(t *testing.T) {
	s3srv := s3test.Start(t)
	s3srv.SetEnv(t)
	s3srv.CreateBucket(t, "runs")
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 11})
	parsed, err := config.Parse(simtest.Job(t, url, "s3://runs/jira", map[string]any{"output.s3": s3srv.S3Output(),
		"appConfig.requestsPerSecond": 2000, "appConfig.burst": 100}), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	job := parsed.Resolve().Job
	base := incRun(t, job, "", incremental.Config{})
	before := srv.Truth(sim.TruthOptions{})
	srv.Churn(sim.Churn{Changes: 6, Seed: 5})
	after := srv.Truth(sim.TruthOptions{})
	rr := incRun(t, job, incremental.SinceAuto, incremental.Config{})
	m := rr.Manifest()
	if m.Mode != manifest.ModeIncremental || m.BaseRun != base.Location().String() || !strings.HasPrefix(m.BaseRun, "s3://runs/jira/") {
		t.Fatalf("mode %q base %q (want %q) reason %q", m.Mode, m.BaseRun, base.Location(), m.Reason)
	}
	simtest.RequireTruth(t, context.Background(), rr, after)
	sameLines(t, "change set", runChanges(t, rr), truthChanges(before, after))
}

// collect is a change sink that keeps every change as a line.
type collect struct{ lines []string }

func (c *collect) Add(_ context.Context, ch output.Change) error {
	c.lines = append(c.lines, strings.Join([]string{ch.Change, ch.Record, ch.Kind, ch.SourceID, ch.FromType, ch.FromID, ch.ToType, ch.ToID, ch.Before, ch.After}, "\x1f"))
	return nil
}

// TestDiffSpillsToDiskWithTheSameResult: a diff that must spill every table
// into many bucket files gives exactly the change set of one in memory.
func TestDiffSpillsToDiskWithTheSameResult(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 12})
	job := newJob(t, url, t.TempDir(), nil).Resolve().Job
	old := incRun(t, job, "", incremental.Config{})
	srv.Churn(sim.Churn{Changes: 15, Seed: 6})
	cur := incRun(t, job, "", incremental.Config{})
	var mem, spill collect
	ctx := context.Background()
	if err := changes.Diff(ctx, old, cur, &mem, changes.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := changes.Diff(ctx, old, cur, &spill, changes.Options{BucketRows: 40, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(mem.lines)
	sort.Strings(spill.lines)
	if len(mem.lines) == 0 {
		t.Fatal("no changes: the test checks nothing")
	}
	sameLines(t, "spilled change set", spill.lines, mem.lines)
}
