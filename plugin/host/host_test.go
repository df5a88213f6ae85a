package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/govextract/jira-extractor/internal/location"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/plugin"
	"github.com/govextract/jira-extractor/plugin/extractorv1"
)

// startHost starts the real plugin binary.
func startHost(t *testing.T, logs *simtest.SyncBuffer) *Host {
	t.Helper()
	return startHostConfig(t, logs, Config{Path: pluginBin})
}

// startCrashHost starts the test plugin that crashes at point.
func startCrashHost(t *testing.T, point string) *Host {
	t.Helper()
	return startHostConfig(t, nil, Config{Path: crashBin, Env: []string{crashPointEnv + "=" + point}})
}

// startHostConfig starts a plugin and stops it when the test ends.
func startHostConfig(t *testing.T, logs *simtest.SyncBuffer, cfg Config) *Host {
	t.Helper()
	cfg.LogLevel = "debug"
	if logs != nil {
		cfg.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: logs})
	}
	h, err := Start(cfg)
	if err != nil {
		t.Fatalf("start plugin: %v", err)
	}
	pid := h.Pid()
	if pid == 0 || !simtest.Alive(pid) {
		t.Fatalf("plugin pid %d not running", pid)
	}
	t.Cleanup(func() {
		h.Kill()
		waitGone(t, pid, 5*time.Second)
	})
	return h
}

func TestHostEndToEnd(t *testing.T) {
	srv, url := startSim(t, sim.Faults{})
	logs := &simtest.SyncBuffer{}
	h := startHost(t, logs)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if h.ProtocolVersion() != plugin.ProtocolVersion {
		t.Errorf("negotiated version %d", h.ProtocolVersion())
	}

	d, err := h.Describe(ctx)
	if err != nil || d.GetName() != extractor.Name || len(d.GetJobSchemaJson()) == 0 {
		t.Fatalf("describe: %v, %v", d, err)
	}
	dest := t.TempDir()
	job := &extractorv1.Job{JobJson: simtest.Job(t, url, filepath.Join(dest, "ignored"), nil), Overrides: &extractorv1.Overrides{OutputDestination: dest}}
	v, err := h.Validate(ctx, job)
	if err != nil || len(v.GetProblems()) != 0 || v.GetDestination() != dest || v.GetSite() != "sim" {
		t.Fatalf("validate: %v, %v", v, err)
	}

	var progressN, tables int
	res, err := h.Extract(ctx, &extractorv1.ExtractRequest{Job: job, RunId: "01E2E"}, func(ev *extractorv1.ExtractResponse) {
		switch {
		case ev.GetProgress() != nil:
			progressN++
		case ev.GetTable() != nil:
			tables++
		}
	})
	if err != nil {
		t.Fatalf("extract: %v\nlogs:\n%s", err, logs.String())
	}
	if res.GetStatus() != manifest.StatusComplete || res.GetExitCode() != 0 || res.GetError() != "" {
		t.Fatalf("result %v", res)
	}
	loc := filepath.Join(dest, "01E2E")
	if res.GetLocation() != loc || res.GetManifestLocation() != filepath.Join(loc, manifest.FileName) {
		t.Errorf("location %q manifest %q", res.GetLocation(), res.GetManifestLocation())
	}
	if progressN == 0 || tables == 0 {
		t.Errorf("got %d progress and %d table events", progressN, tables)
	}

	rr, err := output.OpenRun(ctx, location.MustParse(res.GetLocation()), nil)
	if err != nil {
		t.Fatal(err)
	}
	truth := srv.Truth(sim.TruthOptions{})
	simtest.RequireTruth(t, ctx, rr, truth)
	if rr.Manifest().RunID != "01E2E" || int(res.GetRows()["user"]) != countKind(truth.Entities, model.User) {
		t.Errorf("manifest run id %q, user rows %d", rr.Manifest().RunID, res.GetRows()["user"])
	}
	// The plugin's own log records reached the host through hclog.
	if out := logs.String(); !strings.Contains(out, "run started") || !strings.Contains(out, "run_id=01E2E") {
		t.Errorf("plugin logs did not reach the host logger:\n%s", out)
	}
	if strings.Contains(logs.String(), sim.DefaultToken) {
		t.Error("the token appears in the logs")
	}
}

func countKind(es []model.Entity, kind model.SourceType) int {
	n := 0
	for _, e := range es {
		if e.SourceType == kind {
			n++
		}
	}
	return n
}

// partFiles lists the part files under dir.
func partFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "part-") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// waitFor polls cond every 20 ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHostCancelCleansUp cancels a run that has written part files: the
// host keeps the stream open, the plugin aborts the run, removes its files
// and reports how many in the Result.
func TestHostCancelCleansUp(t *testing.T) {
	// Enough users that the first part file is written mid-run (the
	// pipeline hands the sink 1000 rows at a time).
	_, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1, Users: 3000, Faults: sim.Faults{Latency: 200 * time.Millisecond}})
	h := startHost(t, nil)
	dest := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type outcome struct {
		res *extractorv1.Result
		err error
	}
	done := make(chan outcome, 1)
	job := simtest.Job(t, url, dest, map[string]any{"output.batchRows": 1000})
	go func() {
		res, err := h.Extract(ctx, &extractorv1.ExtractRequest{Job: &extractorv1.Job{JobJson: job}, RunId: "01CANCEL"}, nil)
		done <- outcome{res, err}
	}()
	waitFor(t, 30*time.Second, "part files", func() bool { return len(partFiles(t, dest)) > 0 })
	cancel()
	var o outcome
	select {
	case o = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("extract did not return after cancel")
	}
	if o.err != nil {
		t.Fatalf("extract returned %v, want the cancelled run's result", o.err)
	}
	if o.res.GetStatus() != manifest.StatusCancelled || o.res.GetExitCode() != 1 || o.res.GetRemovedFiles() == 0 || o.res.GetCleanupError() != "" {
		t.Errorf("result %v", o.res)
	}
	if left := partFiles(t, dest); len(left) > 0 {
		t.Errorf("part files left after the cancel: %v", left)
	}
	if _, err := os.Stat(filepath.Join(dest, "01CANCEL", manifest.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a cancelled run has a manifest: %v", err)
	}
	if h.Exited() {
		t.Error("the plugin exited on a cancel; it should wait for the host to stop it")
	}
}

