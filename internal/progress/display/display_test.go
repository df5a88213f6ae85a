package display

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/progress"
)

// clock is a fake time source the test advances by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTest(interactive bool) (*Display, *bytes.Buffer, *clock) {
	var buf bytes.Buffer
	c := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	d := New(&buf, interactive)
	d.now = c.now
	d.size = func() (int, int) { return 80, 24 }
	d.last = c.t
	if interactive {
		d.last = time.Time{}
	}
	return d, &buf, c
}

func snap(users int64) progress.Snapshot {
	return progress.Snapshot{
		Rows:     map[string]int64{"user": users, "member_of": 4500, "group": 340, "holds_permission": 12},
		Requests: 1234, Retries: 2, Throttled: 1,
		Elapsed: 62 * time.Second, RequestRate: 19.9, ETA: 35 * time.Second, PlannedRequests: 5000,
		Phases: []progress.Phase{{Name: "users"}, {Name: "groups", Done: 120, Total: 340}, {Name: "global roles", Finished: true}},
	}
}

func TestInteractiveDrawsBlockAndThrottles(t *testing.T) {
	d, buf, c := newTest(true)
	d.size = func() (int, int) { return 120, 24 }
	d.Update(snap(12000))
	out := buf.String()
	for _, want := range []string{"1m02s elapsed", "1,234/~5,000 req", "19.9 req/s", "ETA 35.0s", "retries 2 throttled 1", "now: users · groups 120/340", "user", "12,000", "member_of", "4,500"} {
		if !strings.Contains(out, want) {
			t.Errorf("block lacks %q:\n%s", want, out)
		}
	}
	// Entity kinds come before relation kinds.
	if strings.Index(out, "group") > strings.Index(out, "member_of") {
		t.Errorf("kinds out of order:\n%s", out)
	}
	if strings.Contains(out, "\x1b[") && strings.Contains(out, "F\x1b[J") {
		t.Errorf("first draw must not move the cursor up:\n%q", out)
	}
	lines := strings.Count(out, "\n")

	// Too soon: nothing drawn.
	buf.Reset()
	c.advance(100 * time.Millisecond)
	d.Update(snap(13000))
	if buf.Len() != 0 {
		t.Fatalf("redrew within 100ms: %q", buf.String())
	}
	// After the interval: the old block is erased and redrawn.
	c.advance(200 * time.Millisecond)
	d.Update(snap(14000))
	out = buf.String()
	if !strings.HasPrefix(out, "\x1b["+strconv.Itoa(lines)+"F\x1b[J") {
		t.Fatalf("redraw does not erase the %d-line block first: %q", lines, out)
	}
	if !strings.Contains(out, "14,000") {
		t.Fatalf("redraw lacks the new count: %q", out)
	}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if n := utf8.RuneCountInString(stripANSI(l)); n >= 120 {
			t.Errorf("line is %d columns: %q", n, l)
		}
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i++; i < len(s) && !(s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 'a' && s[i] <= 'z'); i++ {
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestInteractiveWarnAndLogsGoAboveBlock(t *testing.T) {
	d, buf, _ := newTest(true)
	d.Update(snap(10))
	buf.Reset()
	d.Warn("project/ABC", "cannot read roles: HTTP 403")
	out := buf.String()
	iClear := strings.Index(out, "F\x1b[J")
	iWarn := strings.Index(out, "warning: project/ABC: cannot read roles: HTTP 403\n")
	iBlock := strings.Index(out, "1m02s")
	if iClear < 0 || iWarn < iClear || iBlock < iWarn {
		t.Fatalf("want clear, warning, block redrawn: %q", out)
	}
	if !strings.Contains(out, "warnings 1") {
		t.Fatalf("block does not count the warning: %q", out)
	}
	buf.Reset()
	if _, err := d.Write([]byte("level=INFO msg=hello\n")); err != nil {
		t.Fatal(err)
	}
	out = buf.String()
	if strings.Index(out, "msg=hello") > strings.Index(out, "1m02s") || !strings.Contains(out, "F\x1b[J") {
		t.Fatalf("log line not printed above the block: %q", out)
	}
}

func TestPlainLinesEveryInterval(t *testing.T) {
	d, buf, c := newTest(false)
	d.Update(snap(10))
	if buf.Len() != 0 {
		t.Fatalf("printed before the first interval: %q", buf.String())
	}
	c.advance(PlainInterval)
	d.Update(snap(20))
	c.advance(time.Second)
	d.Update(snap(30))
	out := buf.String()
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want exactly one line, got %q", out)
	}
	if strings.Contains(out, "\x1b") {
		t.Fatalf("plain output has ANSI codes: %q", out)
	}
	for _, want := range []string{"progress: 1m02s elapsed", "1,234 of ~5,000 requests (19.9 req/s)", "ETA 35.0s", "now: users · groups 120/340;", "user=20", "member_of=4500", "2 retries, 1 throttled"} {
		if !strings.Contains(out, want) {
			t.Errorf("line lacks %q: %q", want, out)
		}
	}
	d.Warn("", "plain warning")
	if !strings.HasSuffix(buf.String(), "warning: plain warning\n") {
		t.Fatalf("warning: %q", buf.String())
	}
}

func TestDoneSummary(t *testing.T) {
	d, buf, _ := newTest(true)
	d.Update(snap(10))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	m := &manifest.Manifest{
		RunID: "01JRUN", Site: "acme", Status: manifest.StatusPartial,
		StartedAt: start, FinishedAt: start.Add(75 * time.Second),
		Tables: []manifest.Table{
			{Name: "member_of", Kind: "relation", Rows: 4500, Files: make([]manifest.File, 1)},
			{Name: "user", Kind: "entity", Rows: 12000, Files: make([]manifest.File, 2)},
		},
		Requests: manifest.Requests{Total: 1234, Retries: 2, Throttled: 1},
		Warnings: []manifest.Warning{{Scope: "project/ABC", Message: "HTTP 403"}},
	}
	buf.Reset()
	d.Done(m, "out/01JRUN")
	out := buf.String()
	if !strings.HasPrefix(out, "\x1b[") {
		t.Fatalf("Done does not erase the block first: %q", out)
	}
	for _, want := range []string{"Run 01JRUN partial", "in 1m15s", "output    out/01JRUN", "1,234 (retries 2, throttled 1)", "12,000", "4,500", "project/ABC: HTTP 403", "1 warning(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "user") > strings.Index(out, "member_of") {
		t.Errorf("entity tables must come first:\n%s", out)
	}
	// Nothing is drawn after Done.
	buf.Reset()
	d.Update(snap(99))
	if buf.Len() != 0 {
		t.Fatalf("drew after Done: %q", buf.String())
	}
}

func TestDoneWithoutManifest(t *testing.T) {
	d, buf, _ := newTest(false)
	d.Update(snap(1))
	d.Done(nil, "")
	if !strings.Contains(buf.String(), "Run failed: no manifest was written") || !strings.Contains(buf.String(), "1,234") {
		t.Fatalf("failed summary: %q", buf.String())
	}
}

func TestConcurrentUse(t *testing.T) {
	d, _, _ := newTest(true)
	d.now = time.Now
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				d.Update(snap(int64(j)))
				d.Warn("s", "m")
				_, _ = d.Write([]byte("log\n"))
			}
		}()
	}
	wg.Wait()
	d.Done(nil, "")
}

