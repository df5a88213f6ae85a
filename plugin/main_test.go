package plugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
)

// pluginBin is the real jira-extractor binary, built once by TestMain.
var pluginBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "plugin-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pluginBin = filepath.Join(dir, "jira-extractor")
	cmd := exec.Command("go", "build", "-o", pluginBin, "github.com/govextract/jira-extractor/cmd/jira-extractor")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build jira-extractor:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startSim starts the simulator (small site, seed 1) with the given faults.
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

// simJob is a job file reading the simulator at url into dest.
func simJob(t *testing.T, url, dest string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"appConfig": map[string]any{"token": sim.DefaultEmail + ":" + sim.DefaultToken, "siteName": "sim", "baseUrl": url, "gatewayUrl": url},
		"output":    map[string]any{"destination": dest, "format": "parquet"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) STATE ...
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// waitGone waits up to d for pid to end.
func waitGone(t *testing.T, pid int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("plugin process %d still running after %s", pid, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// childrenRunning lists this process's children that run exe.
func childrenRunning(exe string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	me := os.Getpid()
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
		if len(f) < 2 || f[0] == "Z" || f[1] != strconv.Itoa(me) {
			continue
		}
		if target, _ := os.Readlink("/proc/" + e.Name() + "/exe"); target == exe {
			out = append(out, pid)
		}
	}
	return out
}

// noPluginLeft fails if a plugin process of this test binary still runs.
func noPluginLeft(t *testing.T) {
	t.Helper()
	if pids := childrenRunning(pluginBin); len(pids) > 0 {
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		t.Fatalf("plugin processes left running: %v", pids)
	}
}
