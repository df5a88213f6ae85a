package applycmd

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/plan"
)

const newEmail = "new.person@example.com"

// everyOpPlan is a plan with every op of the Jira API (grant and revoke of
// member_of, has_role for users and groups, create, remove, suspend,
// deactivate) on distinct targets.
func everyOpPlan(t testing.TB, s *site) (*plan.Plan, *picker) {
	pk := newPicker(t, s)
	acts := []plan.Action{
		actionOf("grant-member", plan.Grant, pk.relation(model.MemberOf, "user", false)),
		actionOf("revoke-member", plan.Revoke, pk.relation(model.MemberOf, "user", true)),
		actionOf("grant-role-user", plan.Grant, pk.relation(model.HasRole, "user", false)),
		actionOf("revoke-role-user", plan.Revoke, pk.relation(model.HasRole, "user", true)),
		actionOf("grant-role-group", plan.Grant, pk.relation(model.HasRole, "group", false)),
		actionOf("revoke-role-group", plan.Revoke, pk.relation(model.HasRole, "group", true)),
		{ID: "create", Op: plan.Create, Entity: "user", Email: newEmail},
		userAction("remove", plan.Remove, pk.user()),
		userAction("suspend", plan.Suspend, pk.user()),
		userAction("deactivate", plan.Deactivate, pk.user()),
	}
	p := &plan.Plan{Actions: acts}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return p, pk
}

// wantAfter is the truth before plus the plan.
func wantAfter(before state, p *plan.Plan) map[string]bool {
	want := map[string]bool{}
	removed := map[string]bool{}
	for _, a := range p.Actions {
		if a.Op == plan.Remove {
			removed[a.Account()] = true
		}
	}
	for k, r := range before.rels {
		if !removed[r.FromID] {
			want[k] = true
		}
	}
	for _, a := range p.Actions {
		switch a.Op {
		case plan.Grant:
			want[relOf(a).Key()] = true
		case plan.Revoke:
			delete(want, relOf(a).Key())
		}
	}
	return want
}

func checkRelations(t *testing.T, got state, want map[string]bool) {
	t.Helper()
	for k := range want {
		if _, ok := got.rels[k]; !ok {
			t.Errorf("missing after apply: %q", k)
		}
	}
	for k := range got.rels {
		if !want[k] {
			t.Errorf("unexpected after apply: %q", k)
		}
	}
}

func byID(r Result) map[string]apply.Outcome {
	m := map[string]apply.Outcome{}
	for _, o := range r.Apply.Outcomes {
		m[o.ID] = o
	}
	return m
}

func TestApplyEveryOpThenAgainChangesNothing(t *testing.T) {
	applyEveryOp(t, sim.Config{Size: "small", Seed: 7})
}

// TestApplyEveryOpOnADocumentedOnlySite: the same against a site that
// serves only the documented reads (no user/search, no Admin API
// single-account read) and whose organization has two directories.
func TestApplyEveryOpOnADocumentedOnlySite(t *testing.T) {
	applyEveryOp(t, sim.Config{Size: "small", Seed: 7, StrictDocumentedOnly: true, Directories: 2})
}

