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
	effectiveMarkdown(w, results)
}

// effectiveMarkdown adds the cost of effective access: per scenario the
// derived rows and the time spent on them, and for a scenario run both with
// and without it (NAME and NAME-noaccess) the extra wall time.
func effectiveMarkdown(w io.Writer, results []Result) {
	byName := map[string]Result{}
	for _, r := range results {
		byName[r.Scenario] = r
	}
	fmt.Fprint(w, "\nEffective access (default permission set ADMINISTER_PROJECTS):\n\n")
	fmt.Fprintln(w, "| scenario | effective rows | resolve+write s | share of wall | wall s without | wall added | peak RSS MiB |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		if r.EffectiveRows == 0 && r.EffectiveSeconds == 0 {
			continue
		}
		without, added := "", ""
		if base, ok := byName[r.Scenario+"-noaccess"]; ok && base.WallSeconds > 0 {
			without = fmt.Sprintf("%.1f", base.WallSeconds)
			added = fmt.Sprintf("%+.1f%%", 100*(r.WallSeconds-base.WallSeconds)/base.WallSeconds)
		}
		fmt.Fprintf(w, "| %s | %d | %.1f | %.1f%% | %s | %s | %.0f |\n", r.Scenario, r.EffectiveRows, r.EffectiveSeconds,
			100*r.EffectiveSeconds/r.WallSeconds, without, added, r.PeakRSSMiB)
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
