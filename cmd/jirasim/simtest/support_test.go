package simtest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/output"
)

// fakeTB records Fatal calls and cleanups instead of failing the test.
type fakeTB struct {
	testing.TB
	fatal    string
	cleanups []func()
}

func (f *fakeTB) Helper()          {}
func (f *fakeTB) Cleanup(c func()) { f.cleanups = append(f.cleanups, c) }
func (f *fakeTB) Fatal(args ...any) {
	f.fatal = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// runFake runs fn with a fakeTB on its own goroutine (Fatal ends it) and
// returns the fakeTB once fn is over.
func runFake(fn func(tb testing.TB)) *fakeTB {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

// myself asks the simulator at url who the default credentials are.
func myself(url string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, url+"/rest/api/3/myself", nil)
	if err != nil {
		return 0, err
	}
	req.SetBasicAuth(sim.DefaultEmail, sim.DefaultToken)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

var tinySite = sim.Config{Users: 5, Groups: 2, Projects: 2, Seed: 1}

func TestStartSimServesUntilTheTestEnds(t *testing.T) {
	var url string
	t.Run("serve", func(t *testing.T) {
		var srv *sim.Server
		srv, url = StartSim(t, tinySite)
		if srv == nil || !strings.HasPrefix(url, "http://127.0.0.1:") {
			t.Fatalf("server %v at %q", srv, url)
		}
		if code, err := myself(url); err != nil || code != http.StatusOK {
			t.Fatalf("myself: %d %v", code, err)
		}
	})
	if _, err := myself(url); err == nil {
		t.Fatal("the simulator still answers after its test ended")
	}
}

func TestStartSimBadConfigFails(t *testing.T) {
	f := runFake(func(tb testing.TB) { StartSim(tb, sim.Config{Size: "huge"}) })
	if !strings.Contains(f.fatal, "unknown size") || len(f.cleanups) != 0 {
		t.Fatalf("fatal %q, %d cleanups", f.fatal, len(f.cleanups))
	}
}

func TestJobMapMergesExtraKeys(t *testing.T) {
	upload := map[string]any{"app": "jira"}
	j := JobMap("http://sim", "out", map[string]any{
		"appConfig.maxRetries": 3, "appConfig.token": "a@b:c", "output.format": "csv", "upload": upload, "s3.region": "eu",
	})
	app, out := j["appConfig"].(map[string]any), j["output"].(map[string]any)
	want := map[string]any{"token": "a@b:c", "siteName": "sim", "baseUrl": "http://sim", "gatewayUrl": "http://sim", "maxRetries": 3}
	if fmt.Sprint(app) != fmt.Sprint(want) {
		t.Errorf("appConfig %v, want %v", app, want)
	}
	if fmt.Sprint(out) != fmt.Sprint(map[string]any{"destination": "out", "format": "csv"}) {
		t.Errorf("output %v", out)
	}
	if fmt.Sprint(j["upload"]) != fmt.Sprint(upload) || fmt.Sprint(j["s3"]) != "map[region:eu]" || len(j) != 4 {
		t.Errorf("job %v", j)
	}
	// Each call builds a fresh document.
	if a := JobMap("http://sim", "out", nil)["appConfig"].(map[string]any); a["maxRetries"] != nil || a["token"] != sim.DefaultEmail+":"+sim.DefaultToken {
		t.Errorf("defaults %v", a)
	}
}

func TestJobIsAValidJobFile(t *testing.T) {
	b := Job(t, "http://127.0.0.1:9", "/tmp/dest", map[string]any{"appConfig.maxRetries": 2})
	job, err := config.Parse(b, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := job.AppConfig
	if a.Site() != "sim" || a.BaseURL != "http://127.0.0.1:9" || a.GatewayURL != a.BaseURL || a.Email != sim.DefaultEmail ||
		a.Retries() != 2 || job.Output.Destination != "/tmp/dest" || job.Upload != nil {
		t.Errorf("parsed job %+v", job)
	}
	f := runFake(func(tb testing.TB) { Job(tb, "u", "d", map[string]any{"output.bad": func() {}}) })
	if !strings.Contains(f.fatal, "json") {
		t.Errorf("an unmarshalable value: fatal %q", f.fatal)
	}
}

func TestSyncBufferConcurrentWrites(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if n, err := b.Write([]byte("ab\n")); n != 3 || err != nil {
					t.Errorf("write: %d %v", n, err)
				}
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if s := b.String(); len(s) != 8*100*3 || strings.Count(s, "ab\n") != 800 {
		t.Fatalf("buffer holds %d bytes", len(s))
	}
}

func TestBuildBinary(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	bin, cleanup, err := BuildBinary("github.com/govextract/jira-extractor/cmd/no-such-command")
	if err == nil || !strings.Contains(err.Error(), "build github.com/govextract/jira-extractor/cmd/no-such-command") || bin != "" {
		t.Fatalf("missing package: %q %v", bin, err)
	}
	cleanup()
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("a failed build left %v", left)
	}

	bin, cleanup, err = BuildBinary("github.com/govextract/jira-extractor/cmd/jirasim")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(bin) != "jirasim" || !strings.HasPrefix(bin, tmp) {
		t.Errorf("binary at %s", bin)
	}
	if out, err := exec.Command(bin, "help").CombinedOutput(); err != nil || !strings.Contains(string(out), "serve") {
		t.Errorf("the built binary does not run: %v\n%s", err, out)
	}
	cleanup()
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("cleanup left %v", left)
	}
}

func TestProcessHelpers(t *testing.T) {
	if !Alive(os.Getpid()) {
		t.Fatal("this process is not alive")
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep command")
	}
	exe, err := filepath.EvalSymlinks(sleep)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sleep, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	pid := cmd.Process.Pid
	if got := ChildPids(os.Getpid(), exe); !slices.Equal(got, []int{pid}) {
		t.Fatalf("children running %s: %v, want [%d]", exe, got, pid)
	}
	if got := ChildPids(os.Getpid(), exe+"-other"); len(got) != 0 {
		t.Errorf("children running another binary: %v", got)
	}
	if !Alive(pid) {
		t.Fatal("the child is not alive")
	}

	f := runFake(func(tb testing.TB) { NoPluginLeft(tb, exe) })
	if want := fmt.Sprintf("plugin processes left running: [%d]", pid); f.fatal != want {
		t.Fatalf("fatal %q, want %q", f.fatal, want)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("NoPluginLeft did not kill the child")
	}
	if Alive(pid) {
		t.Error("a reaped child is alive")
	}
	if f := runFake(func(tb testing.TB) { NoPluginLeft(tb, exe) }); f.fatal != "" {
		t.Errorf("no child left, yet: %q", f.fatal)
	}
}

func TestRequireTruth(t *testing.T) {
	srv, url := StartSim(t, tinySite)
	dest := t.TempDir()
	job, err := config.Parse(Job(t, url, dest, nil), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := extractor.Run(ctx, job.Resolve().Job, extractor.RunOptions{RunID: "r"})
	if m := res.Manifest; err != nil || m.Status != manifest.StatusComplete {
		t.Fatalf("run: %v %v", m.Status, err)
	}
	if want := filepath.Join(dest, "r"); res.Location.String() != want {
		t.Fatalf("run location %s, want %s", res.Location, want)
	}
	rr, err := output.OpenRun(ctx, res.Location, nil)
	if err != nil {
		t.Fatal(err)
	}
	truth := srv.Truth(sim.TruthOptions{})
	RequireTruth(t, ctx, rr, truth)

	less := sim.Truth{Entities: truth.Entities[1:], Relations: truth.Relations}
	f := runFake(func(tb testing.TB) { RequireTruth(tb, ctx, rr, less) })
	if !strings.Contains(f.fatal, "0 missing, 1 extra") || !strings.Contains(f.fatal, fmt.Sprintf("extra: %q", truth.Entities[0].Key())) {
		t.Errorf("a run with one entity more than the truth: fatal %q", f.fatal)
	}
}
