package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/plugin"
)

// bin is the jira-extractor binary built once for the tests.
var bin string

func TestMain(m *testing.M) {
	path, cleanup, err := simtest.BuildBinary(simtest.ExtractorPkg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = path
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// result is what one run of the binary did.
type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %s\n--- stdout:\n%s\n--- stderr:\n%s", r.code, r.took, r.stdout, r.stderr)
}

// runBin runs the binary with args in dir (a temp dir when empty), with a
// time limit, outside any go-plugin host.
func runBin(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return runBinEnv(t, dir, nil, args...)
}

// runBinEnv is runBin with env ("KEY=value") added to the environment.
func runBinEnv(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	if dir == "" {
		dir = t.TempDir()
	}
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return r
}

// cleanEnv is the environment without any go-plugin cookie.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, plugin.MagicCookieKey+"=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// writeJob writes a job file into dir and returns its path.
func writeJob(t *testing.T, dir string, job any) string {
	t.Helper()
	var b []byte
	switch v := job.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.MarshalIndent(v, "", "  "); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "job.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
