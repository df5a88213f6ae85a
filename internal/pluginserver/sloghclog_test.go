package pluginserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/secret"

	"github.com/hashicorp/go-hclog"
)

func slog2Group() slog.Attr { return slog.Group("req", "endpoint", "/rest/api/3/users") }

// jsonLines decodes hclog's JSON output.
func jsonLines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("not JSON: %s", line)
		}
		out = append(out, m)
	}
	return out
}

func TestHCLogHandler(t *testing.T) {
	var buf bytes.Buffer
	hl := hclog.New(&hclog.LoggerOptions{Level: hclog.Info, Output: &buf, JSONFormat: true})
	log := slog.New(NewHCLogHandler(hl)).With("run_id", "R1").WithGroup("page")
	log.Debug("dropped")
	log.Info("fetched", "n", 50, "took", 1500*time.Millisecond, "token", secret.New("s3cr3t"), slog2Group())
	log.Error("failed", "error", errors.New("boom"))
	lines := jsonLines(t, buf.Bytes())
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	l := lines[0]
	if l["@level"] != "info" || l["@message"] != "fetched" || l["run_id"] != "R1" || l["page.n"] != float64(50) ||
		l["page.took"] != "1.5s" || l["page.token"] != secret.Redacted || l["page.req.endpoint"] != "/rest/api/3/users" {
		t.Errorf("line %v", l)
	}
	if lines[1]["@level"] != "error" || lines[1]["page.error"] != "boom" {
		t.Errorf("line %v", lines[1])
	}
	if strings.Contains(buf.String(), "s3cr3t") {
		t.Error("secret in the log")
	}
	h := NewHCLogHandler(hl)
	if h.Enabled(t.Context(), slog.LevelDebug) || !h.Enabled(t.Context(), slog.LevelWarn) {
		t.Error("Enabled does not follow the hclog level")
	}
}

func TestLevels(t *testing.T) {
	for in, want := range map[slog.Level]hclog.Level{slog.LevelDebug - 4: hclog.Trace, slog.LevelDebug: hclog.Debug, slog.LevelInfo: hclog.Info, slog.LevelWarn: hclog.Warn, slog.LevelError + 4: hclog.Error} {
		if got := hclogLevel(in); got != want {
			t.Errorf("hclogLevel(%v) = %v, want %v", in, got, want)
		}
	}
	if _, ok := slogLevel(""); ok {
		t.Error("empty stream level accepted")
	}
	if l, ok := slogLevel("warn"); !ok || l != slog.LevelWarn || levelName(l) != "warn" {
		t.Error("slogLevel(warn)")
	}
}
