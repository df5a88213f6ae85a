package cli

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/access"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
)

// BenchmarkEffectiveAccessLarge times `access who` and `access what` on the
// large site (200k users, 2M memberships, 5k projects). The run folder is
// written straight from the simulator's truth (no HTTP), then the real
// binary answers; each answer must take under 5 s.
func BenchmarkEffectiveAccessLarge(b *testing.B) {
	ctx := context.Background()
	srv, err := sim.New(sim.Config{Size: "large", Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	tr := srv.Truth(sim.TruthOptions{})
	dest := b.TempDir()
	run, err := output.Create(ctx, output.Options{Destination: location.MustParse(dest), OwnerOnly: true, RunID: "r"})
	if err != nil {
		b.Fatal(err)
	}
	ab := access.NewBuilder(access.BuildOptions{})
	w := access.Tee(run, ab)
	var email, project string
	for _, k := range model.SourceTypes {
		var batch []model.Entity
		for _, e := range tr.Entities {
			if e.SourceType == k {
				batch = append(batch, e)
				if k == model.User && email == "" && e.Attrs["email"] != nil && e.Attrs["active"] == true {
					email, _ = e.Attrs["email"].(string)
				}
			}
		}
		if err := w.WriteEntities(ctx, k, batch); err != nil {
			b.Fatal(err)
		}
	}
	for _, k := range model.RelationKinds {
		var batch []model.Relation
		for _, r := range tr.Relations {
			if r.Kind == k {
				batch = append(batch, r)
			}
		}
		if err := w.WriteRelations(ctx, k, batch); err != nil {
			b.Fatal(err)
		}
	}
	tr, srv = sim.Truth{}, nil
	if _, err := access.Write(ctx, ab.Index(), config.DefaultEffectivePermissions, run); err != nil {
		b.Fatal(err)
	}
	if err := run.Commit(ctx, &manifest.Manifest{RunID: "r", Status: manifest.StatusComplete}); err != nil {
		b.Fatal(err)
	}
	loc := filepath.Join(dest, "r")
	// Ask about a project somebody administers.
	rr, err := output.OpenRun(ctx, location.MustParse(loc), nil)
	if err != nil {
		b.Fatal(err)
	}
	project = ""
	_ = rr.ScanRelations(ctx, model.EffectivePermission, func(r model.Relation) error {
		if project == "" {
			project = r.ToID
		}
		return nil
	})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, q := range []struct {
			name  string
			args  []string
			bound bool // the 5 s bound applies (not to a million-row answer)
		}{
			{"who-s", []string{"access", "who", "--run", loc, "--project", project}, true},
			{"what-s", []string{"access", "what", "--run", loc, "--user", email}, true},
			{"who-all-s", []string{"access", "who", "--run", loc, "--project", project, "--permission", "*", "--format", "json"}, false},
		} {
			cmd := exec.Command(bin, q.args...)
			cmd.Env = cleanEnv()
			var out countWriter
			cmd.Stdout = &out
			start := time.Now()
			err := cmd.Run()
			took := time.Since(start)
			if err != nil {
				b.Fatalf("%v: %v", q.args, err)
			}
			b.ReportMetric(took.Seconds(), q.name)
			b.Logf("%s: %s, %d bytes of answer", q.name, took.Round(time.Millisecond), out.n)
			if q.bound && took > 5*time.Second {
				b.Errorf("%s took %s, want under 5 s", q.name, took.Round(time.Millisecond))
			}
		}
	}
}

// countWriter counts and discards what is written to it.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