func TestHostPluginCrash(t *testing.T) {
	_, url := startSim(t, sim.Faults{Latency: 100 * time.Millisecond})
	for _, point := range []string{plugin.CrashExtractStart, plugin.CrashAfterProgress} {
		t.Run(point, func(t *testing.T) {
			h := startCrashHost(t, point)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			dest := t.TempDir()
			var progressN int
			_, err := h.Extract(ctx, &extractorv1.ExtractRequest{Job: &extractorv1.Job{JobJson: simtest.Job(t, url, dest, nil)}}, func(ev *extractorv1.ExtractResponse) {
				if ev.GetProgress() != nil {
					progressN++
				}
			})
			if !errors.Is(err, ErrPluginExited) {
				t.Fatalf("err = %v, want ErrPluginExited", err)
			}
			if ctx.Err() != nil {
				t.Fatal("the host hung until its deadline")
			}
			if !strings.Contains(err.Error(), "crashed or was killed") || !strings.Contains(err.Error(), "test crash at "+point) {
				t.Errorf("error does not explain the crash: %v", err)
			}
			if point == plugin.CrashAfterProgress && progressN == 0 {
				t.Error("no progress before the crash")
			}
			if !h.Exited() {
				t.Error("plugin not reported exited")
			}
		})
	}
}

func TestHostPluginKilledMidRun(t *testing.T) {
	_, url := startSim(t, sim.Faults{Latency: 200 * time.Millisecond})
	h := startHost(t, nil)
	pid := h.Pid()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var once sync.Once
	_, err := h.Extract(ctx, &extractorv1.ExtractRequest{Job: &extractorv1.Job{JobJson: simtest.Job(t, url, t.TempDir(), nil)}}, func(ev *extractorv1.ExtractResponse) {
		if ev.GetProgress() != nil {
			once.Do(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
		}
	})
	if !errors.Is(err, ErrPluginExited) || ctx.Err() != nil {
		t.Fatalf("err = %v (ctx %v), want ErrPluginExited without hanging", err, ctx.Err())
	}
}

func TestHostPanicInExtract(t *testing.T) {
	h := startCrashHost(t, plugin.CrashPanicExtract)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := h.Extract(ctx, &extractorv1.ExtractRequest{Job: &extractorv1.Job{JobJson: simtest.Job(t, "http://127.0.0.1:1", t.TempDir(), nil)}}, nil)
	if err == nil || !strings.Contains(err.Error(), "plugin panic") || errors.Is(err, ErrPluginExited) {
		t.Fatalf("err = %v, want a recovered plugin panic", err)
	}
	if _, err := h.Describe(ctx); err != nil {
		t.Errorf("plugin died after a recovered panic: %v", err)
	}
}

func TestHostHandshakeMismatch(t *testing.T) {
	wrongCookie := plugin.Handshake
	wrongCookie.MagicCookieValue = "not-the-cookie"
	for _, c := range []struct {
		name string
		cfg  Config
		want []string
	}{
		{"cookie", Config{Path: pluginBin, Handshake: &wrongCookie}, []string{"did not complete the go-plugin handshake", "This binary is a plugin"}},
		{"protocol version", Config{Path: pluginBin, Versions: []int{3}}, []string{"another protocol version", "Client versions: [3]"}},
		{"not a plugin", Config{Path: "/bin/true"}, []string{"did not complete the go-plugin handshake"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.StartTimeout = 20 * time.Second
			start := time.Now()
			h, err := Start(c.cfg)
			if err == nil {
				h.Kill()
				t.Fatal("started despite the mismatch")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if took := time.Since(start); took > 15*time.Second {
				t.Errorf("refusal took %s", took)
			}
			simtest.NoPluginLeft(t, pluginBin)
		})
	}
}

func TestHostChecksum(t *testing.T) {
	b, err := os.ReadFile(pluginBin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	good := hex.EncodeToString(sum[:])

	h, err := Start(Config{Path: pluginBin, SHA256: strings.ToUpper(good)})
	if err != nil {
		t.Fatalf("right checksum refused: %v", err)
	}
	pid := h.Pid()
	h.Kill()
	waitGone(t, pid, 5*time.Second)

	sum[0] ^= 0xff
	bad := hex.EncodeToString(sum[:])
	_, err = Start(Config{Path: pluginBin, SHA256: bad})
	if !errors.Is(err, ErrChecksumMismatch) || !strings.Contains(err.Error(), good) || !strings.Contains(err.Error(), bad) {
		t.Fatalf("err = %v, want a checksum mismatch naming both sums", err)
	}
	simtest.NoPluginLeft(t, pluginBin)

	if _, err := Start(Config{Path: pluginBin, SHA256: "xyz"}); err == nil || !strings.Contains(err.Error(), "not a hex SHA-256") {
		t.Errorf("bad hex: %v", err)
	}
}
