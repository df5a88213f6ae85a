// Package display shows a run's progress on a terminal: a compact block of
// requests done of the planned total, rate, ETA, the running phases and the
// rows per kind, redrawn in place on an interactive terminal, or a plain
// progress line every few seconds when output goes to a file or a pipe; and
// a summary when the run ends.
//
// The block fits the terminal: its size is read before every frame (so a
// resize is picked up at the next frame), no line is wider than the
// terminal and the block is never taller than the screen, so moving the
// cursor up over it and clearing to the end of the screen erases exactly the
// last frame (nothing stale is left in the scrollback, in tmux too).
package display

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/progress"
)

// Redraw intervals.
const (
	// InteractiveInterval is the shortest time between two redraws of the
	// in-place block (at most about 4 a second).
	InteractiveInterval = 250 * time.Millisecond
	// PlainInterval is the time between two progress lines when the output
	// is not a terminal.
	PlainInterval = 10 * time.Second
)

// Display renders progress to a writer. Safe for concurrent use.
type Display struct {
	mu          sync.Mutex
	w           io.Writer
	interactive bool
	now         func() time.Time
	interval    time.Duration
	// size returns the terminal's columns and rows.
	size func() (width, height int)

	last     time.Time // last draw (interactive) or last line (plain)
	snap     progress.Snapshot
	haveSnap bool
	drawn    []int // widths of the block's lines now on screen (interactive)
	warnings int
	done     bool
}

// New returns a display writing to w. interactive selects the in-place
// block with ANSI cursor control (use IsTerminal); otherwise plain lines.
func New(w io.Writer, interactive bool) *Display {
	d := &Display{w: w, interactive: interactive, now: time.Now, interval: PlainInterval, size: sizeOf(w)}
	if interactive {
		d.interval = InteractiveInterval
	}
	d.last = d.now()
	if interactive {
		d.last = time.Time{} // the first snapshot is drawn at once
	}
	return d
}

// Default terminal size when it cannot be read.
const (
	defaultWidth  = 80
	defaultHeight = 24
)

// sizeOf returns a function reading the size of w's terminal, or the
// default size when w is not a terminal.
func sizeOf(w io.Writer) func() (int, int) {
	f, ok := w.(*os.File)
	return func() (int, int) {
		if ok {
			if cw, ch, err := term.GetSize(int(f.Fd())); err == nil && cw > 0 && ch > 0 {
				return cw, ch
			}
		}
		return defaultWidth, defaultHeight
	}
}

// IsTerminal reports whether w is a terminal (an *os.File on a tty).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Update records a snapshot and redraws if enough time has passed since the
// last draw.
func (d *Display) Update(s progress.Snapshot) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return
	}
	d.snap, d.haveSnap = s, true
	now := d.now()
	if now.Sub(d.last) < d.interval {
		return
	}
	d.last = now
	if d.interactive {
		d.clearLocked()
		d.drawLocked()
		return
	}
	fmt.Fprintln(d.w, plainLine(s))
}

// Warn shows a warning: a scope that could not be read.
func (d *Display) Warn(scope, msg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.warnings++
	d.aboveBlockLocked(func() {
		if scope != "" {
			fmt.Fprintf(d.w, "warning: %s: %s\n", scope, msg)
		} else {
			fmt.Fprintf(d.w, "warning: %s\n", msg)
		}
	})
}

// Write lets log lines go through the display: on a terminal they are
// printed above the progress block, which is then redrawn.
func (d *Display) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var n int
	var err error
	d.aboveBlockLocked(func() { n, err = d.w.Write(p) })
	return n, err
}

// aboveBlockLocked clears the block, runs write, and redraws the block.
func (d *Display) aboveBlockLocked(write func()) {
	if !d.interactive || d.done {
		write()
		return
	}
	d.clearLocked()
	write()
	if d.haveSnap {
		d.drawLocked()
	}
}

// Done clears the progress block and prints the run's summary: status, rows
// per kind, requests, retries, throttling, duration, warnings and where the
// output is. m may be nil when the run failed before it had a manifest.
func (d *Display) Done(m *manifest.Manifest, location string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.interactive {
		d.clearLocked()
	}
	d.done = true
	writeSummary(d.w, m, location, d.snap, d.haveSnap)
}

// clearLocked erases the block drawn last: the cursor goes up to its first
// line, then everything to the end of the screen is cleared. When the
// terminal became narrower since, the old lines may have been re-wrapped
// onto more rows: they are counted at the current width.
func (d *Display) clearLocked() {
	if len(d.drawn) == 0 {
		return
	}
	width, height := d.size()
	rows := 0
	for _, n := range d.drawn {
		rows += max(1, (n+width-1)/max(width, 1))
	}
	rows = min(rows, max(height-1, 1))
	fmt.Fprintf(d.w, "\x1b[%dF\x1b[J", rows)
	d.drawn = d.drawn[:0]
}

func (d *Display) drawLocked() {
	width, height := d.size()
	block := blockLines(d.snap, d.warnings, width, height)
	var b strings.Builder
	for _, l := range block {
		b.WriteString(l)
		b.WriteString("\x1b[K\n")
		d.drawn = append(d.drawn, utf8.RuneCountInString(l))
	}
	_, _ = io.WriteString(d.w, b.String())
}
