package display

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/progress"
)

// minWidth is the narrowest block drawn; a narrower terminal gets lines of
// this width cut to fit.
const minWidth = 8

// blockLines renders the interactive block for a terminal width columns
// wide and height rows high: a header with the elapsed time, ETA, requests
// done of the planned total and rate (what does not fit is left out from
// the end); the phases still running with their items done of
// total; then the rows per kind in a grid. No line is longer than width-1
// (the last column is left free so a full line never wraps), and there are
// never more than height-1 lines.
func blockLines(s progress.Snapshot, warnings, width, height int) []string {
	width = max(width-1, minWidth)
	maxLines := max(height-1, 1)

	reqs := count(s.Requests)
	if s.PlannedRequests > s.Requests {
		reqs += "/~" + count(s.PlannedRequests)
	}
	head := []string{duration(s.Elapsed) + " elapsed", "ETA " + eta(s.ETA), reqs + " req", rate(s.RequestRate) + " req/s"}
	if warnings > 0 {
		head = append(head, fmt.Sprintf("warnings %d", warnings))
	}
	if s.Retries > 0 || s.Throttled > 0 {
		head = append(head, "retries "+count(s.Retries)+" throttled "+count(s.Throttled))
	}
	lines := []string{fitPieces(head, width)}

	if ph := phaseText(s.Phases); ph != "" {
		lines = append(lines, fit(ph, width))
	}

	kinds := orderedKinds(s.Rows)
	if len(kinds) > 0 {
		nw, cw := 0, 7
		for _, k := range kinds {
			nw, cw = max(nw, len(k)), max(cw, len(count(s.Rows[k])))
		}
		cell := nw + 1 + cw
		per := max(1, (width-1+2)/(cell+2))
		var grid []string
		for i := 0; i < len(kinds); i += per {
			var cells []string
			for _, k := range kinds[i:min(i+per, len(kinds))] {
				cells = append(cells, fmt.Sprintf("%-*s %*s", nw, k, cw, count(s.Rows[k])))
			}
			grid = append(grid, fit(" "+strings.Join(cells, "  "), width))
		}
		if room := maxLines - len(lines); len(grid) > room && room > 0 {
			shown := room - 1
			hidden := len(kinds) - shown*per
			grid = append(grid[:shown], fit(fmt.Sprintf(" … %d more kinds", hidden), width))
		}
		lines = append(lines, grid...)
	}
	if len(lines) > maxLines {
		lines = lines[:maxLines]
	}
	return lines
}

// phaseText names the phases still running, with items done of total
// where the total is known: "now: groups 120/340 · projects 3/45".
func phaseText(ps []progress.Phase) string {
	if len(ps) == 0 {
		return ""
	}
	var parts []string
	for _, p := range ps {
		if p.Finished {
			continue
		}
		switch {
		case p.Total > 0:
			parts = append(parts, fmt.Sprintf("%s %s/%s", p.Name, count(p.Done), count(p.Total)))
		default:
			parts = append(parts, p.Name)
		}
	}
	if len(parts) == 0 {
		return "now: writing the last files"
	}
	return "now: " + strings.Join(parts, " · ")
}

// fitPieces joins pieces with two spaces, leaving out the trailing pieces
// that do not fit in width, then cuts what is left to width.
func fitPieces(pieces []string, width int) string {
	out := pieces[0]
	for _, p := range pieces[1:] {
		if utf8.RuneCountInString(out)+2+utf8.RuneCountInString(p) > width {
			break
		}
		out += "  " + p
	}
	return fit(out, width)
}

// fit cuts s to at most width columns, ending a cut line with "…".
func fit(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:max(width-1, 0)]) + "…"
}

// plainLine is the non-interactive progress line.
func plainLine(s progress.Snapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "progress: %s elapsed, %s", duration(s.Elapsed), count(s.Requests))
	if s.PlannedRequests > s.Requests {
		fmt.Fprintf(&b, " of ~%s", count(s.PlannedRequests))
	}
	fmt.Fprintf(&b, " requests (%s req/s), ETA %s", rate(s.RequestRate), eta(s.ETA))
	if s.Retries > 0 || s.Throttled > 0 {
		fmt.Fprintf(&b, ", %d retries, %d throttled", s.Retries, s.Throttled)
	}
	if ph := phaseText(s.Phases); ph != "" {
		b.WriteString("; " + ph)
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
