package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"github.com/govextract/jira-extractor/internal/location"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/upload/uploadtest"
	"github.com/govextract/jira-extractor/plugin"
)

func TestRunEndToEnd(t *testing.T) {
	srv, url := startSim(t, sim.Faults{})
	dest := t.TempDir()
	job := writeJob(t, url, filepath.Join(dest, "not-used"), nil)
	code, stdout, stderr := runInProcess(t, "run", "--plugin", pluginBin, "--config", job, "--out", dest)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	run := strings.TrimSpace(stdout)
	if filepath.Dir(run) != dest {
		t.Fatalf("stdout %q is not a run folder under %s", stdout, dest)
	}
	ctx := context.Background()
	rr, err := output.OpenRun(ctx, location.MustParse(run), nil)
	if err != nil {
		t.Fatal(err)
	}
	simtest.RequireTruth(t, ctx, rr, srv.Truth(sim.TruthOptions{}))
	// The summary names the status, the output and every table.
	for _, want := range []string{"complete", run, "requests", string(model.User), string(model.HoldsPermission)} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary does not mention %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "run started") {
		t.Errorf("info log records shown at the default level warn:\n%s", stderr)
	}
	if strings.Contains(stderr+stdout, sim.DefaultToken) {
		t.Error("the token was printed")
	}
}

func TestRunPartialExitsThree(t *testing.T) {
	srv0, _ := startSim(t, sim.Faults{})
	var project string
	for _, e := range srv0.Truth(sim.TruthOptions{}).Entities {
		if e.SourceType == model.Project {
			project = e.SourceID
			break
		}
	}
	_, url := startSim(t, sim.Faults{ForbiddenProjects: []string{project}})
	dest := t.TempDir()
	code, stdout, stderr := runInProcess(t, "run", "--plugin", pluginBin, "--config", writeJob(t, url, dest, nil))
	if code != 3 {
		t.Fatalf("exit %d, want 3 (partial)\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "warning") || strings.TrimSpace(stdout) == "" {
		t.Errorf("partial run output:\nstdout %s\nstderr %s", stdout, stderr)
	}
}

func TestRunInvalidJobExitsTwo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "job.json")
	if err := os.WriteFile(path, []byte(`{"appConfig":{"token":"nocolon-s3cret","siteName":"Not A Label"},"output":{"format":"xml"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runInProcess(t, "run", "--plugin", pluginBin, "--config", path)
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s", code, stderr)
	}
	for _, key := range []string{"appConfig.token", "appConfig.siteName", "output.format", "fix:"} {
		if !strings.Contains(stderr, key) {
			t.Errorf("problems do not name %s:\n%s", key, stderr)
		}
	}
	if stdout != "" || strings.Contains(stderr, "nocolon-s3cret") {
		t.Errorf("stdout %q; stderr shows the token? %v", stdout, strings.Contains(stderr, "nocolon-s3cret"))
	}
}

func TestUsageErrors(t *testing.T) {
	job := filepath.Join(t.TempDir(), "job.json")
	_ = os.WriteFile(job, []byte(`{}`), 0o600)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "Usage:"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"no plugin", []string{"run", "--config", job}, "--plugin is required"},
		{"missing plugin", []string{"run", "--plugin", "/nonexistent/x", "--config", job}, "/nonexistent/x"},
		{"no config", []string{"run", "--plugin", pluginBin}, "--config is required"},
		{"unreadable config", []string{"run", "--plugin", pluginBin, "--config", "/nonexistent/job.json"}, "--config: cannot read"},
		{"unknown flag", []string{"run", "--plugn", "x"}, "flag provided but not defined"},
		{"bad timeout", []string{"run", "--plugin", pluginBin, "--config", job, "--timeout", "soon"}, "not a positive duration"},
		{"bad log level", []string{"run", "--plugin", pluginBin, "--config", job, "--log-level", "loud"}, "--log-level"},
		{"stray argument", []string{"describe", "--plugin", pluginBin, "extra"}, `unexpected argument "extra"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runInProcess(t, c.args...)
			if code != 2 || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, c.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	code, stdout, _ := runInProcess(t, "--help")
	if code != 0 || !strings.Contains(stdout, "extraction-runner run") || !strings.Contains(stdout, "Exit codes") {
		t.Errorf("--help: %d\n%s", code, stdout)
	}
	code, stdout, _ = runInProcess(t, "run", "--help")
	for _, flag := range []string{"--plugin PATH", "--config JOB.json", "--out DEST", "--timeout DURATION", "--plugin-sha256 HEX", "--allow-insecure", "--log-level LEVEL", "--cancel-grace DURATION"} {
		if code != 0 || !strings.Contains(stdout, flag) {
			t.Errorf("run --help (exit %d) does not list %s:\n%s", code, flag, stdout)
		}
	}
	code, stdout, _ = runInProcess(t, "help", "describe")
	if code != 0 || !strings.Contains(stdout, "--json") {
		t.Errorf("help describe: %d\n%s", code, stdout)
	}
}

func TestDescribe(t *testing.T) {
	code, stdout, stderr := runInProcess(t, "describe", "--plugin", pluginBin)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"jira-extractor", "protocol version: 2", "permission_scheme", "holds_permission", "appConfig"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("describe does not show %q:\n%s", want, stdout)
		}
	}
	code, stdout, stderr = runInProcess(t, "describe", "--plugin", pluginBin, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var d struct {
		Name          string         `json:"name"`
		EntityKinds   []string       `json:"entity_kinds"`
		RelationKinds []string       `json:"relation_kinds"`
		JobSchema     map[string]any `json:"job_schema"`
	}
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout)
	}
	if d.Name != "jira-extractor" || len(d.EntityKinds) != len(model.SourceTypes) || len(d.RelationKinds) != len(model.RelationKinds) || d.JobSchema["properties"] == nil {
		t.Errorf("describe --json: %+v", d)
	}
}

