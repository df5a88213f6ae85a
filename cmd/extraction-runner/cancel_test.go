package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/output/s3test"
)

// slowSim is a site big enough that part files are written mid-run (the
// pipeline hands the output 1000 rows at a time; output.batchRows is 1000
// in cancelJob), slowed so the run is still going when it is cancelled.
func slowSim(t *testing.T) string {
	t.Helper()
	_, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1, Users: 3000, Faults: sim.Faults{Latency: 250 * time.Millisecond}})
	return url
}

// destination is where a cancelled run writes, and how to see what it
// left there.
type destination struct {
	name string
	// new returns a fresh destination and the job-file keys it needs.
	new func(t *testing.T) (dest string, extra map[string]any)
	// parts lists the part files under dest; manifests lists manifest.json
	// files.
	parts, manifests func(t *testing.T, dest string) []string
}

// localDest writes to a temporary folder.
func localDest() destination {
	walk := func(dest, name string) []string {
		var out []string
		_ = filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), name) {
				out = append(out, p)
			}
			return nil
		})
		return out
	}
	return destination{
		name: "local",
		new: func(t *testing.T) (string, map[string]any) {
			return t.TempDir(), nil
		},
		parts:     func(_ *testing.T, dest string) []string { return walk(dest, "part-") },
		manifests: func(_ *testing.T, dest string) []string { return walk(dest, manifest.FileName) },
	}
}

// s3Dest writes to a versitygw bucket; the runner's environment (and so
// the plugin's) carries the server's keys.
func s3Dest(t *testing.T) destination {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	n := 0
	list := func(t *testing.T, dest, match string) []string {
		bucket, prefix, _ := strings.Cut(strings.TrimPrefix(dest, "s3://"), "/")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := srv.Client().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix + "/")})
		if err != nil {
			t.Fatalf("list %s: %v", dest, err)
		}
		var keys []string
		for _, o := range out.Contents {
			if k := aws.ToString(o.Key); strings.Contains(k, match) {
				keys = append(keys, k)
			}
		}
		return keys
	}
	return destination{
		name: "s3",
		new: func(t *testing.T) (string, map[string]any) {
			n++
			bucket := "runs" + strconv.Itoa(n)
			srv.CreateBucket(t, bucket)
			return "s3://" + bucket + "/jira", map[string]any{"output.s3": srv.S3Output()}
		},
		parts:     func(t *testing.T, dest string) []string { return list(t, dest, "/part-") },
		manifests: func(t *testing.T, dest string) []string { return list(t, dest, manifest.FileName) },
	}
}

// cancelJob writes the job file of a cancel test.
func cancelJob(t *testing.T, url, dest string, extra map[string]any) string {
	t.Helper()
	all := map[string]any{"output.batchRows": 1000}
	for k, v := range extra {
		all[k] = v
	}
	return writeJob(t, url, dest, all)
}

// removedRe finds the runner's report of the cleanup.
var removedRe = regexp.MustCompile(`removed (\d+) part files? from (\S+); no manifest was written`)

// TestCancelRemovesPartFiles cancels a run that has written part files,
// each way a run can be cancelled, on local disk and on S3: the runner lets
// the plugin abort the run and remove its files, reports how many it
// removed, and exits 1; no part file and no manifest remain.
func TestCancelRemovesPartFiles(t *testing.T) {
	url := slowSim(t)
	ways := []struct {
		name    string
		args    []string
		cancel  func(runner *exec.Cmd) error // nil: --timeout does it
		message string
	}{
		{"SIGINT to the runner", nil, func(c *exec.Cmd) error { return c.Process.Signal(syscall.SIGINT) }, "cancelled by SIGINT"},
		{"SIGTERM to the runner", nil, func(c *exec.Cmd) error { return c.Process.Signal(syscall.SIGTERM) }, "cancelled by SIGTERM"},
		{"SIGTERM to the process group", nil, func(c *exec.Cmd) error { return syscall.Kill(-c.Process.Pid, syscall.SIGTERM) }, "cancelled by SIGTERM"},
		{"timeout", []string{"--timeout", "1500ms"}, nil, "timed out after 1.5s"},
	}
	for _, d := range []func(*testing.T) destination{func(*testing.T) destination { return localDest() }, s3Dest} {
		d := d(t)
		t.Run(d.name, func(t *testing.T) {
			for _, w := range ways {
				t.Run(w.name, func(t *testing.T) {
					dest, extra := d.new(t)
					args := append([]string{"run", "--plugin", pluginBin, "--config", cancelJob(t, url, dest, extra)}, w.args...)
					r := startRunner(t, args...)
					if w.cancel != nil {
						r.waitFor(t, "part files in "+dest, func() bool { return len(d.parts(t, dest)) > 0 })
						if err := w.cancel(r.cmd); err != nil {
							t.Fatal(err)
						}
					}
					code := r.wait(t, 60*time.Second)
					out := r.stderr.String()
					if code != 1 || !strings.Contains(out, w.message) {
						t.Fatalf("exit %d, want 1 and %q:\n%s", code, w.message, out)
					}
					m := removedRe.FindStringSubmatch(out)
					if m == nil || m[1] == "0" || !strings.HasPrefix(m[2], dest) {
						t.Errorf("the runner does not report removing the run's part files from %s:\n%s", dest, out)
					}
					if left := d.parts(t, dest); len(left) > 0 {
						t.Errorf("part files left: %v", left)
					}
					if found := d.manifests(t, dest); len(found) > 0 {
						t.Errorf("a cancelled run left a manifest: %v", found)
					}
					if r.stdout.String() != "" {
						t.Errorf("stdout names an output: %q", r.stdout.String())
					}
					r.noPluginLeft(t)
				})
			}
		})
	}
}

