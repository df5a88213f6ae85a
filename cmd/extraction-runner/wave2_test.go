package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
)

// result is one command's outcome.
type result struct {
	code           int
	stdout, stderr string
}

// cliRun runs the jira-extractor CLI (the plugin binary, started as a
// command) with args.
func cliRun(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(pluginBin, args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("jira-extractor %v: %v", args, err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String()}
}

// runnerRun runs the runner's command line in this process, the plugin a
// real subprocess.
func runnerRun(t *testing.T, args ...string) result {
	t.Helper()
	code, stdout, stderr := runInProcess(t, args...)
	return result{code: code, stdout: stdout, stderr: stderr}
}

// changeRows reads the change set of a run (or a diff's folder) as sorted
// JSON lines, and its manifest.
func changeRows(t *testing.T, dir string) ([]string, *manifest.Manifest) {
	t.Helper()
	rr, err := output.OpenRun(context.Background(), location.MustParse(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	err = rr.ScanChanges(context.Background(), func(c output.Change) error {
		b, err := json.Marshal(c)
		lines = append(lines, string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return lines, rr.Manifest()
}

// TestRunSinceAndDiffMatchCLI: after a base run and a change to the site,
// run --since through the runner and the plugin writes the same manifest
// mode and base_run and the same change set as jira-extractor run --since;
// diff through the runner writes the same change set rows as
// jira-extractor diff, and stdout is the change set's folder.
func TestRunSinceAndDiffMatchCLI(t *testing.T) {
	srv, url := startSim(t, sim.Faults{})
	dest := t.TempDir()
	job := writeJob(t, url, dest, map[string]any{"output": map[string]any{"destination": dest, "format": "csv"}})
	base := cliRun(t, "run", "--config", job, "--no-progress")
	if base.code != 0 {
		t.Fatalf("base run: exit %d\n%s", base.code, base.stderr)
	}
	baseRun := strings.TrimSpace(base.stdout)
	srv.Churn(sim.Churn{Kinds: []string{sim.ChurnUserRenamed, sim.ChurnUserCreated, sim.ChurnGroupCreated, sim.ChurnMemberAdded}, Changes: 8, Seed: 2})

	viaCLI := cliRun(t, "run", "--config", job, "--since", "auto", "--no-progress")
	viaRunner := runnerRun(t, "run", "--plugin", pluginBin, "--config", job, "--since", baseRun)
	if viaCLI.code != 0 || viaRunner.code != 0 {
		t.Fatalf("--since: CLI exit %d, runner exit %d\n%s\n%s", viaCLI.code, viaRunner.code, viaCLI.stderr, viaRunner.stderr)
	}
	cliLines, cliM := changeRows(t, strings.TrimSpace(viaCLI.stdout))
	runLines, runM := changeRows(t, strings.TrimSpace(viaRunner.stdout))
	if cliM.Mode != manifest.ModeIncremental || runM.Mode != cliM.Mode || runM.BaseRun != cliM.BaseRun || runM.BaseRun != baseRun || runM.Reason != cliM.Reason {
		t.Fatalf("runner mode %q base %q reason %q; CLI mode %q base %q reason %q; want incremental on %s",
			runM.Mode, runM.BaseRun, runM.Reason, cliM.Mode, cliM.BaseRun, cliM.Reason, baseRun)
	}
	if len(cliLines) == 0 || strings.Join(cliLines, "\n") != strings.Join(runLines, "\n") {
		t.Fatalf("change sets differ or are empty: CLI %d rows, runner %d rows", len(cliLines), len(runLines))
	}

	newRun := strings.TrimSpace(viaRunner.stdout)
	cliDiff := cliRun(t, "diff", baseRun, newRun, "--out", t.TempDir(), "--format", "csv")
	outDir := t.TempDir()
	runDiff := runnerRun(t, "diff", "--plugin", pluginBin, baseRun, "--out", outDir, newRun, "--format", "csv")
	if cliDiff.code != 0 || runDiff.code != 0 {
		t.Fatalf("diff: CLI exit %d, runner exit %d\n%s\n%s", cliDiff.code, runDiff.code, cliDiff.stderr, runDiff.stderr)
	}
	loc := strings.TrimSpace(runDiff.stdout)
	if strings.Count(runDiff.stdout, "\n") != 1 || filepath.Dir(loc) != outDir {
		t.Fatalf("runner diff stdout %q is not one folder under %s", runDiff.stdout, outDir)
	}
	cliDiffLines, _ := changeRows(t, strings.TrimSpace(cliDiff.stdout))
	runDiffLines, _ := changeRows(t, loc)
	if strings.Join(cliDiffLines, "\n") != strings.Join(runDiffLines, "\n") || strings.Join(runDiffLines, "\n") != strings.Join(runLines, "\n") {
		t.Fatalf("diff change sets differ: CLI %d rows, runner %d rows, run --since %d rows", len(cliDiffLines), len(runDiffLines), len(runLines))
	}
	if want := firstLine(cliDiff.stderr); !strings.Contains(runDiff.stderr, want[:strings.Index(want, " in ")]) {
		t.Errorf("runner diff summary %q lacks the CLI's %q", runDiff.stderr, want)
	}

	// Runs of two sites: exit 2, as the CLI.
	other := filepath.Join(t.TempDir(), "other")
	copyRunWithSite(t, baseRun, other, "elsewhere")
	if r := runnerRun(t, "diff", "--plugin", pluginBin, baseRun, other); r.code != 2 || !strings.Contains(r.stderr, "different sites") || !strings.Contains(r.stderr, "compare two runs of one site") {
		t.Errorf("diff of two sites: exit %d\n%s", r.code, r.stderr)
	}
	// An incomplete run: exit 1, as the CLI.
	if err := os.Remove(filepath.Join(other, manifest.FileName)); err != nil {
		t.Fatal(err)
	}
	cliBad := cliRun(t, "diff", baseRun, other)
	if r := runnerRun(t, "diff", "--plugin", pluginBin, baseRun, other); r.code != 1 || cliBad.code != 1 || !strings.Contains(r.stderr, "not complete") {
		t.Errorf("diff of an incomplete run: runner exit %d, CLI exit %d\n%s", r.code, cliBad.code, r.stderr)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// copyRunWithSite copies the run folder src to dst with its manifest's site
// replaced.
func copyRunWithSite(t *testing.T, src, dst, site string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dst, manifest.FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["site"] = site
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestAccessMatchesCLI: access who and access what through the runner
// print exactly what jira-extractor access prints, in every format, and an
// unknown project is exit 2 with the same suggestion.
func TestAccessMatchesCLI(t *testing.T) {
	srv, url := startSim(t, sim.Faults{})
	job := writeJob(t, url, t.TempDir(), nil)
	r := cliRun(t, "run", "--config", job, "--no-progress")
	if r.code != 0 {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	run := strings.TrimSpace(r.stdout)
	var user, project string
	for _, e := range srv.Truth(sim.TruthOptions{}).Entities {
		if e.SourceType == model.User && user == "" && e.Attrs["account_type"] == "atlassian" && e.Attrs["active"] == true {
			user = e.SourceID
		}
		if e.SourceType == model.Project && project == "" {
			project, _ = e.Attrs["key"].(string)
		}
	}
	if user == "" || project == "" {
		t.Fatalf("no user (%q) or project (%q) in the site", user, project)
	}
	for _, args := range [][]string{
		{"who", "--run", run, "--project", project},
		{"who", "--run", run, "--project", project, "--permission", "*", "--format", "json"},
		{"who", "--run", run, "--project", project, "--permission", "BROWSE_PROJECTS", "--format", "csv"},
		{"what", "--run", run, "--user", user},
		{"what", "--run", run, "--user", user, "--format", "json"},
		{"what", "--run", run, "--user", user, "--permission", "ADMINISTER_PROJECTS", "--format", "csv"},
		{"who", "--run", run, "--project", project + "X"},
		{"what", "--run", run, "--user", user, "--permission", "ADMINISTER_PROJECT"},
	} {
		want := cliRun(t, append([]string{"access"}, args...)...)
		got := runnerRun(t, append([]string{"access", args[0], "--plugin", pluginBin}, args[1:]...)...)
		if got.code != want.code || got.stdout != want.stdout {
			t.Errorf("access %v: runner exit %d, CLI exit %d; stdout equal: %v\nrunner:\n%s%s\nCLI:\n%s%s", args, got.code, want.code, got.stdout == want.stdout, got.stdout, got.stderr, want.stdout, want.stderr)
		}
		if want.code == 0 && (len(got.stdout) < 40 || got.stderr != want.stderr) {
			t.Errorf("access %v: a short answer (%d bytes) or stderr %q, want %q", args, len(got.stdout), got.stderr, want.stderr)
		}
		if want.code == 2 {
			msg := strings.TrimPrefix(firstLine(want.stderr), "jira-extractor access "+args[0]+": ")
			if !strings.Contains(got.stderr, msg) || !strings.Contains(got.stderr, "--help") {
				t.Errorf("access %v: runner stderr %q lacks the CLI's message %q", args, got.stderr, msg)
			}
		}
	}
}

// TestTicketsMatchCLI: after an apply of ticket actions, tickets through
// the runner prints exactly what jira-extractor tickets prints (table,
// JSON and CSV) with the same exit code, before and after the issues are
// done.
func TestTicketsMatchCLI(t *testing.T) {
	srv, url := startSim(t, sim.Faults{})
	dest := t.TempDir()
	job := writeJob(t, url, dest, map[string]any{"tickets": map[string]any{"projectKey": "WEB", "labels": []string{"access"}}})
	var plan strings.Builder
	plan.WriteString("id,op,relation,from_type,from_id,to_type,to_id,mode\n")
	for i, p := range grants(t, srv, 2) {
		plan.WriteString(strings.Join([]string{"t" + string(rune('1'+i)), "grant", "member_of", "user", p[0], "group", p[1], "ticket"}, ",") + "\n")
	}
	a := runnerRun(t, "apply", "--plugin", pluginBin, "--config", job, "--plan", writeFile(t, "plan.csv", plan.String()))
	if a.code != 0 || !strings.Contains(a.stderr, "ticketed 2") {
		t.Fatalf("apply: exit %d\n%s", a.code, a.stderr)
	}
	applyRun := strings.TrimSpace(a.stdout)
	compare := func(wantCode int) {
		t.Helper()
		for _, format := range []string{"table", "json", "csv"} {
			want := cliRun(t, "tickets", "--config", job, "--from", applyRun, "--format", format)
			got := runnerRun(t, "tickets", "--plugin", pluginBin, "--config", job, "--from", applyRun, "--format", format)
			if want.code != wantCode || got.code != want.code || got.stdout != want.stdout || got.stderr != want.stderr || strings.Count(got.stdout, "\n") < 2 {
				t.Errorf("tickets --format %s: runner exit %d, CLI exit %d (want %d)\nrunner:\n%s%s\nCLI:\n%s%s", format, got.code, want.code, wantCode, got.stdout, got.stderr, want.stdout, want.stderr)
			}
		}
	}
	compare(3)
	for _, is := range srv.Issues() {
		if err := srv.TransitionIssue(is.Key, "Done"); err != nil {
			t.Fatal(err)
		}
	}
	compare(0)

	// Not an apply run: exit 2 naming the fix, as the CLI.
	r := cliRun(t, "run", "--config", job, "--no-progress")
	if r.code != 0 {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	got := runnerRun(t, "tickets", "--plugin", pluginBin, "--config", job, "--from", strings.TrimSpace(r.stdout))
	if got.code != 2 || !strings.Contains(got.stderr, "not an apply run") || !strings.Contains(got.stderr, "name the folder an apply wrote") {
		t.Errorf("tickets of an extraction run: exit %d\n%s", got.code, got.stderr)
	}
}

// TestWave2UsageErrors: flag mistakes exit 2 before the plugin starts, and
// the plugin's own checks exit 2 too, each naming the problem and the fix;
// every command has --help.
func TestWave2UsageErrors(t *testing.T) {
	job := writeFile(t, "job.json", "{}")
	run := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tickets", "--plugin", pluginBin, "--config", job}, "--from DEST/RUN_ID is required"},
		{[]string{"tickets", "--plugin", pluginBin, "--config", job, "--from", run, "--format", "xml"}, `unknown --format "xml": use table, json or csv`},
		{[]string{"tickets", "--plugin", pluginBin, "--from", run}, "--config JOB.json is required"},
		{[]string{"tickets", "--plugin", pluginBin, "--config", job, "--from", run}, "invalid job file"},
		{[]string{"tickets", "--config", job, "--from", run}, "--plugin is required"},
		{[]string{"diff", "--plugin", pluginBin, run}, "give exactly two runs: OLD_RUN NEW_RUN"},
		{[]string{"diff", "--plugin", pluginBin, run, run, "--format", "xml"}, `--format "xml": use parquet or csv`},
		{[]string{"diff", "--plugin", pluginBin, run, run, "--out", "ftp://x/y"}, "--out "},
		{[]string{"diff", "--plugin", pluginBin, run, run, "--config", job}, "invalid job file"},
		{[]string{"access"}, "name a question: access who or access what"},
		{[]string{"access", "when"}, `unknown question "when"`},
		{[]string{"access", "who", "--plugin", pluginBin, "--project", "WEB"}, "--run DEST/RUN_ID is required"},
		{[]string{"access", "who", "--plugin", pluginBin, "--run", run}, "--project KEY|ID is required"},
		{[]string{"access", "what", "--plugin", pluginBin, "--run", run}, "--user ACCOUNTID|EMAIL is required"},
		{[]string{"access", "what", "--plugin", pluginBin, "--run", run, "--user", "x", "--format", "xml"}, `unknown --format "xml"`},
		{[]string{"access", "what", "--plugin", pluginBin, "--run", "ftp://x/y", "--user", "x"}, "--run: "},
		{[]string{"run", "--plugin", pluginBin, "--config", job, "--since"}, "flag needs an argument: -since"},
	} {
		r := runnerRun(t, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"help", "tickets"}, []string{"--from", "--format", "--config", "--plugin", "Exit codes", "3  some tickets are not done"}},
		{[]string{"help", "diff"}, []string{"OLD_RUN NEW_RUN", "--out", "--format", "--config", "Exit codes", "different sites"}},
		{[]string{"access", "who", "--help"}, []string{"--run", "--project", "--permission", "--format", "Exit codes", "ADMINISTER_PROJECTS"}},
		{[]string{"help", "access", "what"}, []string{"--run", "--user", "--permission", "Exit codes"}},
		{[]string{"help", "access"}, []string{"access who --help"}},
		{[]string{"help", "run"}, []string{"--since", "base_run"}},
		{[]string{"help"}, []string{"tickets", "diff", "access", "--since"}},
	} {
		var out strings.Builder
		code := runMain(t.Context(), c.args, &out, &out)
		for _, w := range c.want {
			if code != 0 || !strings.Contains(out.String(), w) {
				t.Errorf("%v: exit %d, lacks %q:\n%s", c.args, code, w, out.String())
			}
		}
	}
}

// TestWave2NeedsProtocolV2: with a plugin that speaks version 1 only, each
// new command exits 1 and says it needs protocol version 2.
func TestWave2NeedsProtocolV2(t *testing.T) {
	bin, cleanup, err := simtest.BuildBinary(v1PluginPkg)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	_, url := startSim(t, sim.Faults{})
	job := writeJob(t, url, t.TempDir(), nil)
	run := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--plugin", bin, "--config", job, "--since", "auto"}, "run --since needs plugin protocol version 2"},
		{[]string{"tickets", "--plugin", bin, "--config", job, "--from", run}, "tickets needs plugin protocol version 2"},
		{[]string{"diff", "--plugin", bin, run, run}, "diff needs plugin protocol version 2"},
		{[]string{"access", "who", "--plugin", bin, "--run", run, "--project", "WEB"}, "access needs plugin protocol version 2"},
	} {
		code, stdout, stderr := runInProcessBin(t, bin, c.args...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stdout %q\n%s", c.args, code, stdout, stderr)
		}
	}
	// A full run needs version 1 only and still works.
	if code, stdout, stderr := runInProcessBin(t, bin, "run", "--plugin", bin, "--config", job); code != 0 || stdout == "" {
		t.Errorf("run over version 1: exit %d\n%s", code, stderr)
	}
}

// TestTicketsCancelled: SIGINT to the runner while tickets runs (on a slow
// site) stops it: exit 1, the cause on stderr, nothing on stdout, and the
// plugin process is gone.
func TestTicketsCancelled(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1, Faults: sim.Faults{Latency: 250 * time.Millisecond}})
	job := writeJob(t, url, t.TempDir(), map[string]any{"tickets": map[string]any{"projectKey": "WEB"}})
	var plan strings.Builder
	plan.WriteString("id,op,relation,from_type,from_id,to_type,to_id,mode\n")
	for i, p := range grants(t, srv, 2) {
		plan.WriteString(strings.Join([]string{"t" + string(rune('1'+i)), "grant", "member_of", "user", p[0], "group", p[1], "ticket"}, ",") + "\n")
	}
	a := cliRun(t, "apply", "--config", job, "--plan", writeFile(t, "plan.csv", plan.String()), "--no-progress")
	if a.code != 0 {
		t.Fatalf("apply: exit %d\n%s", a.code, a.stderr)
	}
	r := startRunner(t, "tickets", "--plugin", pluginBin, "--config", job, "--from", strings.TrimSpace(a.stdout))
	r.waitFor(t, "the plugin process", func() bool { return r.plugin != 0 })
	if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := r.wait(t, 30*time.Second); code != 1 || !strings.Contains(r.stderr.String(), "cancelled by SIGINT") || r.stdout.String() != "" {
		t.Errorf("exit %d, stdout %q\n%s", code, r.stdout.String(), r.stderr.String())
	}
	r.noPluginLeft(t)
}
