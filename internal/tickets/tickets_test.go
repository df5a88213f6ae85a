package tickets

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/plan"
)

var labelRE = regexp.MustCompile(`^jira-extractor-[0-9a-f]{32}$`)

func TestDedupeLabelIsStableValidAndIgnoresIDAndMode(t *testing.T) {
	a := plan.Action{ID: "a1", Op: plan.Revoke, Relation: plan.HasRole, FromType: "group", FromID: `g, "1" 🎉`, ToType: "project_role", ToID: "010000:0010002"}
	l := DedupeLabel(a)
	// A golden value: the label must not drift between versions, or a
	// re-run after an upgrade would open second issues.
	if l != "jira-extractor-2c7a937d4502687f4f4b1e5372ee97ae" {
		t.Fatalf("label %q drifted", l)
	}
	if !labelRE.MatchString(l) || len(l) != 47 {
		t.Fatalf("label %q is not 47 characters of [a-z0-9-]", l)
	}
	b := a
	b.ID, b.Mode, b.ToID = "other", plan.ModeTicket, "10000:10002"
	if DedupeLabel(b) != l {
		t.Error("the id, the mode or leading zeros of the role changed the label")
	}
	for _, change := range []func(*plan.Action){
		func(x *plan.Action) { x.Op = plan.Grant },
		func(x *plan.Action) { x.FromID = "g1" },
		func(x *plan.Action) { x.ToID = "10000:10003" },
		func(x *plan.Action) { x.FromType = "user" },
	} {
		c := a
		change(&c)
		if DedupeLabel(c) == l {
			t.Errorf("a different change has the same label: %+v", c)
		}
	}
	// User ops: the account from to_id or from the id is the same change.
	u1 := plan.Action{ID: "acc-1", Op: plan.Suspend, Entity: "user"}
	u2 := plan.Action{ID: "x", Op: plan.Suspend, Entity: "user", ToID: "acc-1"}
	if DedupeLabel(u1) != DedupeLabel(u2) {
		t.Error("suspend of the same account by id and by to_id differ")
	}
	c1 := plan.Action{ID: "c", Op: plan.Create, Entity: "user", Email: "A@Example.com", Products: []string{"jira-software", "jira-core"}}
	c2 := plan.Action{ID: "d", Op: plan.Create, Entity: "user", Email: "a@example.com", Products: []string{"jira-core", "jira-software"}}
	if DedupeLabel(c1) != DedupeLabel(c2) {
		t.Error("email case or product order changed the label")
	}
}

func TestSummaryIsOneBoundedLine(t *testing.T) {
	a := plan.Action{Op: plan.Revoke}
	s := Summary(a, "remove Jane\nDoe\t(x) from group "+strings.Repeat("é🎉", 200))
	if n := javaLen(s); strings.ContainsAny(s, "\r\n\t") || n > maxSummary || n < maxSummary-2 || !strings.HasPrefix(s, "Revoke: remove Jane Doe (x) from group é🎉") {
		t.Fatalf("summary %q (%d UTF-16 code units)", s, n)
	}
}

// TestSummaryFitsJavaLength: Jira checks the summary's length as a Java
// String, in UTF-16 code units; an emoji is two. A summary of 255 runes
// with emoji is refused (400 "Summary must be less than 255 characters").
func TestSummaryFitsJavaLength(t *testing.T) {
	a := plan.Action{ID: "a", Op: plan.Grant, Relation: plan.MemberOf, FromType: "user", FromID: "acc-1", ToType: "group", ToID: "g"}
	s := Summary(a, "add Jane to group "+strings.Repeat("🎉", 300))
	if n := javaLen(s); n > maxSummary || n < maxSummary-2 || !utf8.ValidString(s) {
		t.Fatalf("summary is %d UTF-16 code units (valid UTF-8 %v), Jira's limit is %d", n, utf8.ValidString(s), maxSummary)
	}
}

// TestSummaryCutKeepsWholeCharacters: the cut never leaves a base letter
// without its combining mark, nor half of a ZWJ emoji sequence.
func TestSummaryCutKeepsWholeCharacters(t *testing.T) {
	a := plan.Action{Op: plan.Revoke}
	for _, unit := range []string{"e\u0301", "👩\u200d💻", "a\u0308\u0304"} {
		for pad := range 4 {
			s := Summary(a, strings.Repeat("x", pad)+strings.Repeat(unit, 200))
			body := strings.TrimSuffix(s, "…")
			if javaLen(s) > maxSummary || !strings.HasSuffix(body, unit) {
				t.Errorf("unit %q pad %d: %d code units, ends %q", unit, pad, javaLen(s), []rune(body)[len([]rune(body))-4:])
			}
		}
	}
}

func javaLen(s string) int { return len(utf16.Encode([]rune(s))) }

