package simtest

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
)

// Import paths of the project's commands, for BuildBinary.
const (
	ExtractorPkg = "github.com/govextract/jira-extractor/cmd/jira-extractor"
	RunnerPkg    = "github.com/govextract/jira-extractor/cmd/extraction-runner"
)

// BuildBinary runs `go build -o DIR/NAME pkg`, where DIR is a new temporary
// folder and NAME the last element of pkg, and returns the binary's path
// and a cleanup that removes DIR. It is meant for TestMain, which has no
// testing.TB: the compiler's output goes to stderr. On error nothing is
// left behind and cleanup does nothing.
func BuildBinary(pkg string) (bin string, cleanup func(), err error) {
	name := path.Base(pkg)
	dir, err := os.MkdirTemp("", name+"-test-")
	if err != nil {
		return "", func() {}, fmt.Errorf("build %s: %w", pkg, err)
	}
	bin = filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		_ = os.RemoveAll(dir)
		return "", func() {}, fmt.Errorf("build %s: %w", pkg, err)
	}
	return bin, func() { _ = os.RemoveAll(dir) }, nil
}
