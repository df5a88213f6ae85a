package applycmd

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/govextract/jira-extractor/internal/apply"
)

// maxListed bounds the actions the summary lists one by one.
const maxListed = 50

// CountsLine renders counts per status in report order:
// "applied 3, unchanged 1, ticketed 0, failed 0, skipped 2".
func CountsLine(counts map[apply.Status]int) string {
	parts := make([]string, len(apply.Statuses))
	for i, s := range apply.Statuses {
		parts[i] = fmt.Sprintf("%s %d", s, counts[s])
	}
	return strings.Join(parts, ", ")
}

// Progress draws the progress line of an apply on w: redrawn in place on a
// terminal (at most 10 times a second), else a line every 10 seconds.
type Progress struct {
	w           io.Writer
	interactive bool
	every       time.Duration

	mu    sync.Mutex
	last  time.Time
	drawn bool
}

// NewProgress returns a progress line writing to w.
func NewProgress(w io.Writer, interactive bool) *Progress {
	every := 10 * time.Second
	if interactive {
		every = 100 * time.Millisecond
	}
	return &Progress{w: w, interactive: interactive, every: every}
}

// Update shows p (the engine's Progress callback).
func (d *Progress) Update(p apply.Progress) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	if p.Done < p.Total && now.Sub(d.last) < d.every {
		return
	}
	d.last = now
	line := fmt.Sprintf("apply: %d/%d actions done (%s)", p.Done, p.Total, CountsLine(p.Counts))
	if d.interactive {
		fmt.Fprintf(d.w, "\r\033[K%s", line)
		d.drawn = true
		return
	}
	fmt.Fprintln(d.w, line)
}

// Done ends the progress line (a newline after a line drawn in place).
func (d *Progress) Done() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.drawn {
		fmt.Fprintln(d.w)
		d.drawn = false
	}
}

// WriteSummary writes the end-of-apply summary: counts per status, then
// each failed or skipped action with its message (in a dry run: each
// action that would change), at most maxListed of them.
func WriteSummary(w io.Writer, r Result) {
	var b strings.Builder
	s := r.Apply.Summary
	kind := "apply"
	if r.Manifest != nil && r.Manifest.DryRun {
		kind = "dry-run"
	}
	fmt.Fprintf(&b, "%s: %d actions: %s", kind, s.Total, CountsLine(s.Counts))
	if s.Resumed > 0 {
		fmt.Fprintf(&b, " (%d from the journal of an earlier apply)", s.Resumed)
	}
	b.WriteString("\n")
	listed, more := 0, 0
	for _, o := range r.Apply.Outcomes {
		if o.Status != apply.Failed && o.Status != apply.Skipped {
			continue
		}
		if listed >= maxListed {
			more++
			continue
		}
		listed++
		fmt.Fprintf(&b, "  %-9s %q: %s\n", o.Status, o.ID, o.Message)
	}
	if more > 0 {
		fmt.Fprintf(&b, "  ... and %d more: see the actions table\n", more)
	}
	if r.Location != "" {
		fmt.Fprintf(&b, "actions table and manifest: %s\n", r.Location)
	}
	if r.JournalKept {
		fmt.Fprintf(&b, "the apply was interrupted; journal kept at %s: run the same plan again to finish it (done actions are not repeated)\n", r.Journal)
	}
	_, _ = io.WriteString(w, b.String())
}
