package host

import (
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
)

// crashPluginPkg is the test plugin with a crash point.
const crashPluginPkg = "github.com/govextract/jira-extractor/internal/pluginserver/crashplugin"

// crashPointEnv is the variable the test plugin reads its crash point from.
const crashPointEnv = "CRASHPLUGIN_POINT"

// Binaries built once by TestMain: the real jira-extractor and the test
// plugin with a crash point.
var pluginBin, crashBin string

func TestMain(m *testing.M) {
	bin, cleanup, err := simtest.BuildBinary(simtest.ExtractorPkg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	crash, cleanupCrash, err := simtest.BuildBinary(crashPluginPkg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		cleanup()
		os.Exit(1)
	}
	pluginBin, crashBin = bin, crash
	code := m.Run()
	cleanup()
	cleanupCrash()
	os.Exit(code)
}

// startSim starts the simulator (small site, seed 1) with the given faults.
func startSim(t *testing.T, faults sim.Faults) (*sim.Server, string) {
	t.Helper()
	return simtest.StartSim(t, sim.Config{Size: "small", Seed: 1, Faults: faults})
}

// waitGone waits up to d for pid to end.
func waitGone(t *testing.T, pid int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for simtest.Alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("plugin process %d still running after %s", pid, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
