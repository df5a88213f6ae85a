package output

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/location"
)

// A destination that looks like a mistyped URL is refused, not written to
// a local folder named after its scheme ("s3:").
func TestOpenRefusesMalformedDestinations(t *testing.T) {
	dir := t.TempDir()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chdir(wd) })
	for _, dest := range []string{"s3:/bucket/x", "file://relative/x", "s3://Bad_Bucket/x"} {
		_, err := Create(context.Background(), withRun(outputCfg(dest, "parquet", "", 10), "R", nil))
		if err == nil || !strings.Contains(err.Error(), "output.destination") {
			t.Errorf("%s: %v", dest, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Fatalf("a malformed destination wrote %v", entries)
	}
}

// file://localhost is the local path.
func TestOpenUsesParsedLocation(t *testing.T) {
	dest := t.TempDir()
	loc, err := location.Parse("file://localhost" + dest)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Create(context.Background(), Options{Destination: loc, RunID: "R"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Location().String() != filepath.Join(dest, "R") {
		t.Fatalf("location %q", r.Location())
	}
	if _, err := os.Stat(filepath.Join(dest, "R")); err != nil {
		t.Fatal(err)
	}
}
