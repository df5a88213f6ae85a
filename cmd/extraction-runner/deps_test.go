package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestRunnerLinksNoExtractorLibraries: the runner is a host; parsing jobs,
// writing Parquet and talking to S3 happen in the plugin, so the runner
// must not link arrow or the AWS SDK.
func TestRunnerLinksNoExtractorLibraries(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/aws/", "github.com/apache/arrow-go", "github.com/govextract/jira-extractor/extractor", "github.com/govextract/jira-extractor/internal/config", "github.com/govextract/jira-extractor/internal/upload"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("extraction-runner depends on %s", dep)
			}
		}
	}
}
