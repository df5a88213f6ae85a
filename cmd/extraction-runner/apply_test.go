package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
)

// v1PluginPkg is the plugin as a build from before protocol version 2.
const v1PluginPkg = "github.com/govextract/jira-extractor/internal/pluginserver/v1plugin"

// grants picks n (user, group) pairs of the site where the user, an active
// atlassian account, is not yet a member of the group.
func grants(t *testing.T, srv *sim.Server, n int) [][2]string {
	t.Helper()
	tr := srv.Truth(sim.TruthOptions{})
	member := map[string]bool{}
	for _, r := range tr.Relations {
		if r.Kind == model.MemberOf {
			member[r.FromID+"|"+r.ToID] = true
		}
	}
	var users, groups []string
	for _, e := range tr.Entities {
		switch {
		case e.SourceType == model.User && e.Attrs["active"] == true && e.Attrs["account_type"] == "atlassian":
			users = append(users, e.SourceID)
		case e.SourceType == model.Group:
			groups = append(groups, e.SourceID)
		}
	}
	sort.Strings(users)
	sort.Strings(groups)
	var out [][2]string
	for _, g := range groups {
		for _, u := range users {
			if len(out) == n {
				return out
			}
			if !member[u+"|"+g] {
				out = append(out, [2]string{u, g})
				break // one user per group: the actions do not wait on each other
			}
		}
	}
	if len(out) < n {
		t.Fatalf("the site has only %d free (user, group) pairs", len(out))
	}
	return out
}

