package host

import (
	"strings"
	"sync"
)

// tailWriter keeps the last plain-text lines a plugin wrote to stderr (its
// JSON log records go to the host logger instead), to quote when the plugin
// fails: go-plugin's own refusals, a panic's first lines, a crash message.
type tailWriter struct {
	max     int
	mu      sync.Mutex
	partial strings.Builder
	lines   []string
}

// Write collects whole lines.
func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range string(p) {
		if c != '\n' {
			t.partial.WriteRune(c)
			continue
		}
		t.addLine(t.partial.String())
		t.partial.Reset()
	}
	return len(p), nil
}

func (t *tailWriter) addLine(line string) {
	line = strings.TrimRight(line, "\r")
	if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "{") {
		return
	}
	if len(line) > 500 {
		line = line[:500] + "..."
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

// suffix is "" or the kept lines, ready to append to an error message.
func (t *tailWriter) suffix() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if rest := strings.TrimSpace(t.partial.String()); rest != "" && !strings.HasPrefix(rest, "{") {
		lines = append(append([]string(nil), lines...), rest)
	}
	if len(lines) == 0 {
		return ""
	}
	return "\nplugin stderr:\n  " + strings.Join(lines, "\n  ")
}
