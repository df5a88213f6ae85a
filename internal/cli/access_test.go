package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/output/s3test"
	"github.com/govextract/jira-extractor/internal/output/store"
)

// accessRun extracts the hostile data set with every permission resolved
// into dest (a local folder or s3:// URL) and returns the run's location.
func accessRun(t *testing.T, dest string, extra map[string]any) (string, string) {
	t.Helper()
	_, url := simtest.StartSim(t, sim.Config{DatasetFile: filepath.Join("..", "..", "testdata", "sites", "hostile.json")})
	keys := map[string]any{"output.effectivePermissions": []string{"*"}, "appConfig.requestsPerSecond": 5000, "appConfig.burst": 200}
	for k, v := range extra {
		keys[k] = v
	}
	raw := simtest.Job(t, url, dest, keys)
	jobPath := writeJob(t, t.TempDir(), string(raw))
	job, err := config.Parse(raw, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := extractor.Run(context.Background(), job.Resolve().Job, extractor.RunOptions{RunID: "r"}); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(dest, "/") + "/r", jobPath
}

// tableLines reads the derived rows of a run as access JSON lines, keyed
// the same way as the command's answers.
func tableLines(t *testing.T, run string, s3 *store.S3Options, keep func(model.Relation) bool) []string {
	t.Helper()
	rr, err := output.OpenRun(context.Background(), location.MustParse(run), s3)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range model.DerivedRelationKinds {
		err := rr.ScanRelations(context.Background(), k, func(r model.Relation) error {
			if !keep(r) {
				return nil
			}
			var md map[string]string
			_ = json.Unmarshal([]byte(r.Metadata), &md)
			if k == model.EffectiveRole {
				project, _, _ := strings.Cut(r.ToID, ":")
				out = append(out, r.FromID+"|"+project+"||"+r.ToID+"|"+md["via"])
			} else {
				out = append(out, r.FromID+"|"+r.ToID+"|"+md["permission"]+"||"+md["via"])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(out)
	return out
}

// answerLines parses the command's JSON lines the same way.
func answerLines(t *testing.T, stdout string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if l == "" {
			continue
		}
		var a struct{ User, Project, Permission, Role, Via string }
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		out = append(out, a.User+"|"+a.Project+"|"+a.Permission+"|"+a.Role+"|"+a.Via)
	}
	sort.Strings(out)
	return out
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: empty expectation proves nothing", what)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: %d answer rows, the run's tables hold %d\nfirst answers: %v\nfirst table rows: %v", what, len(got), len(want), head(got), head(want))
	}
}

func head(s []string) []string { return s[:min(3, len(s))] }

// The on-demand answers equal the tables the run wrote (which the extractor
// tests check against the rules), for a project and for a user by email.
func TestAccessWhoWhatMatchTables(t *testing.T) {
	loc, _ := accessRun(t, t.TempDir(), nil)
	rr, err := output.OpenRun(context.Background(), location.MustParse(loc), nil)
	if err != nil {
		t.Fatal(err)
	}
	// A project and a user with rows of many path kinds.
	var projectID, projectKey, userID, email string
	_ = rr.ScanEntities(context.Background(), model.Project, func(e model.Entity) error {
		if e.Attrs["key"] == "INFRA" {
			projectID, projectKey = e.SourceID, "infra" // keys match in any case
		}
		return nil
	})
	_ = rr.ScanEntities(context.Background(), model.User, func(e model.Entity) error {
		if e.SourceID == "557058:c0cfa990-8913-477b-aaa8-ba2d0000004c" {
			userID = e.SourceID
			email, _ = e.Attrs["email"].(string)
		}
		return nil
	})
	if projectID == "" || userID == "" || email == "" {
		t.Fatalf("fixture: project %q user %q email %q", projectID, userID, email)
	}

	r := runBin(t, "", "access", "who", "--run", loc, "--project", projectKey, "--permission", "*", "--format", "json")
	if r.code != 0 {
		t.Fatal(r)
	}
	want := tableLines(t, loc, nil, func(x model.Relation) bool { return x.Kind == model.EffectivePermission && x.ToID == projectID })
	sameLines(t, "who --permission *", answerLines(t, r.stdout), want)
	// The answer's order is fixed: within one permission and path, users
	// come in accountId order, so two loads of the run print the same bytes.
	var prev struct{ User, Permission, Via string }
	for i, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var row struct{ User, Permission, Via string }
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatal(err)
		}
		if i > 0 && row.Permission == prev.Permission && row.Via == prev.Via && row.User <= prev.User {
			t.Fatalf("line %d: user %q after %q in path %s %s", i+1, row.User, prev.User, row.Permission, row.Via)
		}
		prev = row
	}
	if again := runBin(t, "", "access", "who", "--run", loc, "--project", projectKey, "--permission", "*", "--format", "json"); again.stdout != r.stdout {
		t.Fatal("two answers to one question differ")
	}

	r = runBin(t, "", "access", "what", "--run", loc, "--user", strings.ToUpper(email), "--format", "json")
	if r.code != 0 {
		t.Fatal(r)
	}
	want = tableLines(t, loc, nil, func(x model.Relation) bool { return x.FromID == userID })
	got := answerLines(t, r.stdout)
	sameLines(t, "what --user EMAIL", got, want)
	kinds := map[string]bool{}
	for _, l := range got {
		f := strings.Split(l, "|")
		kinds[strings.SplitN(f[4], ":", 2)[0]+map[bool]string{true: " (role)"}[f[3] != ""]] = true
	}
	if len(kinds) < 4 {
		t.Errorf("the user's answer covers only path kinds %v; pick a richer fixture", kinds)
	}

	// The default table groups by path and counts users.
	r = runBin(t, "", "access", "who", "--run", loc, "--project", projectID, "--permission", "*")
	if r.code != 0 || !strings.Contains(r.stdout, " via project_role:") || !strings.Contains(r.stdout, " users)") {
		t.Fatalf("table answer lacks path groups with counts\n%s", r)
	}
	// CSV has a header and one record per answer.
	r = runBin(t, "", "access", "who", "--run", loc, "--project", projectID, "--permission", "*", "--format", "csv")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || lines[0] != "user,project,project_key,permission,via" || len(lines)-1 != len(tableLines(t, loc, nil, func(x model.Relation) bool { return x.Kind == model.EffectivePermission && x.ToID == projectID })) {
		t.Fatalf("csv: header %q, %d records\n%s", lines[0], len(lines)-1, r.stderr)
	}
}

