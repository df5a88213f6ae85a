package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
)

// crashPluginPkg is the test plugin with a crash point, read from
// crashPointEnv.
const (
	crashPluginPkg = "github.com/govextract/jira-extractor/internal/pluginserver/crashplugin"
	crashPointEnv  = "CRASHPLUGIN_POINT"
)

// Binaries built once by TestMain: the real plugin, the test plugin with a
// crash point, and this runner.
var pluginBin, crashBin, runnerBin string

func TestMain(m *testing.M) {
	var cleanups []func()
	code := 1
	defer func() {
		for _, c := range cleanups {
			c()
		}
		os.Exit(code)
	}()
	for _, b := range []struct {
		pkg string
		bin *string
	}{{simtest.ExtractorPkg, &pluginBin}, {crashPluginPkg, &crashBin}, {simtest.RunnerPkg, &runnerBin}} {
		bin, cleanup, err := simtest.BuildBinary(b.pkg)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return
		}
		*b.bin = bin
		cleanups = append(cleanups, cleanup)
	}
	code = m.Run()
}

// startSim starts a small simulated site.
func startSim(t *testing.T, faults sim.Faults) (*sim.Server, string) {
	t.Helper()
	return simtest.StartSim(t, sim.Config{Size: "small", Seed: 1, Faults: faults})
}

// writeJob writes a job file for the simulator at url; extra is merged in
// as simtest.JobMap merges it (a key such as "upload" sets a top-level
// value).
func writeJob(t *testing.T, url, dest string, extra map[string]any) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "job.json")
	if err := os.WriteFile(path, simtest.Job(t, url, dest, extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runInProcess runs the runner's command line in this process (the plugin
// is still a real subprocess) and checks no plugin process is left.
func runInProcess(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runInProcessBin(t, pluginBin, args...)
}

// runInProcessBin is runInProcess for the plugin binary bin.
func runInProcessBin(t *testing.T, bin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runMain(context.Background(), args, &out, &errb)
	simtest.NoPluginLeft(t, bin)
	return code, out.String(), errb.String()
}

// lineWaiter is an io.Writer that signals when a line containing want has
// been written.
type lineWaiter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func newLineWaiter(want string) *lineWaiter {
	return &lineWaiter{want: want, seen: make(chan struct{})}
}

func (w *lineWaiter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, _ := w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return n, nil
}

func (w *lineWaiter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
