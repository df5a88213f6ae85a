package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
)

// TestRunPrintsTheRunFolderOnStdout: stdout holds exactly one line, the run
// folder, so OUT=$(jira-extractor run ...) works; the summary is on stderr.
func TestRunPrintsTheRunFolderOnStdout(t *testing.T) {
	url := startSim(t, sim.Permissions{}, sim.Faults{})
	dir := t.TempDir()
	r := runBin(t, dir, "run", "--config", writeJob(t, dir, simJob(url, simToken, "out", false)))
	if r.code != 0 {
		t.Fatalf("want exit 0\n%s", r)
	}
	run := onlyRun(t, filepath.Join(dir, "out"))
	if got := r.stdout; got != filepath.Join("out", filepath.Base(run))+"\n" {
		t.Fatalf("stdout %q, want the run folder and nothing else\n%s", got, r)
	}
	if !strings.Contains(r.stderr, "complete") {
		t.Errorf("the summary is not on stderr\n%s", r)
	}
}

// TestVerifyADestinationListsItsRuns: verify on the destination rather
// than a run says so, lists the latest runs with their status and shows the
// command for the latest.
func TestVerifyADestinationListsItsRuns(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "out")
	write := func(id, manifestJSON string) {
		if err := os.MkdirAll(filepath.Join(dest, id, "entities"), 0o755); err != nil {
			t.Fatal(err)
		}
		if manifestJSON != "" {
			if err := os.WriteFile(filepath.Join(dest, id, "manifest.json"), []byte(manifestJSON), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("01JA0000000000000000000001", `{"status":"complete"}`)
	write("01JA0000000000000000000002", `{"status":"partial"}`)
	write("01JA0000000000000000000003", "")
	r := runBin(t, dir, "verify", "out")
	if r.code != ExitUsage {
		t.Fatalf("want exit 2\n%s", r)
	}
	for _, want := range []string{"out holds runs", "01JA0000000000000000000002  partial", "01JA0000000000000000000001  complete",
		"01JA0000000000000000000003  incomplete", "verify " + filepath.Join("out", "01JA0000000000000000000003")} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q\n%s", want, r)
		}
	}
	if strings.Index(r.stderr, "0003  incomplete") > strings.Index(r.stderr, "0001  complete") {
		t.Errorf("runs not newest first\n%s", r)
	}
	// An empty folder is still "not a complete run".
	if err := os.MkdirAll(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if r := runBin(t, dir, "verify", "empty"); r.code != ExitFailed || !strings.Contains(r.stderr, "not complete") {
		t.Errorf("empty folder: want exit 1, not complete\n%s", r)
	}
}

// TestDryRunAgainstSimulator: a token without Administer Jira gets exit 3
// with the unreadable scopes named on stderr; --format json prints one JSON
// document whose planned total is the sum of its steps.
func TestDryRunAgainstSimulator(t *testing.T) {
	noAdmin := startSim(t, sim.Permissions{BrowseUsers: true, BrowseProjects: true}, sim.Faults{})
	dir := t.TempDir()
	r := runBin(t, dir, "dry-run", "--config", writeJob(t, dir, simJob(noAdmin, simToken, "out", false)))
	if r.code != ExitPartial {
		t.Fatalf("want exit 3\n%s", r)
	}
	if !strings.Contains(r.stderr, "3 scope(s) could not be read: global roles, application roles, permission schemes") {
		t.Errorf("stderr does not name the scopes\n%s", r)
	}
	if !strings.Contains(r.stdout, "GET /rest/api/3/project/{id}/role/{roleId}") || !strings.Contains(r.stdout, "REQUESTS") {
		t.Errorf("no table of endpoints\n%s", r)
	}

	full := startSim(t, sim.Permissions{}, sim.Faults{})
	r = runBin(t, dir, "dry-run", "--format", "json", "--config", writeJob(t, dir, simJob(full, simToken, "out", false)))
	if r.code != 0 {
		t.Fatalf("want exit 0\n%s", r)
	}
	var doc struct {
		Planned int64 `json:"planned_requests"`
		Steps   []struct {
			Kinds    []string `json:"kinds"`
			Endpoint string   `json:"endpoint"`
			Requests int64    `json:"requests"`
			Items    int64    `json:"items"`
		} `json:"steps"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	if err := dec.Decode(&doc); err != nil || dec.More() {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, r)
	}
	var sum int64
	for _, s := range doc.Steps {
		sum += s.Requests
	}
	if len(doc.Steps) < 8 || sum != doc.Planned {
		t.Errorf("%d steps adding up to %d, planned %d", len(doc.Steps), sum, doc.Planned)
	}
	requireFields(t, r.stdout, "steps", "kinds", "endpoint", "requests", "at_least", "items", "note")
}

// requireFields fails unless every object of the list under key in the
// JSON document doc has every one of fields, empty or not.
func requireFields(t *testing.T, doc, key string, fields ...string) {
	t.Helper()
	var top map[string]json.RawMessage
	var list []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &top); err != nil {
		t.Fatalf("not a JSON object: %v", err)
	}
	if err := json.Unmarshal(top[key], &list); err != nil || len(list) == 0 {
		t.Fatalf("%s is not a list of objects: %v", key, err)
	}
	for i, o := range list {
		for _, f := range fields {
			if _, ok := o[f]; !ok {
				t.Errorf("%s[%d] has no %q field: %v", key, i, f, o)
			}
		}
	}
}

func TestCheckJSON(t *testing.T) {
	noAdmin := startSim(t, sim.Permissions{BrowseUsers: true, BrowseProjects: true}, sim.Faults{})
	dir := t.TempDir()
	r := runBin(t, dir, "check", "--format", "json", "--config", writeJob(t, dir, simJob(noAdmin, simScoped, "out", false)))
	if r.code != 1 {
		t.Fatalf("want exit 1\n%s", r)
	}
	var doc struct {
		OK        bool   `json:"ok"`
		TokenKind string `json:"token_kind"`
		Probes    []struct {
			Kind, Result, Missing string
		} `json:"probes"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	if err := dec.Decode(&doc); err != nil || dec.More() {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, r)
	}
	if doc.OK || doc.TokenKind != "scoped" || len(doc.Probes) == 0 {
		t.Fatalf("%+v", doc)
	}
	denied := map[string]string{}
	for _, p := range doc.Probes {
		if p.Result == "denied" {
			denied[p.Kind] = p.Missing
		}
	}
	if !strings.Contains(denied["role"], "Administer Jira") {
		t.Errorf("role not denied for Administer Jira: %+v", doc.Probes)
	}
	requireFields(t, r.stdout, "probes", "kind", "endpoint", "result", "missing", "detail")
}
