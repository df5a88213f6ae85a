package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/manifest"
)

// Distinctive credentials, so a leak is found by a plain substring search.
const (
	simEmail    = "sim@example.com"
	simToken    = "tokU-7c1f9e2a-unscoped-S3CRET"
	simScoped   = "tokS-4b8d0c6e-scoped-S3CRET"
	simNoScope  = "tokN-9a2e5f1b-noscope-S3CRET"
	simOrgKey   = "orgK-1d3f5a7c-orgkey-S3CRET"
	simOrgID    = "sim-org"
	simBadToken = "tokB-6e4c2a08-wrong-S3CRET"
)

// startSim starts a small simulated site and returns its URL.
func startSim(t *testing.T, perms sim.Permissions, faults sim.Faults) string {
	t.Helper()
	_, url := simtest.StartSim(t, sim.Config{
		Size: "small", Seed: 1, Email: simEmail, Token: simToken, ScopedToken: simScoped,
		UnderScopedToken: simNoScope, OrgID: simOrgID, OrgAPIKey: simOrgKey,
		Permissions: perms, Faults: faults,
	})
	return url
}

// simJob is a job file for the simulator at url.
func simJob(url, token, dest string, org bool) map[string]any {
	extra := map[string]any{"appConfig.token": simEmail + ":" + token}
	if org {
		extra["appConfig.orgId"], extra["appConfig.orgApiKey"] = simOrgID, simOrgKey
	}
	return simtest.JobMap(url, dest, extra)
}

func TestCheckAgainstSimulator(t *testing.T) {
	full := startSim(t, sim.Permissions{}, sim.Faults{})
	noAdmin := startSim(t, sim.Permissions{BrowseUsers: true, BrowseProjects: true}, sim.Faults{})

	t.Run("unscoped everything readable", func(t *testing.T) {
		dir := t.TempDir()
		r := runBin(t, dir, "check", "--config", writeJob(t, dir, simJob(full, simToken, "out", true)))
		if r.code != 0 {
			t.Fatalf("want exit 0\n%s", r)
		}
		for _, want := range []string{"unscoped", simEmail, "org users", "org groups", "permission_scheme", "Every kind can be read"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("stdout lacks %q\n%s", want, r)
			}
		}
		if strings.Contains(r.stdout, "DENIED") {
			t.Errorf("denials\n%s", r)
		}
	})
	t.Run("scoped everything readable", func(t *testing.T) {
		dir := t.TempDir()
		r := runBin(t, dir, "check", "--config", writeJob(t, dir, simJob(full, simScoped, "out", false)))
		if r.code != 0 || !strings.Contains(r.stdout, "scoped API token") {
			t.Fatalf("want exit 0, scoped\n%s", r)
		}
	})
	t.Run("no Administer Jira", func(t *testing.T) {
		dir := t.TempDir()
		r := runBin(t, dir, "check", "--config", writeJob(t, dir, simJob(noAdmin, simToken, "out", false)))
		if r.code != 1 {
			t.Fatalf("want exit 1\n%s", r)
		}
		for _, kind := range []string{"role", "application_role", "permission_scheme"} {
			if !hasRow(r.stdout, kind, "DENIED", `Jira permission "Administer Jira"`) {
				t.Errorf("no denied row naming Administer Jira for %s\n%s", kind, r)
			}
		}
		if !hasRow(r.stdout, "user", "OK", "") || !hasRow(r.stdout, "project", "OK", "") {
			t.Errorf("readable kinds not OK\n%s", r)
		}
	})
	t.Run("under-scoped token", func(t *testing.T) {
		dir := t.TempDir()
		r := runBin(t, dir, "check", "--config", writeJob(t, dir, simJob(full, simNoScope, "out", false)))
		if r.code != 1 {
			t.Fatalf("want exit 1\n%s", r)
		}
		if !hasRow(r.stdout, "project", "DENIED", "read:jira-work") || !hasRow(r.stdout, "role", "DENIED", "read:jira-work") {
			t.Errorf("read:jira-work not named\n%s", r)
		}
		if !hasRow(r.stdout, "application_role", "DENIED", "manage:jira-configuration") || !hasRow(r.stdout, "permission_scheme", "DENIED", "manage:jira-configuration") {
			t.Errorf("manage:jira-configuration not named\n%s", r)
		}
		if !hasRow(r.stdout, "user", "OK", "") || !hasRow(r.stdout, "group", "OK", "") {
			t.Errorf("read:jira-user kinds not OK\n%s", r)
		}
	})
	t.Run("bad token fails fast", func(t *testing.T) {
		dir := t.TempDir()
		r := runBin(t, dir, "check", "--config", writeJob(t, dir, simJob(full, simBadToken, "out", false)))
		if r.code != 1 {
			t.Fatalf("want exit 1\n%s", r)
		}
		if r.took > 10*time.Second {
			t.Errorf("took %s", r.took)
		}
		if !strings.Contains(r.stdout, "refused") || !strings.Contains(r.stdout, "appConfig.token") {
			t.Errorf("message does not say the token was refused\n%s", r)
		}
	})
}

