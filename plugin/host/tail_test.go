package host

import (
	"strings"
	"testing"
)

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
