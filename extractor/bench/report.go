package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Markdown renders results as the tables README.md shows: the scenario
// matrix, effective access and the incremental rows.
func Markdown(w io.Writer, results []Result, inc []IncResult) {
	fmt.Fprintln(w, "| scenario | condition | requests | floor | req/floor | wall s | time floor s | wall/floor | throttled | retried | entities/s | relations/s | peak RSS MiB | truth |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range results {
		fmt.Fprintf(w, "| %s | %s | %d | %d | %.3f | %.1f | %.1f | %.3f | %d | %d | %.0f | %.0f | %.0f | %s |\n",
			r.Scenario, strings.ReplaceAll(r.Condition, "|", "/"), r.Requests, r.Floor, r.RequestRatio, r.WallSeconds, r.TimeFloorSecs, r.TimeRatio,
			r.Throttled, r.Retried, r.EntitiesPerSec, r.RelationsPerSec, r.PeakRSSMiB, truthCell(r.TruthMatches))
	}
	effectiveMarkdown(w, results)
	incrementalMarkdown(w, inc)
}

// truthCell says whether a row's output matched the truth.
func truthCell(matches bool) string {
	if matches {
		return "match"
	}
	return "MISMATCH"
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

// incrementalMarkdown renders the incremental rows: the --since run after
// churn against the full run before it, and the diff of the two runs.
func incrementalMarkdown(w io.Writer, inc []IncResult) {
	if len(inc) == 0 {
		return
	}
	fmt.Fprint(w, "\nIncremental runs (large site, 10 ms latency, concurrency 16: run --since the full run after one churn step, then diff of the two runs):\n\n")
	fmt.Fprintln(w, "| scenario | condition | requests | floor | req/floor | full floor | of full floor | re-read groups / projects | wall s | full wall s | peak RSS MiB | full peak RSS MiB | diff s | diff peak RSS MiB | truth |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range inc {
		made := 0
		for _, n := range r.Churned {
			made += n
		}
		fmt.Fprintf(w, "| %s | %s (%d changes) | %d | %d | %.3f | %d | %.2f%% | %d / %d | %.1f | %.1f | %.0f | %.0f | %.1f | %.0f | %s |\n",
			r.Scenario, strings.ReplaceAll(r.Condition, "|", "/"), made, r.Requests, r.Floor, r.RequestRatio, r.FullFloor, 100*r.FloorShare,
			r.GroupsReread, r.ProjectsReread, r.WallSeconds, r.FullWallSecs, r.PeakRSSMiB, r.FullPeakRSSMiB, r.DiffSeconds, r.DiffPeakRSSMiB, truthCell(r.TruthMatches))
	}
}

// WriteFiles writes results.md, results.json and (with incremental rows)
// incremental.json into dir.
func WriteFiles(dir string, results []Result, inc []IncResult) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "results.md"))
	if err != nil {
		return err
	}
	Markdown(f, results, inc)
	if err := f.Close(); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "results.json"), results); err != nil || len(inc) == 0 {
		return err
	}
	return writeJSON(filepath.Join(dir, "incremental.json"), inc)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