func TestFormatting(t *testing.T) {
	cases := map[string]string{
		count(0): "0", count(999): "999", count(1000): "1,000", count(1234567): "1,234,567", count(-1500): "-1,500",
		duration(860 * time.Millisecond): "0.9s", duration(62 * time.Second): "1m02s", duration(3723 * time.Second): "1h02m03s",
		eta(-1): "--",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q want %q", got, want)
		}
	}
	if IsTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
}

// manyKinds is a snapshot with every kind of a full run, large counts and
// long phase names: the widest block there is.
func manyKinds(scale int64) progress.Snapshot {
	s := snap(12000 * scale)
	for i, k := range []string{"project", "role", "project_role", "application_role", "permission_scheme",
		"has_role", "role_in", "instance_of", "lead_of", "product_access", "uses_scheme"} {
		s.Rows[k] = int64(i+1) * 997 * scale
	}
	s.Phases = append(s.Phases, progress.Phase{Name: "permission schemes"}, progress.Phase{Name: "projects", Done: 3 * scale, Total: 1200})
	return s
}

// TestBlockFitsTheTerminal draws the block at several widths and heights
// and checks what a terminal needs for a clean in-place redraw: no line is
// as wide as the terminal (a full line would wrap or lose its last column),
// no more lines than the screen has rows, and the same number of lines from
// one frame to the next when only the counts change.
func TestBlockFitsTheTerminal(t *testing.T) {
	for _, width := range []int{20, 40, 70, 79, 80, 120} {
		for _, height := range []int{3, 6, 24} {
			var prev int
			for i, scale := range []int64{1, 1000} {
				lines := blockLines(manyKinds(scale), 3, width, height)
				for _, l := range lines {
					if n := utf8.RuneCountInString(l); n >= width {
						t.Errorf("%dx%d: line of %d columns: %q", width, height, n, l)
					}
				}
				if len(lines) > height-1 {
					t.Errorf("%dx%d: %d lines", width, height, len(lines))
				}
				if i > 0 && len(lines) != prev {
					t.Errorf("%dx%d: %d lines, then %d", width, height, prev, len(lines))
				}
				prev = len(lines)
			}
		}
	}
	// Wide enough, every kind is shown; too short, the rest is counted.
	all := strings.Join(blockLines(manyKinds(1), 0, 120, 24), "\n")
	if !strings.Contains(all, "uses_scheme") || !strings.Contains(all, "now: users · groups 120/340 · permission schemes · projects 3/1,200") {
		t.Errorf("120 columns:\n%s", all)
	}
	short := blockLines(manyKinds(1), 0, 80, 6)
	if last := short[len(short)-1]; !strings.Contains(last, "more kinds") {
		t.Errorf("80x6: last line %q does not count the kinds left out", last)
	}
}

