package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/model"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestApplyBadPlanExit2NamesEveryActionAndField(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1, Email: simEmail, Token: simToken})
	dir := t.TempDir()
	job := writeJob(t, dir, simJob(url, simToken, filepath.Join(dir, "out"), false))
	bad := writeFile(t, dir, "plan.json", `{"actions": [
	  {"id": "a1", "op": "grant", "relation": "member_of", "from_type": "user", "from_id": "u1", "to_type": "group"},
	  {"id": "a2", "op": "frobnicate"},
	  {"id": "a3", "op": "revoke", "relation": "has_role", "from_type": "user", "from_id": "u1", "to_type": "project_role", "to_id": "10000"}
	]}`)
	r := runBin(t, dir, "apply", "--config", job, "--plan", bad)
	if r.code != 2 || r.stdout != "" {
		t.Fatalf("want exit 2, nothing on stdout:\n%s", r)
	}
	for _, want := range []string{`action "a1"`, "field to_id", `action "a2"`, "field op", `action "a3"`, "nothing was read or written"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}

	// Admin API ops without orgId and orgApiKey: refused before any request.
	org := writeFile(t, dir, "org.csv", "id,op,entity,to_id\ns1,suspend,user,acc-1\nd1,deactivate,user,acc-2\n")
	r = runBin(t, dir, "apply", "--config", job, "--plan", org)
	if r.code != 2 {
		t.Fatalf("want exit 2:\n%s", r)
	}
	for _, want := range []string{`action "s1" (line 2): field op`, `action "d1" (line 3): field op`, "appConfig.orgApiKey"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if st := srv.Stats(); st.Requests != 0 {
		t.Errorf("%d requests reached the site for bad plans", st.Requests)
	}
	if strings.Contains(r.stderr, simToken) {
		t.Error("a secret was printed")
	}
}

// grantPlan is a CSV plan of n member_of grants of distinct users.
func grantPlan(t *testing.T, srv *sim.Server, n int) (string, []model.Relation) {
	tr := srv.Truth(sim.TruthOptions{})
	has := map[string]bool{}
	var groups []string
	seenG := map[string]bool{}
	for _, g := range srv.SyncedGroupIDs() {
		seenG[g] = true // a group synced from an identity provider refuses writes
	}
	for _, r := range tr.Relations {
		if r.Kind == model.MemberOf {
			has[r.Key()] = true
			if !seenG[r.ToID] {
				seenG[r.ToID] = true
				groups = append(groups, r.ToID)
			}
		}
	}
	sort.Strings(groups)
	var users []string
	for _, e := range tr.Entities {
		if e.SourceType == model.User && e.Attrs["active"] == true && e.Attrs["account_type"] == "atlassian" {
			users = append(users, e.SourceID)
		}
	}
	sort.Strings(users)
	var b strings.Builder
	b.WriteString("id,op,relation,from_type,from_id,to_type,to_id\n")
	var rels []model.Relation
	for i, u := range users {
		if len(rels) == n {
			break
		}
		r := model.MemberOfRel(u, groups[i%len(groups)])
		if has[r.Key()] {
			continue
		}
		rels = append(rels, r)
		b.WriteString(strings.Join([]string{"g" + u, "grant", "member_of", "user", u, "group", r.ToID}, ",") + "\n")
	}
	if len(rels) < n {
		t.Fatalf("only %d grants possible", len(rels))
	}
	return b.String(), rels
}

func journalLines(dest string) int {
	files, _ := filepath.Glob(filepath.Join(dest, ".apply-journal", "*.jsonl"))
	n := 0
	for _, f := range files {
		b, _ := os.ReadFile(f)
		n += bytes.Count(b, []byte("\n"))
	}
	return n
}

func TestApplyResumesAfterKillWithoutWritingTwice(t *testing.T) {
	const n = 40
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1, Email: simEmail, Token: simToken,
		Faults: sim.Faults{Latency: 40 * time.Millisecond}})
	dir := t.TempDir()
	dest := filepath.Join(dir, "out")
	job := writeJob(t, dir, simtest.JobMap(url, dest, map[string]any{"appConfig.token": simEmail + ":" + simToken, "appConfig.concurrency": 2}))
	planCSV, rels := grantPlan(t, srv, n)
	planPath := writeFile(t, dir, "plan.csv", planCSV)

	cmd := exec.Command(bin, "apply", "--config", job, "--plan", planPath, "--no-progress")
	cmd.Dir, cmd.Env = dir, cleanEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for journalLines(dest) < 5 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("no journal lines within a minute")
		}
		time.Sleep(10 * time.Millisecond) // polling an observable condition
	}
	_ = cmd.Process.Kill() // SIGKILL: no cleanup, no manifest
	_ = cmd.Wait()
	done := journalLines(dest)
	writesKilled := srv.Stats().Writes
	if done >= n || writesKilled >= n {
		t.Fatalf("the apply finished before the kill (journal %d, writes %d): slow the simulator more", done, writesKilled)
	}
	if m, _ := filepath.Glob(filepath.Join(dest, "*", "manifest.json")); len(m) != 0 {
		t.Fatalf("a killed apply left a manifest: %v", m)
	}

	srv.SetFaults(sim.Faults{})
	r := runBin(t, dir, "apply", "--config", job, "--plan", planPath, "--no-progress")
	if r.code != 0 {
		t.Fatalf("resume:\n%s", r)
	}
	st := srv.Stats()
	if st.Writes != n {
		t.Errorf("writes over both runs: %d, want %d (each grant exactly once)", st.Writes, n)
	}
	loc := strings.TrimSpace(r.stdout)
	if strings.Contains(loc, "\n") || !strings.HasPrefix(loc, dest) {
		t.Fatalf("stdout is not one run folder line: %q", r.stdout)
	}
	var m struct {
		Kind    string         `json:"kind"`
		Counts  map[string]int `json:"counts"`
		Resumed int            `json:"resumed"`
	}
	raw, err := os.ReadFile(filepath.Join(loc, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(raw, &m)
	if m.Kind != "apply" || m.Counts["applied"]+m.Counts["unchanged"] != n || m.Resumed < done {
		t.Errorf("manifest kind %q counts %v resumed %d (journal had %d)", m.Kind, m.Counts, m.Resumed, done)
	}
	if !strings.Contains(r.stderr, "from the journal of an earlier apply") {
		t.Errorf("summary does not mention the resume:\n%s", r.stderr)
	}
	tr := srv.Truth(sim.TruthOptions{})
	has := map[string]bool{}
	for _, rel := range tr.Relations {
		has[rel.Key()] = true
	}
	for _, rel := range rels {
		if !has[rel.Key()] {
			t.Errorf("grant %s → %s missing after resume", rel.FromID, rel.ToID)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dest, ".apply-journal", "*")); len(files) != 0 {
		t.Errorf("journal left after a complete apply: %v", files)
	}
	sc := bufio.NewScanner(strings.NewReader(r.stderr))
	for sc.Scan() {
		if strings.Contains(sc.Text(), simToken) {
			t.Error("a secret was printed")
		}
	}
}
