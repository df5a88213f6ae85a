package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
)

// Binaries built once by TestMain: the real plugin and this runner.
var pluginBin, runnerBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runner-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pluginBin = filepath.Join(dir, "jira-extractor")
	runnerBin = filepath.Join(dir, "extraction-runner")
	for bin, pkg := range map[string]string{pluginBin: "./cmd/jira-extractor", runnerBin: "./cmd/extraction-runner"} {
		cmd := exec.Command("go", "build", "-o", bin, "github.com/govextract/jira-extractor/"+strings.TrimPrefix(pkg, "./"))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build", pkg, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startSim starts a small simulated site.
func startSim(t *testing.T, faults sim.Faults) (*sim.Server, string) {
	t.Helper()
	srv, err := sim.New(sim.Config{Size: "small", Seed: 1, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, url
}

// writeJob writes a job file for the simulator at url; extra is merged
// into the top level.
func writeJob(t *testing.T, url, dest string, extra map[string]any) string {
	t.Helper()
	job := map[string]any{
		"appConfig": map[string]any{"token": sim.DefaultEmail + ":" + sim.DefaultToken, "siteName": "sim", "baseUrl": url, "gatewayUrl": url},
		"output":    map[string]any{"destination": dest, "format": "parquet"},
	}
	for k, v := range extra {
		job[k] = v
	}
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "job.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runInProcess runs the runner's command line in this process (the plugin
// is still a real subprocess) and checks no plugin process is left.
func runInProcess(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runMain(context.Background(), args, &out, &errb)
	noPluginLeft(t)
	return code, out.String(), errb.String()
}

// childPids lists the live children of ppid that run exe.
func childPids(ppid int, exe string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 || f[0] == "Z" || f[1] != strconv.Itoa(ppid) {
			continue
		}
		if target, _ := os.Readlink("/proc/" + e.Name() + "/exe"); target == exe {
			out = append(out, pid)
		}
	}
	return out
}

// alive reports whether pid runs (and is not a zombie).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// noPluginLeft fails if a plugin process started by this test binary runs.
func noPluginLeft(t *testing.T) {
	t.Helper()
	if pids := childPids(os.Getpid(), pluginBin); len(pids) > 0 {
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		t.Fatalf("plugin processes left running: %v", pids)
	}
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
