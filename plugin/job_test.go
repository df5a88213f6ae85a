package plugin

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunLocation(t *testing.T) {
	for _, c := range []struct{ dest, want string }{
		{"./out", filepath.Join("out", "R")},
		{"/data/x/", "/data/x/R"},
		{"file:///data/x", "/data/x/R"},
		{"s3://bucket/prefix/", "s3://bucket/prefix/R"},
		{"s3://bucket", "s3://bucket/R"},
	} {
		if got := RunLocation(c.dest, "R"); got != c.want {
			t.Errorf("RunLocation(%q) = %q, want %q", c.dest, got, c.want)
		}
	}
	if got := manifestLocation("s3://b/p/R"); got != "s3://b/p/R/manifest.json" {
		t.Errorf("manifestLocation = %q", got)
	}
}

func TestWithDestination(t *testing.T) {
	b, err := withDestination([]byte(`{"appConfig":{"siteName":"a"},"output":{"format":"csv","destination":"x"}}`), "s3://b/p")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		AppConfig map[string]string
		Output    map[string]string
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if v.Output["destination"] != "s3://b/p" || v.Output["format"] != "csv" || v.AppConfig["siteName"] != "a" {
		t.Errorf("got %s", b)
	}
	if b, err := withDestination([]byte(`{}`), "d"); err != nil || !strings.Contains(string(b), `"destination":"d"`) {
		t.Errorf("no output section: %s, %v", b, err)
	}
	if _, err := withDestination([]byte(`[1]`), "d"); err == nil {
		t.Error("array accepted")
	}
	if _, err := withDestination([]byte(`{"output":3}`), "d"); err == nil {
		t.Error("non-object output accepted")
	}
}

func TestTailWriter(t *testing.T) {
	tw := &tailWriter{max: 2}
	for _, s := range []string{`{"@level":"info"}`, "\n", "one\n", "two", "\n", "three\npart"} {
		if _, err := tw.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	got := tw.suffix()
	if !strings.Contains(got, "two\n  three\n  part") || strings.Contains(got, "one") || strings.Contains(got, "@level") {
		t.Errorf("suffix = %q", got)
	}
	if (&tailWriter{max: 2}).suffix() != "" {
		t.Error("empty tail has a suffix")
	}
}