func TestAccessUnknownNamesExit2WithSuggestion(t *testing.T) {
	loc, _ := accessRun(t, t.TempDir(), nil)
	cases := []struct {
		args    []string
		message string
	}{
		{[]string{"who", "--project", "INFAR"}, `no project "INFAR" in this run (did you mean "INFRA"?)`},
		{[]string{"who", "--project", "INFRA", "--permission", "ADMINSTER_PROJECTS"}, `(did you mean "ADMINISTER_PROJECTS"?)`},
		{[]string{"what", "--user", "carol.davis35@exmaple.com"}, `no user "carol.davis35@exmaple.com" in this run (did you mean`},
		{[]string{"who", "--project", "INFRA", "--format", "xml"}, `unknown --format "xml"`},
		{[]string{"who", "--permission", "*"}, "--project KEY|ID is required"},
	}
	for _, c := range cases {
		r := runBin(t, "", append(append([]string{"access"}, c.args...), "--run", loc)...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.message) {
			t.Errorf("%v: want exit 2 and %q\n%s", c.args, c.message, r)
		}
	}
	r := runBin(t, "", "access", "who", "--run", filepath.Join(t.TempDir(), "nope"), "--project", "X")
	if r.code != ExitFailed || !strings.Contains(r.stderr, "no run folder") {
		t.Errorf("missing run: %s", r)
	}
}

func TestAccessHelp(t *testing.T) {
	for _, sub := range []string{"who", "what"} {
		r := runBin(t, "", "access", sub, "--help")
		if r.code != 0 {
			t.Fatal(r)
		}
		for _, want := range []string{"--run DEST/RUN_ID", "--format FORMAT", "--permission KEY", "--config JOB.json", "project_role:ROLEID/group:GROUPID", "application_role:KEY/group:GROUPID", "anyone", "Exit codes:", "Example:"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("access %s --help lacks %q", sub, want)
			}
		}
	}
	r := runBin(t, "", "--help")
	if !strings.Contains(r.stdout, "access") {
		t.Errorf("main help does not list access:\n%s", r.stdout)
	}
}

// A run written to S3 has the derived tables, and access answers from it.
func TestAccessFromS3(t *testing.T) {
	if os.Getenv("VERSITYGW") == "" && testing.Short() {
		t.Skip("short")
	}
	srv := s3test.Start(t)
	srv.SetEnv(t)
	srv.CreateBucket(t, "runs")
	loc, jobPath := accessRun(t, "s3://runs/jira", map[string]any{"output.s3": map[string]any{"endpoint": srv.Endpoint, "usePathStyle": true}, "output.format": "csv"})
	r := runBin(t, "", "access", "who", "--run", loc, "--config", jobPath, "--project", "INFRA", "--permission", "*", "--format", "json")
	if r.code != 0 {
		t.Fatal(r)
	}
	s3 := &store.S3Options{Endpoint: srv.Endpoint, UsePathStyle: true}
	rr, err := output.OpenRun(context.Background(), location.MustParse(loc), s3)
	if err != nil {
		t.Fatal(err)
	}
	if err := rr.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	var infra string
	_ = rr.ScanEntities(context.Background(), model.Project, func(e model.Entity) error {
		if e.Attrs["key"] == "INFRA" {
			infra = e.SourceID
		}
		return nil
	})
	want := tableLines(t, loc, s3, func(x model.Relation) bool { return x.Kind == model.EffectivePermission && x.ToID == infra })
	sameLines(t, "who from S3", answerLines(t, r.stdout), want)
}
