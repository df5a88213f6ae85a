package config

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOnlyTheCommandLayerReadsJobFiles: the job file is resolved once, in
// the command layer (internal/cli, internal/pluginserver, and the commands
// both of them run: internal/applycmd and internal/ticketscmd; and cmd/*), into
// plain per-package options; no other package under internal/, and not the
// extractor package, may depend on this one, directly or not.
func TestOnlyTheCommandLayerReadsJobFiles(t *testing.T) {
	const module = "github.com/govextract/jira-extractor/"
	const self = module + "internal/config"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, module+"internal/...", module+"extractor/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := []string{module + "internal/cli", module + "internal/pluginserver", module + "internal/applycmd", module + "internal/ticketscmd", self}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, deps := fields[0], fields[1:]
		if underAny(pkg, allowed) {
			continue
		}
		checked++
		for _, d := range deps {
			if d == self {
				t.Errorf("%s depends on %s: take the resolved options instead (config.(*Job).Resolve)", pkg, self)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d packages checked: go list printed %q", checked, out)
	}
}

// underAny reports whether pkg is one of roots or inside one.
func underAny(pkg string, roots []string) bool {
	for _, r := range roots {
		if pkg == r || strings.HasPrefix(pkg, r+"/") {
			return true
		}
	}
	return false
}
