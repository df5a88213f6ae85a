package applycmd

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/plan"
)

// apply with a scim job changes the SCIM directory: the apply run is
// written, a second apply of the same plan is all unchanged, and ops SCIM
// cannot do are refused before anything is read.
func TestApplySCIMJob(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Seed: 4})
	var active, group string
	for _, e := range srv.SCIMTruth().Entities {
		switch {
		case e.SourceType == model.User && e.Attrs["active"] == true && active == "":
			active = e.SourceID
		case e.SourceType == model.Group && group == "":
			group = e.SourceID
		}
	}
	doc, _ := json.Marshal(map[string]any{"output": map[string]any{"destination": t.TempDir()},
		"scim": map[string]any{"baseUrl": srv.SCIMBaseURL(url, 2), "auth": map[string]any{"type": "basic",
			"username": sim.DefaultSCIMBasicUser, "password": sim.DefaultSCIMBasicPassword}}})
	job, err := config.Parse(doc, config.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	parse := func(s string) *plan.Plan {
		p, err := plan.Parse(strings.NewReader(s), plan.JSON)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	pl := parse(`{"actions":[{"id":"d","op":"deactivate","entity":"user","to_id":"` + active + `"},
 {"id":"g","op":"grant","relation":"member_of","from_type":"user","from_id":"` + active + `","to_type":"group","to_id":"` + group + `"}]}`)
	ctx := context.Background()
	opts := Options{JournalPath: t.TempDir() + "/j.jsonl"}
	res, err := Apply(ctx, job, pl, opts, nil)
	if err != nil || res.ExitCode != apply.ExitOK || res.Manifest == nil || res.Location == "" {
		t.Fatalf("apply: exit %d, %v", res.ExitCode, err)
	}
	if n := res.Manifest.Counts[string(apply.Applied)] + res.Manifest.Counts[string(apply.Unchanged)]; n != 2 || res.Manifest.Counts[string(apply.Applied)] == 0 {
		t.Fatalf("counts %v", res.Manifest.Counts)
	}
	again, err := Apply(ctx, job, pl, opts, nil)
	if err != nil || again.Manifest.Counts[string(apply.Unchanged)] != 2 {
		t.Fatalf("second apply: %v %v", again.Manifest.Counts, err)
	}
	// A tickets section (and a Jira site that cannot be reached) does not
	// stop a scim job: its actions open no tickets, so Jira is not asked.
	doc, _ = json.Marshal(map[string]any{"output": map[string]any{"destination": t.TempDir()},
		"appConfig": map[string]any{"token": "me@example.com:unused-token-1234567890", "siteName": "acme", "baseUrl": "http://127.0.0.1:1"},
		"tickets":   map[string]any{"projectKey": "OPS"},
		"scim": map[string]any{"baseUrl": srv.SCIMBaseURL(url, 2), "auth": map[string]any{"type": "basic",
			"username": sim.DefaultSCIMBasicUser, "password": sim.DefaultSCIMBasicPassword}}})
	withTickets, err := config.Parse(doc, config.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := Apply(ctx, withTickets, pl, Options{JournalPath: t.TempDir() + "/j.jsonl"}, nil); err != nil || res.ExitCode != apply.ExitOK ||
		res.Manifest.Counts[string(apply.Unchanged)] != 2 {
		t.Fatalf("scim job with a tickets section: exit %d, %v", res.ExitCode, err)
	}
	bad := parse(`{"actions":[{"id":"s","op":"suspend","entity":"user","to_id":"` + active + `"}]}`)
	if res, err := Apply(ctx, job, bad, opts, nil); err == nil || res.ExitCode != apply.ExitBadInput || srv.Stats().Requests == 0 {
		t.Fatalf("suspend through SCIM: exit %d, %v", res.ExitCode, err)
	}
}
