package cli

import (
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/model"
)

// missingMemberships returns n user → group pairs the site does not have.
func missingMemberships(t *testing.T, srv *sim.Server, n int) [][2]string {
	t.Helper()
	tr := srv.Truth(sim.TruthOptions{})
	has := map[string]bool{}
	var groups, users []string
	for _, r := range tr.Relations {
		if r.Kind == model.MemberOf {
			has[r.FromID+"|"+r.ToID] = true
		}
	}
	for _, e := range tr.Entities {
		switch e.SourceType {
		case model.Group:
			groups = append(groups, e.SourceID)
		case model.User:
			if e.Attrs["account_type"] == "atlassian" && e.Attrs["active"] == true {
				users = append(users, e.SourceID)
			}
		}
	}
	synced := map[string]bool{}
	for _, g := range srv.SyncedGroupIDs() {
		synced[g] = true
	}
	var out [][2]string
	for i, u := range users {
		g := groups[i%len(groups)]
		if !has[u+"|"+g] && !synced[g] {
			out = append(out, [2]string{u, g})
			if len(out) == n {
				return out
			}
		}
	}
	t.Fatalf("only %d missing memberships", len(out))
	return nil
}

func TestTicketsCommandTracksToDone(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1, Email: simEmail, Token: simToken})
	dir := t.TempDir()
	jm := simJob(url, simToken, filepath.Join(dir, "out"), false)
	jm["tickets"] = map[string]any{"projectKey": "WEB", "labels": []string{"access"}}
	job := writeJob(t, dir, jm)
	pairs := missingMemberships(t, srv, 2)
	var b strings.Builder
	b.WriteString("id,op,relation,from_type,from_id,to_type,to_id,mode\n")
	for i, p := range pairs {
		b.WriteString(strings.Join([]string{"t" + string(rune('1'+i)), "grant", "member_of", "user", p[0], "group", p[1], "ticket"}, ",") + "\n")
	}
	planFile := writeFile(t, dir, "plan.csv", b.String())

	r := runBin(t, dir, "apply", "--config", job, "--plan", planFile, "--no-progress")
	if r.code != 0 || !strings.Contains(r.stderr, "ticketed 2") {
		t.Fatalf("apply:\n%s", r)
	}
	runDir := strings.TrimSpace(r.stdout)
	issues := srv.Issues()
	if len(issues) != 2 {
		t.Fatalf("%d issues", len(issues))
	}

	// Not done yet: exit 3, every ticket listed.
	r = runBin(t, dir, "tickets", "--config", job, "--from", runDir)
	if r.code != 3 || !strings.Contains(r.stderr, "2 ticket(s): 0 done, 2 not done yet") {
		t.Fatalf("tickets before:\n%s", r)
	}
	for _, is := range issues {
		if !strings.Contains(r.stdout, is.Key) || !strings.Contains(r.stdout, "To Do") {
			t.Errorf("table lacks %s To Do:\n%s", is.Key, r.stdout)
		}
	}
	if err := srv.TransitionIssue(issues[0].Key, "done"); err != nil {
		t.Fatal(err)
	}
	r = runBin(t, dir, "tickets", "--config", job, "--from", runDir, "--format", "json")
	if r.code != 3 {
		t.Fatalf("tickets json:\n%s", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("json lines: %q", lines)
	}
	done := map[string]bool{}
	for _, l := range lines {
		var s struct {
			Action, Key, Status, Category string
			Done                          bool
		}
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatal(err)
		}
		done[s.Key] = s.Done
		if (s.Key == issues[0].Key) != (s.Category == "done" && s.Status == "Done") {
			t.Errorf("json %s", l)
		}
	}
	if !done[issues[0].Key] || done[issues[1].Key] {
		t.Errorf("done %v", done)
	}
	if err := srv.TransitionIssue(issues[1].Key, "Done"); err != nil {
		t.Fatal(err)
	}
	r = runBin(t, dir, "tickets", "--config", job, "--from", runDir, "--format", "csv")
	if r.code != 0 || !strings.Contains(r.stderr, "all done") {
		t.Fatalf("tickets csv:\n%s", r)
	}
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(rows) != 3 || strings.Join(rows[0], ",") != "action,op,key,status,category,done,summary,error,run_status" {
		t.Fatalf("csv %v %v", rows, err)
	}
	for _, row := range rows[1:] {
		if row[5] != "true" || row[4] != "done" || row[8] != "ticketed" {
			t.Errorf("csv row %v", row)
		}
	}

	// Bad input: exit 2.
	for _, args := range [][]string{
		{"tickets", "--config", job, "--from", runDir, "--format", "xml"},
		{"tickets", "--config", job},
		{"tickets", "--from", runDir},
	} {
		if r := runBin(t, dir, args...); r.code != 2 {
			t.Errorf("%v: want exit 2:\n%s", args, r)
		}
	}
	// An incomplete run: exit 1.
	if r := runBin(t, dir, "tickets", "--config", job, "--from", filepath.Join(dir, "out", "nope")); r.code != 1 {
		t.Errorf("missing run: want exit 1:\n%s", r)
	}
	// Help names the flags and the exit codes.
	r = runBin(t, dir, "tickets", "--help")
	for _, w := range []string{"--config", "--from", "--format", "status category", "Exit codes", "3  some tickets are not done"} {
		if r.code != 0 || !strings.Contains(r.stdout, w) {
			t.Errorf("help lacks %q:\n%s", w, r)
		}
	}
}