// hasRow reports whether a line of the check table starts with kind and
// holds state and want.
func hasRow(out, kind, state, want string) bool {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		// KIND, METHOD, PATH, RESULT, ...
		if len(f) > 3 && f[0] == kind && f[3] == state && strings.Contains(l, want) {
			return true
		}
	}
	return false
}

func TestDryRunWritesNothing(t *testing.T) {
	url := startSim(t, sim.Permissions{}, sim.Faults{})
	dir := t.TempDir()
	r := runBin(t, dir, "dry-run", "--config", writeJob(t, dir, simJob(url, simToken, "out", false)))
	if r.code != 0 || strings.TrimSpace(r.stdout) == "" {
		t.Fatalf("want exit 0 and a plan\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Fatalf("dry-run created the destination: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("dry-run wrote files: %v", entries)
	}
}

// onlyRun returns the single run folder under dest.
func onlyRun(t *testing.T, dest string) string {
	t.Helper()
	entries, err := os.ReadDir(dest)
	if err != nil || len(entries) != 1 {
		t.Fatalf("want one run folder in %s: %v %v", dest, entries, err)
	}
	return filepath.Join(dest, entries[0].Name())
}

func TestRunVerifyAndTamper(t *testing.T) {
	url := startSim(t, sim.Permissions{}, sim.Faults{})
	dir := t.TempDir()
	dest := filepath.Join(dir, "out")
	job := writeJob(t, dir, simJob(url, simToken, "unused", false))
	r := runBin(t, dir, "run", "--config", job, "--out", dest, "--format", "csv")
	if r.code != 0 {
		t.Fatalf("want exit 0\n%s", r)
	}
	run := onlyRun(t, dest)
	if _, err := os.Stat(filepath.Join(run, manifest.FileName)); err != nil {
		t.Fatalf("no manifest: %v", err)
	}
	if !strings.Contains(r.stderr, "complete") || !strings.Contains(r.stderr, run) {
		t.Errorf("summary lacks status or location\n%s", r)
	}
	csvs, _ := filepath.Glob(filepath.Join(run, "entities", "source_type=user", "*.csv"))
	if len(csvs) == 0 {
		t.Fatalf("--format csv not applied: no user CSV in %s", run)
	}

	v := runBin(t, dir, "verify", run)
	if v.code != 0 || !strings.Contains(v.stdout, "OK") {
		t.Fatalf("verify: want exit 0\n%s", v)
	}
	f, err := os.OpenFile(csvs[0], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("tampered\n")
	_ = f.Close()
	v = runBin(t, dir, "verify", run)
	rel, _ := filepath.Rel(run, csvs[0])
	if v.code != 1 || !strings.Contains(v.stdout+v.stderr, filepath.ToSlash(rel)) {
		t.Fatalf("verify of a tampered file: want exit 1 naming %s\n%s", rel, v)
	}
	if v := runBin(t, dir, "verify", filepath.Join(dir, "nope")); v.code != 1 {
		t.Fatalf("verify of a missing folder: want exit 1\n%s", v)
	}
}

func TestRunPartialExit3(t *testing.T) {
	ds, err := sim.Generate(sim.Config{Size: "small", Seed: 1})
	if err != nil || len(ds.Projects) < 2 {
		t.Fatalf("generate: %v", err)
	}
	url := startSim(t, sim.Permissions{}, sim.Faults{ForbiddenProjects: []string{ds.Projects[0].ID, ds.Projects[1].Key}})
	dir := t.TempDir()
	r := runBin(t, dir, "run", "--config", writeJob(t, dir, simJob(url, simToken, "out", false)), "--no-progress")
	if r.code != ExitPartial {
		t.Fatalf("want exit 3\n%s", r)
	}
	if !strings.Contains(r.stderr, "warning") || !strings.Contains(r.stderr, "partial") {
		t.Errorf("stderr lacks the warnings or the partial status\n%s", r)
	}
	run := onlyRun(t, filepath.Join(dir, "out"))
	if _, err := os.Stat(filepath.Join(run, manifest.FileName)); err != nil {
		t.Fatalf("a partial run still has a manifest: %v", err)
	}
}

func TestRunBadTokenExit1(t *testing.T) {
	url := startSim(t, sim.Permissions{}, sim.Faults{})
	dir := t.TempDir()
	r := runBin(t, dir, "run", "--config", writeJob(t, dir, simJob(url, simBadToken, "out", false)))
	if r.code != 1 || !strings.Contains(r.stderr, "appConfig.token") {
		t.Fatalf("want exit 1 naming appConfig.token\n%s", r)
	}
	if r.took > 10*time.Second {
		t.Errorf("took %s", r.took)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		if run, _ := filepath.Glob(filepath.Join(dir, "out", "*", manifest.FileName)); len(run) > 0 {
			t.Fatalf("a failed run wrote a manifest: %v", run)
		}
	}
}
