package apply

import (
	"context"
	"errors"
	"testing"

	"github.com/govextract/jira-extractor/internal/plan"
)

func TestPersonOnlyRefusalFallsBackToTicket(t *testing.T) {
	s := newSite().addUser("u1", "u2").addGroup("synced", "u2")
	p := mkPlan(t, s, member("add", plan.Grant, "u1", "synced"), member("del", plan.Revoke, "u2", "synced"))
	s.script["add"], s.script["del"] = []fault{personOnly}, []fault{personOnly}
	tk := &fakeTickets{}
	cfg := testConfig(&sleeper{})
	cfg.Tickets = tk
	r := mustRun(t, s, p, cfg)
	m := byID(r)
	expect(t, m["add"], Ticketed, 2, `ticket PROJ-`, `asks to add user "u1" to group "synced"`,
		"opened because the API refused the change as one only a person can make (HTTP 403: group is synced from an identity provider)")
	expect(t, m["del"], Ticketed, 2, `asks to remove user "u2" from group "synced"`, "opened because")
	if !m["add"].Fallback || !m["del"].Fallback || r.Summary.Fallbacks != 2 || r.Summary.Counts[Ticketed] != 2 {
		t.Fatalf("fallbacks %d counts %v", r.Summary.Fallbacks, r.Summary.Counts)
	}
	if m["add"].HTTPStatus != 403 || s.writes["add"] != 1 {
		t.Fatalf("http %d writes %d: the refused write is made once", m["add"].HTTPStatus, s.writes["add"])
	}
	for _, req := range tk.requests {
		if !req.Fallback || req.Reason == "" {
			t.Fatalf("request %+v", req)
		}
	}
	if ExitCode(r, nil) != ExitOK {
		t.Fatalf("exit %d", ExitCode(r, nil))
	}
}

func TestPersonOnlyRefusalWithoutTicketsFails(t *testing.T) {
	s := newSite().addUser("u1").addGroup("synced")
	p := mkPlan(t, s, member("add", plan.Grant, "u1", "synced"))
	s.script["add"] = []fault{personOnly}
	r := mustRun(t, s, p, testConfig(&sleeper{}))
	expect(t, r.Outcomes[0], Failed, 1, "only a person can make this change", "tickets.projectKey")
	if r.Summary.Fallbacks != 0 || ExitCode(r, nil) != ExitPartial {
		t.Fatalf("fallbacks %d exit %d", r.Summary.Fallbacks, ExitCode(r, nil))
	}
}

func TestOtherRefusalsAreNotTicketed(t *testing.T) {
	s := newSite().addUser("u1").addGroup("g1")
	p := mkPlan(t, s, member("add", plan.Grant, "u1", "g1"))
	s.script["add"] = []fault{reject}
	tk := &fakeTickets{}
	cfg := testConfig(&sleeper{})
	cfg.Tickets = tk
	r := mustRun(t, s, p, cfg)
	expect(t, r.Outcomes[0], Failed, 1, "the site refused (HTTP 403: You do not have permission)")
	if len(tk.opened) != 0 {
		t.Fatal("a plain 403 was ticketed")
	}
}

func TestDryRunFindsExistingTicket(t *testing.T) {
	s := newSite().addUser("u1").addGroup("g1")
	a := member("t1", plan.Grant, "u1", "g1")
	a.Mode = plan.ModeTicket
	tk := &fakeTickets{opened: map[string]string{"t1": "OPS-7"}}
	cfg := testConfig(&sleeper{})
	cfg.Tickets, cfg.DryRun = tk, true
	r := mustRun(t, s, mkPlan(t, s, a), cfg)
	expect(t, r.Outcomes[0], Ticketed, 0, "dry-run: ticket OPS-7 (status To Do) already asks to", "nothing would be opened")
	if r.Outcomes[0].TicketKey != "OPS-7" || len(tk.requests) != 0 {
		t.Fatalf("key %q requests %d", r.Outcomes[0].TicketKey, len(tk.requests))
	}
	tk.fail = errors.New("HTTP 400: bad JQL")
	r = mustRun(t, s, mkPlan(t, s, member("t2", plan.Grant, "u1", "g1")), cfg)
	expect(t, r.Outcomes[0], Skipped, 0, "dry-run: would add") // not a ticket action: no search
}

func TestTicketActionWithUnreadableTarget(t *testing.T) {
	s := &unreadable{newSite().addUser("u1")}
	a := plan.Action{ID: "s1", Op: plan.Suspend, Entity: "user", ToID: "u1", Mode: plan.ModeTicket}
	b := plan.Action{ID: "s2", Op: plan.Suspend, Entity: "user", ToID: "u1"}
	tk := &fakeTickets{}
	cfg := testConfig(&sleeper{})
	cfg.Tickets = tk
	r := mustRun(t, s, &plan.Plan{Actions: []plan.Action{a, b}}, cfg)
	m := byID(r)
	expect(t, m["s1"], Ticketed, 1, "asks to suspend")
	expect(t, m["s2"], Failed, 0, "read the current state")
}

// unreadable is a site whose user ops cannot be read (no Admin API key).
type unreadable struct{ *fakeSite }

func (u *unreadable) Read(ctx context.Context, a plan.Action) (State, error) {
	if a.IsUserOp() {
		return State{}, ErrUnreadable
	}
	return u.fakeSite.Read(ctx, a)
}
