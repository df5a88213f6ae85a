package applycmd

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/plan"
	"github.com/govextract/jira-extractor/internal/tickets"
)

const ticketProject = "WEB"

func ticketsJob(extra map[string]any) map[string]any {
	m := map[string]any{"tickets.projectKey": ticketProject, "tickets.labels": []string{"access-review", "from-plan"}}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func asTicket(a plan.Action) plan.Action { a.Mode = plan.ModeTicket; return a }

func mustPlan(t *testing.T, acts ...plan.Action) *plan.Plan {
	t.Helper()
	p := &plan.Plan{Actions: acts}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return p
}

// issuesWith are the simulator's issues carrying a label.
func issuesWith(s *site, label string) []sim.IssueTruth {
	var out []sim.IssueTruth
	for _, is := range s.srv.Issues() {
		for _, l := range is.Labels {
			if l == label {
				out = append(out, is)
			}
		}
	}
	return out
}

func TestTicketActionsOpenTrackAndNeverDuplicate(t *testing.T) {
	ticketActions(t, sim.Config{Size: "small", Seed: 11})
}

// TestTicketActionsOnADocumentedOnlySite: the same against a site that
// does not serve createmeta (the project is confirmed by project/search).
func TestTicketActionsOnADocumentedOnlySite(t *testing.T) {
	ticketActions(t, sim.Config{Size: "small", Seed: 11, StrictDocumentedOnly: true, Directories: 2})
}

func ticketActions(t *testing.T, cfg sim.Config) {
	s := startSite(t, cfg)
	pk := newPicker(t, s)
	grant := asTicket(actionOf("t-grant", plan.Grant, pk.relation(model.MemberOf, "user", false)))
	revoke := asTicket(actionOf("t-revoke", plan.Revoke, pk.relation(model.HasRole, "group", true)))
	suspend := asTicket(userAction("t-suspend", plan.Suspend, pk.user()))
	api := actionOf("api", plan.Grant, pk.relation(model.MemberOf, "user", false))
	p := mustPlan(t, grant, revoke, suspend, api)
	before := s.state()
	job := s.job(t, t.TempDir(), ticketsJob(map[string]any{"output.format": "csv"}))
	s.srv.ResetStats()

	// A dry run searches and creates nothing.
	dry, err := Apply(context.Background(), job, p, Options{DryRun: true}, nil)
	if err != nil || dry.ExitCode != 0 {
		t.Fatalf("dry run: exit %d %v", dry.ExitCode, err)
	}
	for _, id := range []string{"t-grant", "t-revoke", "t-suspend"} {
		if o := byID(dry)[id]; o.Status != apply.Skipped || !strings.Contains(o.Message, "dry-run: would open a ticket") {
			t.Errorf("dry run %s: %s %s", id, o.Status, o.Message)
		}
	}
	st := s.srv.Stats()
	if st.WriteRequests != 0 || len(s.srv.Issues()) != 0 || st.ByEndpoint["GET /rest/api/3/search/jql"] != 3 {
		t.Fatalf("dry run: write requests %d, issues %d, searches %d", st.WriteRequests, len(s.srv.Issues()), st.ByEndpoint["GET /rest/api/3/search/jql"])
	}

	res, err := Apply(context.Background(), job, p, Options{}, nil)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("apply: exit %d %v %+v", res.ExitCode, err, res.Apply.Outcomes)
	}
	m := byID(res)
	if m["api"].Status != apply.Applied {
		t.Errorf("api action: %s %s", m["api"].Status, m["api"].Message)
	}
	issues := s.srv.Issues()
	if len(issues) != 3 {
		t.Fatalf("%d issues created, want 3: %+v", len(issues), issues)
	}
	users := s.state().users
	for _, a := range []plan.Action{grant, revoke, suspend} {
		o := m[a.ID]
		label := tickets.DedupeLabel(a)
		got := issuesWith(s, label)
		if o.Status != apply.Ticketed || o.TicketKey == "" || len(got) != 1 || got[0].Key != o.TicketKey {
			t.Fatalf("%s: %s key %q, issues with its label %+v: %s", a.ID, o.Status, o.TicketKey, got, o.Message)
		}
		is := got[0]
		if is.Project != ticketProject || is.IssueType != "Task" || strings.Join(is.Labels, ",") != "access-review,from-plan,"+label {
			t.Errorf("%s: issue %+v", a.ID, is)
		}
		if o.Attempts != 1 || o.HTTPStatus != 0 || !strings.Contains(o.Message, "ticket "+o.TicketKey+" asks to") {
			t.Errorf("%s: attempts %d http %d message %q", a.ID, o.Attempts, o.HTTPStatus, o.Message)
		}
		// The description lists every field of the action, the plan id and the run id.
		desc := string(is.Description)
		for _, f := range tickets.ActionFields(a) {
			if f[1] != "" && !strings.Contains(desc, jsonQuoted(f[1])) {
				t.Errorf("%s: description lacks %s %q", a.ID, f[0], f[1])
			}
		}
		for _, want := range []string{PlanID(p), res.Manifest.RunID, `"type":"doc"`, `"version":1`} {
			if !strings.Contains(desc, want) {
				t.Errorf("%s: description lacks %q", a.ID, want)
			}
		}
		// The summary names the user by name.
		who := a.FromID
		if a.IsUserOp() {
			who = a.Account()
		}
		if u, ok := users[who]; ok {
			for _, w := range strings.Fields(u.Name) {
				if !strings.Contains(is.Summary, w) {
					t.Errorf("%s: summary %q lacks the user's name %q", a.ID, is.Summary, u.Name)
				}
			}
		}
	}
	for _, e := range s.srv.Truth(sim.TruthOptions{}).Entities {
		if e.SourceType == model.Group && (e.SourceID == grant.ToID || e.SourceID == revoke.FromID) {
			for _, a := range []plan.Action{grant, revoke} {
				sum := issuesWith(s, tickets.DedupeLabel(a))[0].Summary
				if (a.ToID == e.SourceID || a.FromID == e.SourceID) && !strings.Contains(sum, strings.Join(strings.Fields(e.Name), " ")) {
					t.Errorf("%s: summary %q lacks the group's name %q", a.ID, sum, e.Name)
				}
			}
		}
	}
	if !strings.HasPrefix(m["t-grant"].Message, "ticket ") || !strings.HasPrefix(issuesWith(s, tickets.DedupeLabel(grant))[0].Summary, "Grant: add ") {
		t.Errorf("grant summary %q", issuesWith(s, tickets.DedupeLabel(grant))[0].Summary)
	}
	if !strings.HasPrefix(issuesWith(s, tickets.DedupeLabel(revoke))[0].Summary, "Revoke: remove group ") {
		t.Errorf("revoke summary %q", issuesWith(s, tickets.DedupeLabel(revoke))[0].Summary)
	}
	// Ticket actions change nothing on the site; the API action does.
	want := map[string]bool{}
	for k := range before.rels {
		want[k] = true
	}
	want[relOf(api).Key()] = true
	checkRelations(t, s.state(), want)
	if c := res.Manifest.Counts; c["ticketed"] != 3 || c["applied"] != 1 || res.Manifest.TicketFallbacks != 0 {
		t.Errorf("manifest counts %v fallbacks %d", c, res.Manifest.TicketFallbacks)
	}
	outs, err := ReadActions(context.Background(), location.MustParse(res.Location), nil)
	if err != nil || len(outs) != 4 {
		t.Fatalf("read actions: %d %v", len(outs), err)
	}
	for i, o := range outs {
		if o.TicketKey != res.Apply.Outcomes[i].TicketKey || o.Status != res.Apply.Outcomes[i].Status {
			t.Errorf("actions table row %d: %+v", i, o)
		}
	}

	// Again: the same issues are found, none is opened.
	writes := s.srv.Stats().Writes
	res2, err := Apply(context.Background(), job, p, Options{}, nil)
	if err != nil || res2.ExitCode != 0 {
		t.Fatalf("again: exit %d %v", res2.ExitCode, err)
	}
	for _, a := range []plan.Action{grant, revoke, suspend} {
		o := byID(res2)[a.ID]
		if o.Status != apply.Ticketed || o.TicketKey != m[a.ID].TicketKey || !strings.Contains(o.Message, "no second ticket opened") {
			t.Errorf("again %s: %s %q %s", a.ID, o.Status, o.TicketKey, o.Message)
		}
	}
	if len(s.srv.Issues()) != 3 || s.srv.Stats().Writes != writes {
		t.Fatalf("again: %d issues, writes %d → %d", len(s.srv.Issues()), writes, s.srv.Stats().Writes)
	}
	// A dry run now finds them.
	dry2, err := Apply(context.Background(), job, p, Options{DryRun: true}, nil)
	if err != nil || byID(dry2)["t-grant"].Status != apply.Ticketed || byID(dry2)["t-grant"].TicketKey != m["t-grant"].TicketKey {
		t.Fatalf("dry run after: %v %+v", err, byID(dry2)["t-grant"])
	}

	// Tracking: one done, the others not.
	if err := s.srv.TransitionIssue(m["t-grant"].TicketKey, "Done"); err != nil {
		t.Fatal(err)
	}
	if err := s.srv.TransitionIssue(m["t-revoke"].TicketKey, "In Progress"); err != nil {
		t.Fatal(err)
	}
	sts, err := Track(context.Background(), job, location.MustParse(res.Location))
	if err != nil || len(sts) != 3 {
		t.Fatalf("track: %d %v", len(sts), err)
	}
	wantStatus := map[string][3]string{"t-grant": {"Done", "done", "true"}, "t-revoke": {"In Progress", "indeterminate", "false"}, "t-suspend": {"To Do", "new", "false"}}
	for _, st := range sts {
		w := wantStatus[st.Action]
		if st.Key != m[st.Action].TicketKey || st.Status != w[0] || st.Category != w[1] || boolStr(st.Done) != w[2] || st.Error != "" {
			t.Errorf("track %+v, want %v", st, w)
		}
	}
	if AllDone(sts) {
		t.Error("AllDone with two open tickets")
	}
	_ = s.srv.TransitionIssue(m["t-revoke"].TicketKey, "done")
	_ = s.srv.TransitionIssue(m["t-suspend"].TicketKey, "Done")
	sts, _ = Track(context.Background(), job, location.MustParse(res.Location))
	if !AllDone(sts) {
		t.Errorf("not all done: %+v", sts)
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// jsonQuoted is how a field value appears in the description's JSON.
func jsonQuoted(v string) string {
	b, _ := json.Marshal(strconv.Quote(v))
	return strings.TrimSuffix(strings.TrimPrefix(string(b), `"`), `"`)
}

func TestSyncedGroupFallsBackToTicket(t *testing.T) {
	s := startSite(t, sim.Config{Size: "small", Seed: 11})
	synced := s.srv.SyncedGroupIDs()
	if len(synced) != 1 {
		t.Fatalf("synced groups: %v", synced)
	}
	g := synced[0]
	st := s.state()
	var member, outsider string
	for _, r := range st.rels {
		if r.Kind == model.MemberOf && r.ToID == g && r.FromID != s.self && member == "" {
			member = r.FromID
		}
	}
	for _, u := range newPicker(t, s).users {
		if !st.has(model.MemberOfRel(u, g)) {
			outsider = u
			break
		}
	}
	if member == "" || outsider == "" {
		t.Fatalf("member %q outsider %q", member, outsider)
	}
	p := mustPlan(t, actionOf("add", plan.Grant, model.MemberOfRel(outsider, g)), actionOf("del", plan.Revoke, model.MemberOfRel(member, g)))

	// Without tickets: failed, with the fix.
	plain := s.job(t, t.TempDir(), nil)
	res, err := Apply(context.Background(), plain, p, Options{AllowSelf: true}, nil)
	if err != nil || res.ExitCode != apply.ExitPartial {
		t.Fatalf("without tickets: exit %d %v", res.ExitCode, err)
	}
	for _, o := range res.Apply.Outcomes {
		if o.Status != apply.Failed || o.HTTPStatus != 403 || !strings.Contains(o.Message, "tickets.projectKey") || !strings.Contains(o.Message, "identity provider") {
			t.Errorf("without tickets %s: %s %d %s", o.ID, o.Status, o.HTTPStatus, o.Message)
		}
	}
	if len(s.srv.Issues()) != 0 {
		t.Fatal("an issue was opened without tickets configured")
	}

	// With tickets: ticketed, counted as fallbacks, the message says why.
	job := s.job(t, t.TempDir(), ticketsJob(nil))
	res, err = Apply(context.Background(), job, p, Options{AllowSelf: true}, nil)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("with tickets: exit %d %v %+v", res.ExitCode, err, res.Apply.Outcomes)
	}
	for _, o := range res.Apply.Outcomes {
		if o.Status != apply.Ticketed || o.HTTPStatus != 403 || o.Attempts != 2 ||
			!strings.Contains(o.Message, "opened because the API refused the change as one only a person can make (HTTP 403: ") ||
			!strings.Contains(o.Message, "synced from an identity provider") {
			t.Errorf("with tickets %s: %s %d %d %s", o.ID, o.Status, o.HTTPStatus, o.Attempts, o.Message)
		}
		if got := issuesWith(s, tickets.DedupeLabel(p.Actions[0])); len(got) != 1 {
			t.Errorf("issues of the grant: %+v", got)
		}
	}
	if res.Manifest.TicketFallbacks != 2 || res.Manifest.Counts["ticketed"] != 2 || len(s.srv.Issues()) != 2 {
		t.Errorf("fallbacks %d counts %v issues %d", res.Manifest.TicketFallbacks, res.Manifest.Counts, len(s.srv.Issues()))
	}
	if after := s.state(); !after.has(model.MemberOfRel(member, g)) || after.has(model.MemberOfRel(outsider, g)) {
		t.Error("the synced group changed")
	}
	// The same change asked as a "ticket" action finds the fallback's issue.
	res, err = Apply(context.Background(), job, mustPlan(t, asTicket(actionOf("other-id", plan.Grant, model.MemberOfRel(outsider, g)))), Options{}, nil)
	if err != nil || res.Apply.Outcomes[0].Status != apply.Ticketed || len(s.srv.Issues()) != 2 {
		t.Fatalf("explicit ticket after the fallback: %v %+v, %d issues", err, res.Apply.Outcomes[0], len(s.srv.Issues()))
	}
}

func TestTicketsValidatedBeforeTheFirstWrite(t *testing.T) {
	s := startSite(t, sim.Config{Size: "small", Seed: 11})
	pk := newPicker(t, s)
	p := mustPlan(t, actionOf("api", plan.Grant, pk.relation(model.MemberOf, "user", false)),
		asTicket(actionOf("t", plan.Grant, pk.relation(model.MemberOf, "user", false))))
	cases := []struct {
		name  string
		extra map[string]any
		want  []string
	}{
		{"unknown project", map[string]any{"tickets.projectKey": "NOPE"}, []string{"tickets.projectKey", `project "NOPE" does not exist`, "fix:"}},
		{"unknown issue type", ticketsJob(map[string]any{"tickets.issueType": "Chore"}), []string{"tickets.issueType", `"Chore" is not an issue type of project WEB`, `use one of "Task"`}},
		{"subtask type", ticketsJob(map[string]any{"tickets.issueType": "subtask"}), []string{"tickets.issueType", "subtask type"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.srv.ResetStats()
			res, err := Apply(context.Background(), s.job(t, t.TempDir(), c.extra), p, Options{}, nil)
			var ce *tickets.ConfigError
			if !errors.As(err, &ce) || res.ExitCode != apply.ExitBadInput || len(res.Apply.Outcomes) != 0 {
				t.Fatalf("exit %d err %v", res.ExitCode, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if st := s.srv.Stats(); st.WriteRequests != 0 {
				t.Errorf("%d write requests before the check", st.WriteRequests)
			}
		})
	}
	// A ticket action without a tickets section is a plan problem.
	err := Check(s.job(t, t.TempDir(), nil), p)
	var pe *plan.Error
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || pe.Problems[0].ID != "t" || pe.Problems[0].Field != "mode" ||
		!strings.Contains(pe.Problems[0].Message, `"tickets": {"projectKey": "KEY"}`) {
		t.Fatalf("check: %v", err)
	}
}

func TestRequiredCustomFieldNamedFromTheCreateAnswer(t *testing.T) {
	s := startSite(t, sim.Config{Size: "small", Seed: 11, RequiredIssueFields: map[string][]string{ticketProject: {"customfield_10200"}}})
	pk := newPicker(t, s)
	p := mustPlan(t, asTicket(actionOf("t", plan.Grant, pk.relation(model.MemberOf, "user", false))))
	res, err := Apply(context.Background(), s.job(t, t.TempDir(), ticketsJob(nil)), p, Options{}, nil)
	if err != nil || res.ExitCode != apply.ExitPartial {
		t.Fatalf("exit %d %v", res.ExitCode, err)
	}
	o := res.Apply.Outcomes[0]
	for _, w := range []string{"HTTP 400", "customfield_10200", "requires customfield_10200", "tickets.issueType"} {
		if o.Status != apply.Failed || !strings.Contains(o.Message, w) {
			t.Errorf("outcome %s %q lacks %q", o.Status, o.Message, w)
		}
	}
	if len(s.srv.Issues()) != 0 {
		t.Error("an issue was created")
	}
}
