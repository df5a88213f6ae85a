package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Markdown renders results as the table README.md shows.
func Markdown(w io.Writer, results []Result) {
	fmt.Fprintln(w, "| scenario | condition | requests | floor | req/floor | wall s | time floor s | wall/floor | throttled | retried | entities/s | relations/s | peak RSS MiB | truth |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range results {
		truth := "match"
		if !r.TruthMatches {
			truth = "MISMATCH"
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d | %.3f | %.1f | %.1f | %.3f | %d | %d | %.0f | %.0f | %.0f | %s |\n",
			r.Scenario, strings.ReplaceAll(r.Condition, "|", "/"), r.Requests, r.Floor, r.RequestRatio, r.WallSeconds, r.TimeFloorSecs, r.TimeRatio,
			r.Throttled, r.Retried, r.EntitiesPerSec, r.RelationsPerSec, r.PeakRSSMiB, truth)
	}
}

// WriteFiles writes results.md and results.json into dir.
func WriteFiles(dir string, results []Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "results.md"))
	if err != nil {
		return err
	}
	Markdown(f, results)
	if err := f.Close(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "results.json"), append(b, '\n'), 0o644)
}
