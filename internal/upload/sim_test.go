package upload

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/access"
	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/secret"
	"github.com/govextract/jira-extractor/internal/upload/uploadtest"
)

// simRun extracts the simulator's small site and returns the run's location.
func simRun(t *testing.T) string {
	t.Helper()
	_, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1})
	dest := t.TempDir()
	// The job simtest.Job writes, resolved by hand: the config package
	// resolves job files into upload's options, so upload cannot use it.
	job := extractor.Job{
		Jira: jira.Options{SiteURL: url, GatewayURL: url, SiteName: "sim", Email: sim.DefaultEmail, APIToken: secret.New(sim.DefaultToken),
			RequestsPerSecond: 10000, Burst: 1000, Concurrency: 8, MaxRetries: 6, Timeout: 30 * time.Second},
		Output: output.Options{Destination: location.MustParse(dest), OwnerOnly: true},
		Access: access.Options{Permissions: []string{"ADMINISTER_PROJECTS"}},
	}
	res, err := extractor.Run(context.Background(), job, extractor.RunOptions{})
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	m := res.Manifest
	if m.Status != manifest.StatusComplete {
		t.Fatalf("run status %s: %v", m.Status, m.Warnings)
	}
	if want := filepath.Join(dest, m.RunID); res.Location.String() != want {
		t.Fatalf("run location %s, want %s", res.Location, want)
	}
	return res.Location.String()
}

// readFixture reads a run back as a fixture, for comparison.
func readFixture(t *testing.T, run Source) fixture {
	t.Helper()
	ctx := context.Background()
	f := fixture{entities: map[model.SourceType][]model.Entity{}, relations: map[model.RelationKind][]model.Relation{}}
	for _, k := range model.SourceTypes {
		if err := run.ScanEntities(ctx, k, func(e model.Entity) error { f.entities[k] = append(f.entities[k], e); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range model.AllRelationKinds() {
		if err := run.ScanRelations(ctx, k, func(r model.Relation) error { f.relations[k] = append(f.relations[k], r); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func TestUploadSimulatorRun(t *testing.T) {
	t.Parallel()
	loc := simRun(t)
	run := openRun(t, loc)
	f := readFixture(t, run)
	if len(f.entities[model.User]) == 0 || len(f.relations[model.MemberOf]) == 0 || len(f.relations[model.HoldsPermission]) == 0 {
		t.Fatalf("the simulator run is too thin: %d users", len(f.entities[model.User]))
	}
	srv := newServer(t, uploadtest.Options{})
	opts := baseOptions(srv, filepath.Join(t.TempDir(), "state.json"))
	opts.ChunkRows = 500
	opts.ChunkBytes = 64 << 10
	res, err := Upload(context.Background(), run, opts)
	if err != nil {
		t.Fatal(err)
	}
	assertStored(t, srv, f, "sim")
	t.Logf("uploaded %d entities in %d chunks, %d relations in %d chunks; special holders %v",
		res.Entities.Rows, res.Entities.Chunks, res.Relations.Rows, res.Relations.Chunks, res.SpecialHolders)
	if res.Entities.Chunks < 2 || res.Relations.Chunks < 2 {
		t.Fatalf("expected several chunks: %+v", res)
	}
}
