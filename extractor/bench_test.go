package extractor_test

import (
	"context"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/manifest"
)

// BenchmarkRunMedium extracts the simulator's medium site (20k users, 1k
// groups, 500 projects) and reports requests against the floor.
func BenchmarkRunMedium(b *testing.B) {
	srv, url := simtest.StartSim(b, sim.Config{Size: "medium", Seed: 1})
	for i := 0; i < b.N; i++ {
		srv.ResetStats()
		dest := b.TempDir()
		job := newJob(b, url, dest, nil)
		m, err := runJob(context.Background(), job, extractor.RunOptions{RunID: "r"})
		if err != nil || m.Status != manifest.StatusComplete {
			b.Fatalf("status %v err %v", m.Status, err)
		}
		st := srv.Stats()
		b.ReportMetric(float64(st.Requests)/float64(st.Floor), "requests/floor")
		b.ReportMetric(float64(st.Requests), "requests")
	}
}