func applyEveryOp(t *testing.T, cfg sim.Config) {
	s := startSite(t, cfg)
	p, _ := everyOpPlan(t, s)
	before := s.state()
	dest := t.TempDir()
	job := s.job(t, dest, map[string]any{"output.format": "csv"})
	s.srv.ResetStats()

	res, err := Apply(context.Background(), job, p, Options{}, nil)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("apply: exit %d, %v; outcomes %+v", res.ExitCode, err, res.Apply.Outcomes)
	}
	for _, o := range res.Apply.Outcomes {
		if o.Status != apply.Applied || o.Attempts != 1 {
			t.Errorf("%s: %s after %d attempts: %s", o.ID, o.Status, o.Attempts, o.Message)
		}
	}
	after := s.state()
	checkRelations(t, after, wantAfter(before, p))
	acc := func(id string) string {
		for _, a := range p.Actions {
			if a.ID == id {
				return a.Account()
			}
		}
		return ""
	}
	if !before.site[acc("remove")] || after.site[acc("remove")] {
		t.Errorf("removed user: on the site before %v, after %v", before.site[acc("remove")], after.site[acc("remove")])
	}
	if u := after.users[acc("suspend")]; u.Attrs["active"] != false || u.Attrs["account_status"] != "active" {
		t.Errorf("suspended user: %+v", u.Attrs)
	}
	if u := after.users[acc("deactivate")]; u.Attrs["account_status"] != "inactive" {
		t.Errorf("deactivated user: %+v", u.Attrs)
	}
	created := false
	for _, u := range after.users {
		if u.Attrs["email"] == newEmail {
			created = true
		}
	}
	if !created {
		t.Errorf("no user with email %s after create", newEmail)
	}
	writes := s.srv.Stats().Writes
	if by := s.srv.Stats().ByEndpoint; cfg.StrictDocumentedOnly &&
		(by["GET /rest/api/3/users/search"] == 0 || by["GET /admin/v2/orgs/{orgId}/directories/{directoryId}/users"] == 0 || by["GET /admin/v2/orgs/{orgId}/directories"] != 2) {
		t.Errorf("a documented-only site: the documented reads were not used: %v", by)
	}
	if writes != int64(len(p.Actions)) {
		t.Errorf("simulator counted %d writes, want %d (one per action)", writes, len(p.Actions))
	}

	// The run folder: the actions table (CSV) and the manifest, last.
	checkRunFolder(t, res, len(p.Actions))
	if res.JournalKept {
		t.Errorf("journal %s kept after a complete apply", res.Journal)
	}
	if _, err := os.Stat(res.Journal); !os.IsNotExist(err) {
		t.Errorf("journal %s still there: %v", res.Journal, err)
	}

	// Again: everything is already as wanted, nothing is written.
	res2, err := Apply(context.Background(), job, p, Options{}, nil)
	if err != nil || res2.ExitCode != 0 {
		t.Fatalf("second apply: exit %d, %v", res2.ExitCode, err)
	}
	for _, o := range res2.Apply.Outcomes {
		if o.Status != apply.Unchanged || o.Attempts != 0 {
			t.Errorf("second apply %s: %s (%d attempts): %s", o.ID, o.Status, o.Attempts, o.Message)
		}
	}
	if w := s.srv.Stats().Writes; w != writes {
		t.Errorf("the second apply wrote: writes %d → %d", writes, w)
	}
	checkRelations(t, s.state(), wantAfter(before, p))

	// Restore and activate undo suspend and deactivate.
	undo := &plan.Plan{Actions: []plan.Action{userAction("restore", plan.Restore, acc("suspend")), userAction("activate", plan.Activate, acc("deactivate"))}}
	res3, err := Apply(context.Background(), job, undo, Options{}, nil)
	if err != nil || res3.ExitCode != 0 {
		t.Fatalf("undo apply: exit %d, %v %+v", res3.ExitCode, err, res3.Apply.Outcomes)
	}
	final := s.state()
	if u := final.users[acc("suspend")]; u.Attrs["active"] != true {
		t.Errorf("restored user: %+v", u.Attrs)
	}
	if u := final.users[acc("deactivate")]; u.Attrs["account_status"] != "active" || u.Attrs["active"] != true {
		t.Errorf("activated user: %+v", u.Attrs)
	}
}

func checkRunFolder(t *testing.T, res Result, n int) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(res.Location, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	counts, _ := m["counts"].(map[string]any)
	if m["kind"] != "apply" || m["status"] != "complete" || counts["applied"] != float64(n) || counts["failed"] != float64(0) {
		t.Errorf("manifest: kind %v status %v counts %v", m["kind"], m["status"], m["counts"])
	}
	if req, _ := m["requests"].(map[string]any); req["total"] == float64(0) {
		t.Errorf("manifest requests: %v", m["requests"])
	}
	if strings.Contains(string(raw), sim.DefaultToken) || strings.Contains(string(raw), sim.DefaultOrgAPIKey) {
		t.Error("the manifest holds a secret")
	}
	f, err := os.Open(filepath.Join(res.Location, "actions", "part-00000.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := "id,op,relation,entity,from_type,from_id,to_type,to_id,status,http_status,message,ticket_key,attempts,started_at,finished_at"
	if len(rows) != n+1 || strings.Join(rows[0], ",") != wantHeader {
		t.Fatalf("actions table: %d rows, header %v", len(rows), rows[0])
	}
	for _, r := range rows[1:] {
		if r[8] != "applied" || r[12] != "1" || r[13] == "" || r[14] == "" {
			t.Errorf("actions row %v", r)
		}
	}
}
