package display

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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
		Elapsed: 62 * time.Second, RequestRate: 19.9, ETA: 35 * time.Second,
	}
}

func TestInteractiveDrawsBlockAndThrottles(t *testing.T) {
	d, buf, c := newTest(true)
	d.Update(snap(12000))
	out := buf.String()
	for _, want := range []string{"1m02s elapsed", "1,234 requests", "19.9 req/s", "ETA 35.0s", "retries 2", "throttled 1", "user", "12,000", "member_of", "4,500"} {
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
		if n := len(stripANSI(l)); n > 80 {
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
	iBlock := strings.Index(out, "elapsed")
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
	if strings.Index(out, "msg=hello") > strings.Index(out, "elapsed") || !strings.Contains(out, "F\x1b[J") {
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
	for _, want := range []string{"progress: 1m02s elapsed", "1,234 requests (19.9 req/s)", "ETA 35.0s", "user=20", "member_of=4500", "2 retries, 1 throttled"} {
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
