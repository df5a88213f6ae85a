package display

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/progress"
)

// cellsPerLine is how many "kind count" cells one block line holds.
const cellsPerLine = 3

// blockLines renders the interactive block: a header with totals and rates,
// then the counts per kind in a grid. Every line fits in 80 columns.
func blockLines(s progress.Snapshot, warnings int) []string {
	head := fmt.Sprintf("%s elapsed  %s requests  %s req/s  ETA %s",
		duration(s.Elapsed), count(s.Requests), rate(s.RequestRate), eta(s.ETA))
	if s.Retries > 0 || s.Throttled > 0 {
		head += fmt.Sprintf("  retries %s  throttled %s", count(s.Retries), count(s.Throttled))
	}
	if warnings > 0 {
		head += fmt.Sprintf("  warnings %d", warnings)
	}
	lines := []string{head}
	kinds := orderedKinds(s.Rows)
	for i := 0; i < len(kinds); i += cellsPerLine {
		var cells []string
		for _, k := range kinds[i:min(i+cellsPerLine, len(kinds))] {
			cells = append(cells, fmt.Sprintf("%-17s %7s", k, count(s.Rows[k])))
		}
		lines = append(lines, " "+strings.Join(cells, "  "))
	}
	return lines
}

// plainLine is the non-interactive progress line.
func plainLine(s progress.Snapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "progress: %s elapsed, %s requests (%s req/s), ETA %s",
		duration(s.Elapsed), count(s.Requests), rate(s.RequestRate), eta(s.ETA))
	if s.Retries > 0 || s.Throttled > 0 {
		fmt.Fprintf(&b, ", %d retries, %d throttled", s.Retries, s.Throttled)
	}
	kinds := orderedKinds(s.Rows)
	if len(kinds) > 0 {
		b.WriteString("; rows:")
		for _, k := range kinds {
			fmt.Fprintf(&b, " %s=%d", k, s.Rows[k])
		}
	}
	return b.String()
}

// writeSummary prints the end-of-run summary.
func writeSummary(w io.Writer, m *manifest.Manifest, location string, snap progress.Snapshot, haveSnap bool) {
	if m == nil {
		fmt.Fprintln(w, "Run failed: no manifest was written.")
		if haveSnap {
			fmt.Fprintf(w, "  requests  %s (retries %s, throttled %s) in %s\n",
				count(snap.Requests), count(snap.Retries), count(snap.Throttled), duration(snap.Elapsed))
		}
		return
	}
	took := m.FinishedAt.Sub(m.StartedAt)
	if m.FinishedAt.IsZero() || took < 0 {
		took = snap.Elapsed
	}
	fmt.Fprintf(w, "Run %s %s in %s\n", m.RunID, statusWord(m.Status), duration(took))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if location != "" {
		fmt.Fprintf(tw, "  output\t%s\n", location)
	}
	if m.Site != "" {
		fmt.Fprintf(tw, "  site\t%s\n", m.Site)
	}
	fmt.Fprintf(tw, "  requests\t%s (retries %s, throttled %s)\n",
		count(m.Requests.Total), count(m.Requests.Retries), count(m.Requests.Throttled))
	_ = tw.Flush()
	if len(m.Tables) > 0 {
		fmt.Fprintln(w)
		tables := orderedTables(m.Tables)
		nw, rw := len("TABLE"), len("ROWS")
		for _, t := range tables {
			nw, rw = max(nw, len(t.Name)), max(rw, len(count(t.Rows)))
		}
		fmt.Fprintf(w, "  %-*s  %-8s  %*s  %5s\n", nw, "TABLE", "KIND", rw, "ROWS", "FILES")
		for _, t := range tables {
			fmt.Fprintf(w, "  %-*s  %-8s  %*s  %5d\n", nw, t.Name, t.Kind, rw, count(t.Rows), len(t.Files))
		}
	}
	if n := len(m.Warnings); n > 0 {
		fmt.Fprintf(w, "\n%d warning(s): some scopes could not be read (see the manifest's warnings)\n", n)
		for _, wn := range m.Warnings {
			fmt.Fprintf(w, "  %s: %s\n", wn.Scope, wn.Message)
		}
	}
}

func statusWord(s string) string {
	switch s {
	case manifest.StatusComplete:
		return "complete"
	case manifest.StatusPartial:
		return "partial (finished, but some scopes could not be read)"
	case "":
		return "finished"
	}
	return s
}

// kindRank orders kinds: entity kinds, then relation kinds, in model order.
func kindRank(k string) int {
	for i, s := range model.SourceTypes {
		if string(s) == k {
			return i
		}
	}
	for i, r := range model.RelationKinds {
		if string(r) == k {
			return len(model.SourceTypes) + i
		}
	}
	return len(model.SourceTypes) + len(model.RelationKinds)
}

func orderedKinds(rows map[string]int64) []string {
	out := make([]string, 0, len(rows))
	for k := range rows {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		ri, rj := kindRank(out[i]), kindRank(out[j])
		if ri != rj {
			return ri < rj
		}
		return out[i] < out[j]
	})
	return out
}

func orderedTables(ts []manifest.Table) []manifest.Table {
	out := append([]manifest.Table(nil), ts...)
	sort.SliceStable(out, func(i, j int) bool { return kindRank(out[i].Name) < kindRank(out[j].Name) })
	return out
}

// count writes n with thousands separators: 1,234,567.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func rate(r float64) string { return strconv.FormatFloat(r, 'f', 1, 64) }

func eta(d time.Duration) string {
	if d < 0 {
		return "--"
	}
	return duration(d)
}

// duration writes 850ms as 0.9s, 12.3s, 1m02s, 1h02m03s.
func duration(d time.Duration) string {
	switch {
	case d < 0:
		return "--"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	d = d.Round(time.Second)
	return fmt.Sprintf("%dh%02dm%02ds", int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second))
}
