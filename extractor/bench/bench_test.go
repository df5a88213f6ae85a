package bench

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
)

var (
	extractorBin string
	results      []Result
	incResults   []IncResult
)

func TestMain(m *testing.M) {
	bin, cleanup, err := simtest.BuildBinary(simtest.ExtractorPkg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	extractorBin = bin
	code := m.Run()
	if len(results)+len(incResults) > 0 {
		out := os.Getenv("BENCH_OUT")
		if out == "" {
			out = "../../bench-results"
		}
		if err := WriteFiles(out, results, incResults); err != nil {
			fmt.Fprintln(os.Stderr, "write results:", err)
			code = 1
		} else {
			Markdown(os.Stdout, results, incResults)
			fmt.Printf("results written to %s/results.md and results.json\n", out)
		}
	}
	cleanup()
	os.Exit(code)
}

// BenchmarkMatrix runs every scenario once (use -benchtime 1x) and reports
// its ratios as benchmark metrics.
func BenchmarkMatrix(b *testing.B) {
	scenarios := Matrix()
	if os.Getenv("BENCH_QUICK") != "" {
		scenarios = Quick()
	}
	for _, sc := range scenarios {
		b.Run(sc.Name, func(b *testing.B) {
			var res Result
			for i := 0; i < b.N; i++ {
				var err error
				res, err = Run(context.Background(), extractorBin, b.TempDir(), sc)
				if err != nil {
					b.Fatal(err)
				}
			}
			if err := sc.CheckTarget(res, results); err != nil {
				b.Error(err)
			}
			results = append(results, res)
			b.ReportMetric(res.RequestRatio, "req/floor")
			b.ReportMetric(res.TimeRatio, "wall/floor")
			b.ReportMetric(float64(res.Requests), "requests")
			b.ReportMetric(res.PeakRSSMiB, "peakRSS-MiB")
			b.ReportMetric(res.EntitiesPerSec+res.RelationsPerSec, "rows/s")
		})
	}
}

// BenchmarkIncremental runs every incremental row once (use -benchtime
// 1x): a full run of the large site, 1% churn, `run --since` and `diff`.
// Run it alone with -bench Incremental (about 3 minutes a row).
func BenchmarkIncremental(b *testing.B) {
	for _, sc := range Incremental() {
		b.Run(sc.Name, func(b *testing.B) {
			var res IncResult
			for i := 0; i < b.N; i++ {
				var err error
				res, err = RunIncremental(context.Background(), extractorBin, b.TempDir(), sc)
				if err != nil {
					b.Fatal(err)
				}
			}
			incResults = append(incResults, res)
			b.Logf("%s: %d requests (floor %d), %.2f%% of the full floor %d; by endpoint %v", sc.Name, res.Requests, res.Floor,
				100*res.FloorShare, res.FullFloor, res.ByEndpoint)
			if err := sc.CheckTarget(res); err != nil {
				b.Error(err)
			}
			b.ReportMetric(100*res.FloorShare, "%fullfloor")
			b.ReportMetric(res.RequestRatio, "req/incfloor")
			b.ReportMetric(res.WallShare, "wall/fullwall")
			b.ReportMetric(res.PeakRSSMiB, "peakRSS-MiB")
			b.ReportMetric(res.DiffPeakRSSMiB, "diff-peakRSS-MiB")
		})
	}
}