// TestRedrawFollowsTheTerminalSize: the size is read for every frame, and
// clearing the last frame goes up by the rows its lines take at the current
// width (a terminal that narrowed re-wraps them).
func TestRedrawFollowsTheTerminalSize(t *testing.T) {
	d, buf, c := newTest(true)
	w, h := 120, 24
	d.size = func() (int, int) { return w, h }
	d.Update(manyKinds(1))
	first := strings.Split(strings.TrimSuffix(stripANSI(buf.String()), "\n"), "\n")
	widest := 0
	for _, l := range first {
		widest = max(widest, utf8.RuneCountInString(l))
	}
	if widest < 80 {
		t.Fatalf("at 120 columns the widest line is %d", widest)
	}
	// The terminal narrows to 60: the old lines now take more rows each.
	w = 60
	buf.Reset()
	c.advance(InteractiveInterval)
	d.Update(manyKinds(1))
	rows := 0
	for _, l := range first {
		rows += max(1, (utf8.RuneCountInString(l)+59)/60)
	}
	if want := "\x1b[" + strconv.Itoa(rows) + "F\x1b[J"; !strings.HasPrefix(buf.String(), want) {
		t.Fatalf("want %q (rows of the old block at 60 columns), got %q", want, buf.String()[:min(12, buf.Len())])
	}
	for _, l := range strings.Split(strings.TrimSuffix(stripANSI(buf.String()), "\n"), "\n") {
		if n := utf8.RuneCountInString(l); n >= 60 {
			t.Errorf("line of %d columns after the resize: %q", n, l)
		}
	}
}