// TestOrphanedPluginCleansUpAndExits SIGKILLs the runner mid-run: its
// plugin notices the host is gone, aborts the run (removing its part
// files) and exits.
func TestOrphanedPluginCleansUpAndExits(t *testing.T) {
	url := slowSim(t)
	dest := t.TempDir()
	d := localDest()
	// At debug the plugin keeps logging to its stderr, a pipe the dead
	// runner no longer reads: the plugin must not die of SIGPIPE.
	r := startRunner(t, "run", "--plugin", pluginBin, "--config", cancelJob(t, url, dest, nil), "--log-level", "debug")
	r.waitFor(t, "part files", func() bool { return len(d.parts(t, dest)) > 0 })
	plugins := simtest.ChildPids(r.cmd.Process.Pid, pluginBin)
	if len(plugins) != 1 {
		t.Fatalf("runner has plugin children %v, want 1", plugins)
	}
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	r.wait(t, 10*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for simtest.Alive(plugins[0]) {
		if time.Now().After(deadline) {
			t.Fatalf("the orphaned plugin %d still runs 10s after its host was killed", plugins[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
	if left := d.parts(t, dest); len(left) > 0 {
		t.Errorf("the orphaned plugin left part files: %v", left)
	}
	if found := d.manifests(t, dest); len(found) > 0 {
		t.Errorf("manifest written: %v", found)
	}
}

// runnerProc is the runner as a subprocess in its own process group.
type runnerProc struct {
	cmd    *exec.Cmd
	stdout *lineWaiter
	stderr *lineWaiter
	done   chan error
	plugin int // the plugin's pid, once seen
}

// startRunner starts the runner; at the end of the test its process group
// is killed if it still runs.
func startRunner(t *testing.T, args ...string) *runnerProc {
	t.Helper()
	r := &runnerProc{cmd: exec.Command(runnerBin, args...), stdout: newLineWaiter("\x00"), stderr: newLineWaiter("\x00"), done: make(chan error, 1)}
	r.cmd.Stdout, r.cmd.Stderr = r.stdout, r.stderr
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := r.cmd.Process.Pid
	go func() { r.done <- r.cmd.Wait() }()
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
	return r
}

// waitFor polls cond (and notes the plugin's pid) until it holds; it fails
// the test if the runner exits first or 30 s pass.
func (r *runnerProc) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if r.plugin == 0 {
			if pids := simtest.ChildPids(r.cmd.Process.Pid, pluginBin); len(pids) == 1 {
				r.plugin = pids[0]
			}
		}
		if cond() {
			return
		}
		select {
		case err := <-r.done:
			r.done <- err
			t.Fatalf("runner ended (%v) before %s:\n%s", err, what, r.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 30s:\n%s", what, r.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wait waits up to d for the runner to exit and returns its exit code.
func (r *runnerProc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case err := <-r.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("runner: %v", err)
		}
		return 0
	case <-time.After(d):
		t.Fatalf("runner still running after %s:\n%s", d, r.stderr.String())
	}
	return -1
}

// noPluginLeft fails if the plugin process seen during the run still runs.
func (r *runnerProc) noPluginLeft(t *testing.T) {
	t.Helper()
	if r.plugin != 0 && simtest.Alive(r.plugin) {
		t.Errorf("plugin process %d left running", r.plugin)
	}
}