// writePlan writes a JSON plan granting each pair (ids g1, g2, ...).
func writePlan(t *testing.T, pairs [][2]string) string {
	t.Helper()
	var actions []map[string]string
	for i, p := range pairs {
		actions = append(actions, map[string]string{"id": fmt.Sprintf("g%d", i+1), "op": "grant", "relation": "member_of",
			"from_type": "user", "from_id": p[0], "to_type": "group", "to_id": p[1]})
	}
	b, err := json.Marshal(map[string]any{"actions": actions})
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "plan.json", string(b))
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// applyManifest reads the apply run's manifest.
func applyManifest(t *testing.T, location string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(location, manifest.FileName))
	if err != nil {
		t.Fatalf("apply run %s: %v", location, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestApplyEndToEnd applies a plan of grants through the real plugin to the
// simulator: exit 0, every action applied and the site changed, one line
// on stdout (the apply run, with its actions table and manifest); the same
// plan again changes nothing: every action unchanged.
func TestApplyEndToEnd(t *testing.T) {
	srv, url := startSim(t, sim.Faults{})
	pairs := grants(t, srv, 3)
	planPath := writePlan(t, pairs)
	dest := t.TempDir()
	job := writeJob(t, url, filepath.Join(dest, "not-used"), nil)

	code, stdout, stderr := runInProcess(t, "apply", "--plugin", pluginBin, "--config", job, "--plan", planPath, "--out", dest)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	location := strings.TrimSpace(stdout)
	if strings.Count(stdout, "\n") != 1 || filepath.Dir(location) != dest {
		t.Fatalf("stdout %q is not one apply run folder under %s", stdout, dest)
	}
	for _, want := range []string{
		"apply: 3/3 actions done (applied 3, unchanged 0, ticketed 0, failed 0, skipped 0)",
		"apply: 3 actions: applied 3, unchanged 0, ticketed 0, failed 0, skipped 0\n",
		"actions table and manifest: " + location,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	if m := applyManifest(t, location); m["kind"] != "apply" || m["status"] != manifest.StatusComplete {
		t.Errorf("manifest kind %v status %v", m["kind"], m["status"])
	}
	if _, err := os.Stat(filepath.Join(location, "actions", "part-00000.parquet")); err != nil {
		t.Errorf("actions table: %v", err)
	}
	member := map[string]bool{}
	for _, r := range srv.Truth(sim.TruthOptions{}).Relations {
		if r.Kind == model.MemberOf {
			member[r.FromID+"|"+r.ToID] = true
		}
	}
	for _, p := range pairs {
		if !member[p[0]+"|"+p[1]] {
			t.Errorf("user %s is not a member of group %s after the apply", p[0], p[1])
		}
	}
	if strings.Contains(stderr+stdout, sim.DefaultToken) {
		t.Error("the token was printed")
	}

	code, stdout2, stderr := runInProcess(t, "apply", "--plugin", pluginBin, "--config", job, "--plan", planPath, "--out", dest)
	if code != 0 || !strings.Contains(stderr, "apply: 3 actions: applied 0, unchanged 3, ticketed 0, failed 0, skipped 0") {
		t.Fatalf("second apply: exit %d\n%s", code, stderr)
	}
	if again := strings.TrimSpace(stdout2); again == location || filepath.Dir(again) != dest {
		t.Errorf("second apply run %q: want a new folder under %s", again, dest)
	}
}

// TestApplyBadPlanExitsTwo: a bad plan and a bad job give exit 2 with every
// problem, each plan problem naming its action id and field, before the
// site is contacted; nothing goes to stdout.
func TestApplyBadPlanExitsTwo(t *testing.T) {
	srv, url := startSim(t, sim.Faults{})
	before := srv.Stats().Requests
	planPath := writeFile(t, "plan.json", `{"actions": [
 {"id": "a1", "op": "grant", "relation": "member_of", "from_type": "user", "from_id": "u1", "to_type": "group"},
 {"id": "a2", "op": "explode", "relation": "member_of", "from_type": "user", "from_id": "u1", "to_type": "group", "to_id": "g1"}
]}`)
	job := writeJob(t, url, t.TempDir(), map[string]any{"output.format": "xml"})
	code, stdout, stderr := runInProcess(t, "apply", "--plugin", pluginBin, "--config", job, "--plan", planPath)
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s", code, stderr)
	}
	for _, want := range []string{`action "a1" (actions[0]): field to_id`, `action "a2" (actions[1]): field op`, "output.format", "nothing was read or written"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	if stdout != "" {
		t.Errorf("stdout %q", stdout)
	}
	if after := srv.Stats().Requests; after != before {
		t.Errorf("the site got %d requests for an invalid plan", after-before)
	}
}

// TestApplyPartialExitsThree: an action that fails (its group does not
// exist) makes the exit code 3; the summary lists it with its message, and
// the other action is applied.
func TestApplyPartialExitsThree(t *testing.T) {
	srv, url := startSim(t, sim.Faults{})
	pairs := grants(t, srv, 1)
	pairs = append(pairs, [2]string{pairs[0][0], "no-such-group"})
	dest := t.TempDir()
	code, stdout, stderr := runInProcess(t, "apply", "--plugin", pluginBin, "--config", writeJob(t, url, dest, nil), "--plan", writePlan(t, pairs))
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "applied 1, unchanged 0, ticketed 0, failed 1, skipped 0") || !strings.Contains(stderr, `  failed    "g2": `) {
		t.Errorf("summary:\n%s", stderr)
	}
	if filepath.Dir(strings.TrimSpace(stdout)) != dest {
		t.Errorf("stdout %q", stdout)
	}
}

// TestApplyNothingRunsExitsOne: credentials the site refuses: exit 1, the
// error says so, no apply run is written.
func TestApplyNothingRunsExitsOne(t *testing.T) {
	srv, url := startSim(t, sim.Faults{})
	dest := t.TempDir()
	job := writeJob(t, url, dest, map[string]any{"appConfig.token": sim.DefaultEmail + ":not-the-token"})
	code, stdout, stderr := runInProcess(t, "apply", "--plugin", pluginBin, "--config", job, "--plan", writePlan(t, grants(t, srv, 1)))
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "error: apply: connect to the site") || stdout != "" || strings.Contains(stderr, "not-the-token") {
		t.Errorf("stdout %q\nstderr:\n%s", stdout, stderr)
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 0 {
		t.Errorf("%d entries written to %s", len(entries), dest)
	}
}

// TestApplyNeedsProtocolV2: with a plugin that speaks version 1 only, apply
// exits 1 and says apply needs protocol version 2.
func TestApplyNeedsProtocolV2(t *testing.T) {
	bin, cleanup, err := simtest.BuildBinary(v1PluginPkg)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	code, stdout, stderr := runInProcessBin(t, bin, "apply", "--plugin", bin, "--config", writeJob(t, "http://127.0.0.1:1", t.TempDir(), nil),
		"--plan", writeFile(t, "plan.csv", "id,op\n"))
	if code != 1 || !strings.Contains(stderr, "apply needs plugin protocol version 2") || stdout != "" {
		t.Errorf("exit %d\nstdout %q\nstderr:\n%s", code, stdout, stderr)
	}
}

// TestApplyUsageErrors: flag and file mistakes exit 2 before the plugin
// starts, each naming the flag and the fix.
func TestApplyUsageErrors(t *testing.T) {
	job := writeFile(t, "job.json", "{}")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--plugin", pluginBin, "--config", job}, "--plan is required"},
		{[]string{"--plugin", pluginBin, "--config", job, "--plan", writeFile(t, "plan.txt", "")}, "name the file .json or .csv"},
		{[]string{"--plugin", pluginBin, "--config", job, "--plan", filepath.Join(t.TempDir(), "gone.json")}, "cannot read"},
		{[]string{"--plugin", pluginBin, "--config", job, "--plan", writeFile(t, "p.json", "{}"), "--max-changes", "0"}, "--max-changes 0"},
		{[]string{"--config", job, "--plan", writeFile(t, "p.json", "{}")}, "--plugin is required"},
	} {
		code, _, stderr := runInProcess(t, append([]string{"apply"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
	var out strings.Builder
	if code := runMain(t.Context(), []string{"help", "apply"}, &out, &out); code != 0 {
		t.Errorf("help apply: exit %d", code)
	}
	for _, want := range []string{"--plan", "--dry-run", "--max-changes", "--allow-self", "--plugin-sha256", "--cancel-grace", "--timeout", "Exit codes", "ticketed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help apply does not mention %q", want)
		}
	}
}