// assertNoManifest fails if any run under dest has a manifest.json.
func assertNoManifest(t *testing.T, dest string) {
	t.Helper()
	found, _ := filepath.Glob(filepath.Join(dest, "*", manifest.FileName))
	if len(found) > 0 {
		t.Errorf("a cancelled run left a manifest: %v", found)
	}
}

func TestRunPluginCrash(t *testing.T) {
	_, url := startSim(t, sim.Faults{Latency: 100 * time.Millisecond})
	t.Setenv(crashPointEnv, plugin.CrashAfterProgress)
	dest := t.TempDir()
	code, stdout, stderr := runInProcessBin(t, crashBin, "run", "--plugin", crashBin, "--config", writeJob(t, url, dest, nil), "--timeout", "60s")
	if code != 1 || !strings.Contains(stderr, "crashed or was killed") || !strings.Contains(stderr, "test crash at after-progress") {
		t.Fatalf("exit %d, want 1 and a crash report:\n%s", code, stderr)
	}
	if strings.Contains(stderr, "timed out") || stdout != "" {
		t.Errorf("stdout %q stderr %s", stdout, stderr)
	}
	assertNoManifest(t, dest)
}

func TestRunChecksum(t *testing.T) {
	_, url := startSim(t, sim.Faults{})
	b, err := os.ReadFile(pluginBin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	job := writeJob(t, url, t.TempDir(), nil)
	code, _, stderr := runInProcess(t, "run", "--plugin", pluginBin, "--config", job, "--plugin-sha256", strings.Repeat("ab", 32))
	if code != 1 || !strings.Contains(stderr, "refusing to start it") || !strings.Contains(stderr, hex.EncodeToString(sum[:])) {
		t.Errorf("mismatch: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runInProcess(t, "run", "--plugin", pluginBin, "--config", job, "--plugin-sha256", hex.EncodeToString(sum[:]), "--log-level", "info")
	if code != 0 {
		t.Errorf("matching checksum: exit %d\n%s", code, stderr)
	}
	// At info, the extractor's own log records reach the runner's log
	// through the plugin's hclog stream.
	if !strings.Contains(stderr, "run started") || !strings.Contains(stderr, "jira-extractor") {
		t.Errorf("plugin info logs missing at --log-level info:\n%s", stderr)
	}
}

// TestFileLocalhostDestination: a run to file://localhost/DIR reports the
// run folder DIR/RUN_ID everywhere: in the start line, on stdout (from the
// plugin's result) and in the upload after the run, which reads it back.
func TestFileLocalhostDestination(t *testing.T) {
	_, url := startSim(t, sim.Faults{})
	const keyID, keySecret = "pkid-5e7a9c1b", "pks-8f6d4b2a-S3CRET"
	platform := uploadtest.New(uploadtest.Options{KeyID: keyID, KeySecret: keySecret})
	defer platform.Close()
	dir := t.TempDir()
	job := writeJob(t, url, "file://localhost"+filepath.ToSlash(dir), map[string]any{
		"upload": map[string]any{"api": platform.URL, "app": "jira", "keyId": keyID, "keySecret": keySecret, "afterRun": true}})

	code, stdout, stderr := runInProcess(t, "run", "--plugin", pluginBin, "--config", job)
	run := strings.TrimSpace(stdout)
	if code != 0 || filepath.Dir(run) != dir {
		t.Fatalf("exit %d, stdout %q is not a run folder in %s\n%s", code, stdout, dir, stderr)
	}
	for _, want := range []string{"into " + run + "\n", "uploading " + run + " ", "uploaded " + run + " "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(run, "manifest.json")); err != nil {
		t.Errorf("no manifest in the reported run folder: %v", err)
	}
	if len(platform.Entities()) == 0 {
		t.Error("the platform received no entities")
	}
}

// TestUploadAfterRun: with upload.afterRun the plugin uploads a complete
// run to the platform as part of the run, and the runner reports it.
func TestUploadAfterRun(t *testing.T) {
	_, url := startSim(t, sim.Faults{})
	const keyID, keySecret = "pkid-5e7a9c1b", "pks-8f6d4b2a-S3CRET"
	platform := uploadtest.New(uploadtest.Options{KeyID: keyID, KeySecret: keySecret})
	defer platform.Close()
	uploadTo := func(api string) map[string]any {
		return map[string]any{"upload": map[string]any{"api": api, "app": "jira", "keyId": keyID, "keySecret": keySecret, "afterRun": true}}
	}

	code, stdout, stderr := runInProcess(t, "run", "--plugin", pluginBin, "--config", writeJob(t, url, t.TempDir(), uploadTo(platform.URL)))
	location := strings.TrimSpace(stdout)
	if code != 0 || !strings.Contains(stderr, "uploading "+location) || !strings.Contains(stderr, "uploaded "+location) {
		t.Fatalf("exit %d, stdout %q\n%s", code, stdout, stderr)
	}
	if len(platform.Entities()) == 0 || len(platform.Relations()) == 0 {
		t.Errorf("the platform received %d entities and %d relations", len(platform.Entities()), len(platform.Relations()))
	}

	// A failed upload: the run stays complete (stdout names it), exit 1,
	// and the message says how to retry.
	code, stdout, stderr = runInProcess(t, "run", "--plugin", pluginBin, "--config", writeJob(t, url, t.TempDir(), uploadTo("http://127.0.0.1:1")))
	if code != 1 || strings.TrimSpace(stdout) == "" || !strings.Contains(stderr, "upload after run") || !strings.Contains(stderr, "jira-extractor upload --from "+strings.TrimSpace(stdout)) {
		t.Errorf("failed upload: exit %d, stdout %q\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, keySecret) {
		t.Error("the platform key secret was printed")
	}

	// Without afterRun nothing is uploaded.
	before := len(platform.Entities())
	code, _, stderr = runInProcess(t, "run", "--plugin", pluginBin, "--config", writeJob(t, url, t.TempDir(), nil))
	if code != 0 || len(platform.Entities()) != before || strings.Contains(stderr, "uploading") {
		t.Errorf("upload without upload.afterRun (exit %d)\n%s", code, stderr)
	}
}
