package plugin

import (
	"path/filepath"
	"testing"
)

func TestRunLocation(t *testing.T) {
	for _, c := range []struct{ dest, want string }{
		{"./out", filepath.Join("out", "R")},
		{"/data/x/", "/data/x/R"},
		{"file:///data/x", "/data/x/R"},
		{"file://localhost/data/x", "/data/x/R"}, // not "localhost/data/x/R"
		{"file:///data/my%20runs", "/data/my runs/R"},
		{"s3://bucket/prefix/", "s3://bucket/prefix/R"},
		{"s3://bucket", "s3://bucket/R"},
	} {
		if got := RunLocation(c.dest, "R"); got != c.want {
			t.Errorf("RunLocation(%q) = %q, want %q", c.dest, got, c.want)
		}
	}
}