func TestRefusedNamesTheRequiredField(t *testing.T) {
	err := refused(jira.WriteResult{Class: jira.WriteRejected, Status: 400, Message: "customfield_10200: customfield_10200 is required.; summary: too long"},
		Options{ProjectKey: "PAY", IssueType: "Task"})
	if err == nil || !strings.Contains(err.Error(), "project PAY requires customfield_10200 for issue type \"Task\"") || strings.Contains(err.Error(), "requires customfield_10200, summary") {
		t.Fatalf("%v", err)
	}
	err = refused(jira.WriteResult{Class: jira.WriteRejected, Status: 403, Message: "You do not have permission to create issues"}, Options{})
	if err == nil || strings.Contains(err.Error(), "requires") {
		t.Fatalf("%v", err)
	}
}

// newClient is a detected client for the simulator at url.
func newClient(t *testing.T, url string) *jira.Client {
	t.Helper()
	job, err := config.Parse(simtest.Job(t, url, t.TempDir(), nil), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := jira.New(job.Resolve().Job.Jira)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Detect(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

func someGrant(t *testing.T, srv *sim.Server) plan.Action {
	t.Helper()
	tr := srv.Truth(sim.TruthOptions{})
	for _, r := range tr.Relations {
		if r.Kind == model.MemberOf {
			return plan.Action{ID: "t1", Op: plan.Revoke, Relation: plan.MemberOf, FromType: "user", FromID: r.FromID, ToType: "group", ToID: r.ToID, Mode: plan.ModeTicket}
		}
	}
	t.Fatal("no membership")
	return plan.Action{}
}

// A create whose answer is lost (500 after the create, or a dropped
// connection) is not sent again: the label is searched, and the issue the
// create made is found.
func TestLostCreateAnswerIsSearchedNotRepeated(t *testing.T) {
	for _, f := range []sim.Faults{{AfterWrite500: 1}, {AfterWriteReset: 1}} {
		srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 3, Faults: f})
		c := newClient(t, url)
		a := someGrant(t, srv)
		tk := New(c, Options{ProjectKey: "WEB", IssueType: "Task", PlanID: "p", RunID: "r"})
		got, err := tk.Ticket(context.Background(), a, apply.TicketRequest{Change: "x", Reason: "y"})
		issues := srv.Issues()
		if err != nil || len(issues) != 1 || got.Key != issues[0].Key {
			t.Fatalf("faults %+v: ticket %+v err %v issues %+v", f, got, err, issues)
		}
		if st := srv.Stats(); st.WriteRequests != 1 {
			t.Fatalf("faults %+v: %d write requests, want 1", f, st.WriteRequests)
		}
	}
}

// Search pages follow nextPageToken; an open issue wins over a newer done
// one; the search's answer must carry the label.
func TestFindTicketPagesAndPrefersOpen(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 3})
	c := newClient(t, url)
	a := someGrant(t, srv)
	label := DedupeLabel(a)
	tk := New(c, Options{ProjectKey: "WEB", IssueType: "Task", Labels: []string{"noise"}})
	// 120 other issues, so a search of the project needs 2 pages.
	other := New(c, Options{ProjectKey: "WEB", IssueType: "Task"})
	for i := range 120 {
		b := a
		b.FromID = a.FromID + "-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		if _, err := other.Ticket(context.Background(), b, apply.TicketRequest{Change: "c", Reason: "r"}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := tk.Ticket(context.Background(), a, apply.TicketRequest{Change: "c", Reason: "r"})
	if err != nil || first.Existing {
		t.Fatalf("first %+v %v", first, err)
	}
	if err := srv.TransitionIssue(first.Key, "Done"); err != nil {
		t.Fatal(err)
	}
	fresh := New(c, Options{ProjectKey: "WEB", IssueType: "Task"})
	found, ok, err := fresh.FindTicket(context.Background(), a)
	if err != nil || !ok || found.Key != first.Key || found.StatusCategory != "done" || !found.Existing {
		t.Fatalf("find %+v %v %v", found, ok, err)
	}
	n := 0
	for _, is := range srv.Issues() {
		for _, l := range is.Labels {
			if l == label {
				n++
			}
		}
	}
	if n != 1 || len(srv.Issues()) != 121 {
		t.Fatalf("%d issues with the label, %d in all", n, len(srv.Issues()))
	}
	keys := map[string]bool{}
	err = c.SearchIssues(context.Background(), `project = "WEB"`, []string{"status"}, func(is jira.Issue) error {
		if keys[is.Key] || is.Fields.Status == nil {
			t.Errorf("issue %s twice or without status", is.Key)
		}
		keys[is.Key] = true
		return nil
	})
	if err != nil || len(keys) != 121 || srv.Stats().ByEndpoint["GET /rest/api/3/search/jql"] < 2 {
		t.Fatalf("search: %d issues, %v", len(keys), err)
	}
}
