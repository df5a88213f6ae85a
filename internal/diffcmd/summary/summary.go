// Package summary renders the closing report of a diff (change counts,
// time taken, peak RSS) as jira-extractor diff prints it on stderr; the
// extraction runner prints a plugin's diff with it too, so it links
// nothing but the standard library.
package summary

import (
	"fmt"
	"io"
	"sort"
	"time"
)

// Write prints the change counts, the time taken and the peak RSS
// (peak, when known) as the CLI does on stderr.
func Write(w io.Writer, rows int64, counts map[string]int64, oldRun, newRun string, took time.Duration, peak int64) {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	note := ""
	if peak > 0 {
		note = fmt.Sprintf(", peak RSS %.1f MiB", float64(peak)/(1<<20))
	}
	fmt.Fprintf(w, "%d changes from %s to %s in %s%s\n", rows, oldRun, newRun, took.Round(time.Millisecond), note)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-50s %d\n", k, counts[k])
	}
}
