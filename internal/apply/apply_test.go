package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/plan"
)

const self = "5b10ac8d82e05b22cc7d0self"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func member(id string, op plan.Op, user, group string) plan.Action {
	return plan.Action{ID: id, Op: op, Relation: plan.MemberOf, FromType: "user", FromID: user, ToType: "group", ToID: group}
}

func role(id string, op plan.Op, fromType, from, role string) plan.Action {
	return plan.Action{ID: id, Op: op, Relation: plan.HasRole, FromType: fromType, FromID: from, ToType: "project_role", ToID: role}
}

func userOp(id string, op plan.Op, acct string) plan.Action {
	return plan.Action{ID: id, Op: op, Entity: "user", ToID: acct}
}

func mkPlan(t *testing.T, s *fakeSite, actions ...plan.Action) *plan.Plan {
	t.Helper()
	p := &plan.Plan{Actions: actions}
	if err := p.Validate(); err != nil {
		t.Fatalf("test plan is invalid: %v", err)
	}
	return s.use(p)
}

func testConfig(sl *sleeper) Config {
	return Config{SelfAccountID: self, Sleep: sl.sleep, Now: func() time.Time { return t0 },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func mustRun(t *testing.T, s Target, p *plan.Plan, cfg Config) Result {
	t.Helper()
	r, err := Run(context.Background(), p, s, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return r
}

func byID(r Result) map[string]Outcome {
	m := map[string]Outcome{}
	for _, o := range r.Outcomes {
		m[o.ID] = o
	}
	return m
}

func expect(t *testing.T, o Outcome, status Status, attempts int, msgParts ...string) {
	t.Helper()
	if o.Status != status || o.Attempts != attempts {
		t.Fatalf("%s: status %s attempts %d, want %s attempts %d (message: %s)", o.ID, o.Status, o.Attempts, status, attempts, o.Message)
	}
	for _, p := range msgParts {
		if !strings.Contains(o.Message, p) {
			t.Fatalf("%s: message %q lacks %q", o.ID, o.Message, p)
		}
	}
}

// everyOp builds a site and a plan with one action of every kind, each of
// which changes something.
func everyOp(t *testing.T) (*fakeSite, *plan.Plan) {
	s := newSite().addUser("u1", "u2", "u3", "u4", "u5").addGroup("g1").addGroup("g2", "u2").
		addRole("10000:10002", "group:g2").addRole("10000:10003")
	s.users["u4"].suspended = true
	s.users["u5"].deactivated = true
	p := mkPlan(t, s,
		member("grant-member", plan.Grant, "u1", "g1"),
		member("revoke-member", plan.Revoke, "u2", "g2"),
		role("grant-role-user", plan.Grant, "user", "u1", "10000:10003"),
		role("revoke-role-group", plan.Revoke, "group", "g2", "10000:10002"),
		plan.Action{ID: "create", Op: plan.Create, Entity: "user", Email: "new+jira@example.com", Products: []string{"jira-software"}},
		userOp("remove", plan.Remove, "u3"),
		userOp("suspend", plan.Suspend, "u1"),
		userOp("restore", plan.Restore, "u4"),
		userOp("deactivate", plan.Deactivate, "u2"),
		userOp("activate", plan.Activate, "u5"),
	)
	return s, p
}

func TestEveryOpAppliedThenUnchangedOnSecondRun(t *testing.T) {
	s, p := everyOp(t)
	var sl sleeper
	r := mustRun(t, s, p, testConfig(&sl))
	for _, o := range r.Outcomes {
		expect(t, o, Applied, 1, "read-back shows")
		if o.HTTPStatus < 200 || o.HTTPStatus > 299 || o.StartedAt != t0 || o.FinishedAt != t0 {
			t.Fatalf("%s: http %d started %v finished %v", o.ID, o.HTTPStatus, o.StartedAt, o.FinishedAt)
		}
	}
	if !s.groups["g1"]["u1"] || s.groups["g2"]["u2"] || !s.roles["10000:10003"]["user:u1"] || s.roles["10000:10002"]["group:g2"] ||
		s.emails["new+jira@example.com"] == "" || s.users["u3"].onSite || !s.users["u1"].suspended || s.users["u4"].suspended ||
		!s.users["u2"].deactivated || s.users["u5"].deactivated {
		t.Fatal("the site does not show every change")
	}
	if got := r.Summary.Counts[Applied]; got != len(p.Actions) || ExitCode(r, nil) != ExitOK {
		t.Fatalf("summary %+v exit %d", r.Summary, ExitCode(r, nil))
	}

	writes := s.total(s.writes)
	again := mustRun(t, s, p, testConfig(&sl))
	for _, o := range again.Outcomes {
		expect(t, o, Unchanged, 0, "already as wanted")
	}
	if s.total(s.writes) != writes {
		t.Fatalf("the second run wrote %d times", s.total(s.writes)-writes)
	}
	if ExitCode(again, nil) != ExitOK {
		t.Fatal("an all-unchanged run must exit 0")
	}
}

func TestAlreadyAnswerIsUnchangedNotAChange(t *testing.T) {
	// The first read says "not a member" (someone else adds the member in
	// between), the write answers "already a member": not a change.
	s := newSite().addUser("u1").addGroup("g1")
	s.beforeWrite = func(a plan.Action) {
		s.mu.Lock()
		s.groups["g1"]["u1"] = true
		s.mu.Unlock()
	}
	p := mkPlan(t, s, member("a", plan.Grant, "u1", "g1"))
	o := mustRun(t, s, p, testConfig(&sleeper{})).Outcomes[0]
	expect(t, o, Unchanged, 1, "already done", "HTTP 400")
	if s.count(s.reads, "a") != 2 {
		t.Fatalf("reads = %d, want the first read and the read-back", s.count(s.reads, "a"))
	}
}

func TestAmbiguousWrites(t *testing.T) {
	cases := []struct {
		name     string
		script   []fault
		readErr  []bool
		status   Status
		attempts int
		writes   int
		waits    []time.Duration
		parts    []string
	}{
		{"took effect then 500: not repeated", []fault{applyThen500}, nil, Applied, 1, 1, nil, []string{"took effect", "HTTP 500"}},
		{"dropped before it took effect: re-read, then retried", []fault{drop}, nil, Applied, 2, 2, []time.Duration{2 * time.Second}, []string{"written"}},
		{"dropped every time: bounded", []fault{drop, drop, drop}, nil, Failed, 3, 3, []time.Duration{2 * time.Second, 4 * time.Second}, []string{"failed 3 times", "no answer", "is not a member"}},
		{"500 and the re-read fails: never a blind repeat", []fault{applyThen500}, []bool{false, true}, Failed, 1, 1, nil, []string{"outcome unknown", "was not retried"}},
		{"dropped and the re-read fails: never a blind repeat", []fault{drop}, []bool{false, true}, Failed, 1, 1, nil, []string{"outcome unknown"}},
		{"throttled: waits Retry-After, then retries", []fault{throttle}, nil, Applied, 2, 2, []time.Duration{7 * time.Second}, []string{"written"}},
		{"throttled every time: bounded", []fault{throttle, throttle, throttle}, nil, Failed, 3, 3, []time.Duration{7 * time.Second, 7 * time.Second}, []string{"throttled 3 times", "HTTP 429", "nothing was changed"}},
		{"rejected: failed without retry", []fault{reject}, nil, Failed, 1, 1, nil, []string{"refused", "HTTP 403"}},
		{"read-back disagrees", []fault{ghost}, nil, Failed, 1, 1, nil, []string{"read-back disagrees", `user "u1" is not a member of group "g1"`}},
		{"change undone before the read-back", []fault{reverted}, nil, Failed, 1, 1, nil, []string{"read-back disagrees"}},
		{"target deleted during the write", []fault{vanish}, nil, Failed, 1, 1, nil, []string{"re-read says", `group "g1" not found`}},
		{"read-back fails", nil, []bool{false, true}, Failed, 1, 1, nil, []string{"read-back failed", "run the plan again"}},
		{"first read fails: nothing written", nil, []bool{true}, Failed, 0, 0, nil, []string{"nothing was written"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSite().addUser("u1").addGroup("g1")
			s.script["a"], s.readErr["a"] = c.script, c.readErr
			p := mkPlan(t, s, member("a", plan.Grant, "u1", "g1"))
			var sl sleeper
			o := mustRun(t, s, p, testConfig(&sl)).Outcomes[0]
			expect(t, o, c.status, c.attempts, c.parts...)
			if got := s.count(s.writes, "a"); got != c.writes {
				t.Fatalf("writes = %d, want %d", got, c.writes)
			}
			if fmt.Sprint(sl.waits) != fmt.Sprint(c.waits) {
				t.Fatalf("waits = %v, want %v", sl.waits, c.waits)
			}
		})
	}
}

func TestNotFoundFailsWithoutWriting(t *testing.T) {
	s := newSite().addUser("u1")
	p := mkPlan(t, s, member("a", plan.Grant, "u1", "nogroup"), role("b", plan.Revoke, "user", "u1", "1:2"), userOp("c", plan.Suspend, "ghost"))
	r := mustRun(t, s, p, testConfig(&sleeper{}))
	for _, o := range r.Outcomes {
		expect(t, o, Failed, 0, "not found", "nothing was written")
	}
	if s.total(s.writes) != 0 || ExitCode(r, nil) != ExitPartial {
		t.Fatalf("writes %d exit %d", s.total(s.writes), ExitCode(r, nil))
	}
}

func TestNothingReachableExitsOne(t *testing.T) {
	s := newSite().addUser("u1").addGroup("g1")
	s.readErr["a"], s.readErr["b"] = []bool{true}, []bool{true}
	p := mkPlan(t, s, member("a", plan.Grant, "u1", "g1"), userOp("b", plan.Suspend, "u1"))
	r := mustRun(t, s, p, testConfig(&sleeper{}))
	if ExitCode(r, nil) != ExitNoRun {
		t.Fatalf("exit = %d, want 1 when no action could read the site", ExitCode(r, nil))
	}
}

func TestDryRunReadsEverythingWritesNothing(t *testing.T) {
	s := newSite().addUser("u1", "u2").addGroup("g1", "u2")
	p := mkPlan(t, s,
		member("would", plan.Grant, "u1", "g1"),
		member("already", plan.Grant, "u2", "g1"),
		plan.Action{ID: "ticket", Op: plan.Suspend, Entity: "user", ToID: "u1", Mode: plan.ModeTicket},
		member("missing", plan.Grant, "u1", "nogroup"),
	)
	cfg := testConfig(&sleeper{})
	cfg.DryRun, cfg.JournalPath = true, t.TempDir()+"/journal.jsonl"
	tk := &fakeTickets{}
	cfg.Tickets = tk
	r := mustRun(t, s, p, cfg)
	m := byID(r)
	expect(t, m["would"], Skipped, 0, `dry-run: would add user "u1" to group "g1"`, `is not a member`)
	expect(t, m["already"], Unchanged, 0, "already as wanted")
	expect(t, m["ticket"], Skipped, 0, "dry-run: would open a ticket to suspend")
	expect(t, m["missing"], Failed, 0, "not found")
	if m["would"].Reason != ReasonDryRun {
		t.Fatalf("reason = %q", m["would"].Reason)
	}
	if s.total(s.writes) != 0 || len(tk.opened) != 0 || s.total(s.reads) != 4 {
		t.Fatalf("writes %d tickets %d reads %d", s.total(s.writes), len(tk.opened), s.total(s.reads))
	}
	if s.groups["g1"]["u1"] {
		t.Fatal("dry-run changed the site")
	}
	if _, err := os.Stat(cfg.JournalPath); !os.IsNotExist(err) {
		t.Fatal("dry-run must not write a journal")
	}
	// A dry-run skip is not a failure: only the missing group makes it 3.
	r.Summary.Counts[Failed] = 0
	if ExitCode(r, nil) != ExitOK {
		t.Fatal("dry-run skips alone must exit 0")
	}
}

func TestMaxChangesRefusesTheWholePlan(t *testing.T) {
	s := newSite().addUser("u1").addGroup("g1").addGroup("g2").addGroup("g3")
	p := mkPlan(t, s, member("a", plan.Grant, "u1", "g1"), member("b", plan.Grant, "u1", "g2"), member("c", plan.Grant, "u1", "g3"))
	cfg := testConfig(&sleeper{})
	cfg.MaxChanges = 2
	r := mustRun(t, s, p, cfg)
	for _, o := range r.Outcomes {
		expect(t, o, Skipped, 0, "3 actions", "--max-changes 2")
	}
	if s.total(s.reads)+s.total(s.writes) != 0 {
		t.Fatal("a refused plan must not touch the site")
	}
	if ExitCode(r, nil) != ExitPartial || r.Summary.Guarded != 3 {
		t.Fatalf("exit %d guarded %d", ExitCode(r, nil), r.Summary.Guarded)
	}
	cfg.MaxChanges = 3
	if r := mustRun(t, s, p, cfg); r.Summary.Counts[Applied] != 3 {
		t.Fatalf("a plan of exactly MaxChanges actions must run: %+v", r.Summary)
	}
}

func TestMaxChangesDefaultsTo1000(t *testing.T) {
	s := newSite().addUser("u1")
	var actions []plan.Action
	for i := range 1001 {
		g := fmt.Sprintf("g%d", i)
		s.addGroup(g)
		actions = append(actions, member(g, plan.Grant, "u1", g))
	}
	cfg := testConfig(&sleeper{})
	r := mustRun(t, s, mkPlan(t, s, actions...), cfg)
	if r.Summary.Counts[Skipped] != 1001 || s.total(s.reads) != 0 {
		t.Fatalf("1001 actions: %+v", r.Summary)
	}
	cfg.MaxChanges = -1
	if r := mustRun(t, s, mkPlan(t, s, actions...), cfg); r.Summary.Counts[Applied] != 1001 {
		t.Fatalf("no limit: %+v", r.Summary)
	}
}

func TestSelfLockoutGuard(t *testing.T) {
	build := func() (*fakeSite, *plan.Plan) {
		s := newSite().addUser(self, "u1").addGroup("admins", self).addGroup("g1", self, "u1").addGroup("other", "u1").
			addRole("1:2", "user:"+self, "group:admins", "group:other")
		p := mkPlan(t, s,
			member("self-member", plan.Revoke, self, "g1"),
			role("self-role", plan.Revoke, "user", self, "1:2"),
			role("via-group", plan.Revoke, "group", "admins", "1:2"),
			userOp("self-suspend", plan.Suspend, self),
			plan.Action{ID: self, Op: plan.Deactivate, Entity: "user"}, // the account as the action id
			role("other-group", plan.Revoke, "group", "other", "1:2"),
			member("other-user", plan.Revoke, "u1", "g1"),
			member("grant-self", plan.Grant, self, "other"),
		)
		return s, p
	}
	s, p := build()
	r := mustRun(t, s, p, testConfig(&sleeper{}))
	m := byID(r)
	for _, id := range []string{"self-member", "self-role", "via-group", "self-suspend", self} {
		expect(t, m[id], Skipped, 0, "refused", "--allow-self")
		// One read (is it already done?) and no write.
		if m[id].Reason != ReasonSelf || s.count(s.writes, id) != 0 || s.count(s.reads, id) != 1 {
			t.Fatalf("%s: reason %q, %d writes, %d reads", id, m[id].Reason, s.count(s.writes, id), s.count(s.reads, id))
		}
	}
	expect(t, m["via-group"], Skipped, 0, `through group "admins"`)
	for _, id := range []string{"other-group", "other-user", "grant-self"} {
		expect(t, m[id], Applied, 1)
	}
	if ExitCode(r, nil) != ExitPartial {
		t.Fatal("guarded skips must exit 3")
	}

	s, p = build()
	cfg := testConfig(&sleeper{})
	cfg.AllowSelf = true
	if r := mustRun(t, s, p, cfg); r.Summary.Counts[Applied] != len(p.Actions) {
		t.Fatalf("AllowSelf: %+v", r.Summary)
	}
	// Re-running the plan without --allow-self takes nothing away: every
	// action, the guarded ones too, is unchanged and the exit code is 0.
	before := s.total(s.reads)
	r = mustRun(t, s, p, testConfig(&sleeper{}))
	if r.Summary.Counts[Unchanged] != len(p.Actions) || ExitCode(r, nil) != ExitOK {
		t.Fatalf("re-run without AllowSelf: %+v", r.Summary)
	}
	// One read an action: the guard's read of a guarded one is its only read.
	if n := s.total(s.reads) - before; n != len(p.Actions) {
		t.Fatalf("re-run read %d targets for %d actions", n, len(p.Actions))
	}

	// Without a way to list the account's groups, group-role revokes are refused.
	s, p = build()
	m = byID(mustRun(t, noGroups{s}, p, testConfig(&sleeper{})))
	expect(t, m["via-group"], Skipped, 0, "cannot tell")
	expect(t, m["other-group"], Skipped, 0, "cannot tell")
	s, p = build()
	s.selfGroupsErr = errors.New("HTTP 503")
	m = byID(mustRun(t, s, p, testConfig(&sleeper{})))
	expect(t, m["other-group"], Skipped, 0, "cannot tell", "HTTP 503")
}

func TestRefusedBeforeAnyRead(t *testing.T) {
	s := newSite().addUser("u1").addGroup("g1")
	bad := &plan.Plan{Actions: []plan.Action{member("a", plan.Grant, "u1", "g1"), member("a", plan.Revoke, "u1", "g1"), {ID: "b", Op: "fly"}}}
	_, err := Run(context.Background(), bad, s, testConfig(&sleeper{}))
	var pe *plan.Error
	if !errors.As(err, &pe) || len(pe.Problems) != 3 || ExitCode(Result{}, err) != ExitBadInput {
		t.Fatalf("err = %v", err)
	}

	good := mkPlan(t, s, plan.Action{ID: "t", Op: plan.Grant, Relation: plan.MemberOf, FromType: "user", FromID: "u1", ToType: "group", ToID: "g1", Mode: plan.ModeTicket})
	_, err = Run(context.Background(), good, s, testConfig(&sleeper{}))
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "tickets.projectKey") || ExitCode(Result{}, err) != ExitBadInput {
		t.Fatalf("ticket without Ticketer: err = %v", err)
	}
	cfg := testConfig(&sleeper{})
	cfg.SelfAccountID = ""
	_, err = Run(context.Background(), mkPlan(t, s, member("a", plan.Grant, "u1", "g1")), s, cfg)
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "--allow-self") {
		t.Fatalf("no self account: err = %v", err)
	}
	if s.total(s.reads)+s.total(s.writes) != 0 {
		t.Fatal("a refused plan touched the site")
	}
}

func TestTickets(t *testing.T) {
	s := newSite().addUser("u1", "u2").addGroup("g1", "u2")
	ticket := func(id, user string) plan.Action {
		a := member(id, plan.Grant, user, "g1")
		a.Mode = plan.ModeTicket
		return a
	}
	p := mkPlan(t, s, ticket("t1", "u1"), ticket("t2", "u2"))
	tk := &fakeTickets{}
	cfg := testConfig(&sleeper{})
	cfg.Tickets = tk
	m := byID(mustRun(t, s, p, cfg))
	expect(t, m["t1"], Ticketed, 1, `ticket PROJ-1 asks to add user "u1" to group "g1"`)
	expect(t, m["t2"], Unchanged, 0)
	if m["t1"].TicketKey != "PROJ-1" || s.total(s.writes) != 0 || len(tk.opened) != 1 {
		t.Fatalf("key %q writes %d tickets %d", m["t1"].TicketKey, s.total(s.writes), len(tk.opened))
	}
	tk.fail = errors.New("HTTP 400: issuetype is required")
	r := mustRun(t, s, mkPlan(t, s, ticket("t3", "u1")), cfg)
	expect(t, r.Outcomes[0], Failed, 1, "open a ticket", "issuetype")
}

func TestHostileIDsStayOneLine(t *testing.T) {
	id := `a,"b" 🎉 cafe` + "\u0301"
	s := newSite().addUser("u1").addGroup(`g"1`)
	p := mkPlan(t, s, member(id, plan.Grant, "u1", `g"1`))
	s.script[id] = []fault{ghost}
	o := mustRun(t, s, p, testConfig(&sleeper{})).Outcomes[0]
	if o.ID != id || strings.ContainsAny(o.Message, "\n\r") || !strings.Contains(o.Message, `group "g\"1"`) {
		t.Fatalf("outcome %+v", o)
	}
}

func TestProgressReportsEveryAction(t *testing.T) {
	s, p := everyOp(t)
	cfg := testConfig(&sleeper{})
	var seen []Progress
	cfg.Progress = func(pr Progress) { seen = append(seen, pr) }
	mustRun(t, s, p, cfg)
	if len(seen) != len(p.Actions) {
		t.Fatalf("%d progress calls for %d actions", len(seen), len(p.Actions))
	}
	for i, pr := range seen {
		if pr.Done != i+1 || pr.Total != len(p.Actions) || pr.Counts[Applied] != i+1 {
			t.Fatalf("progress %d = %+v", i, pr)
		}
	}
}

func TestExitCodes(t *testing.T) {
	sum := func(counts map[Status]int, guarded, cancelled, unreached int) Result {
		total := 0
		for _, n := range counts {
			total += n
		}
		return Result{Outcomes: make([]Outcome, total), Summary: Summary{Total: total, Counts: counts, Guarded: guarded, Cancelled: cancelled, Unreached: unreached}}
	}
	cases := []struct {
		name string
		r    Result
		err  error
		want int
	}{
		{"all applied, unchanged or ticketed", sum(map[Status]int{Applied: 1, Unchanged: 2, Ticketed: 1}, 0, 0, 0), nil, 0},
		{"dry-run skips", sum(map[Status]int{Skipped: 2, Unchanged: 1}, 0, 0, 0), nil, 0},
		{"one failed", sum(map[Status]int{Applied: 1, Failed: 1}, 0, 0, 0), nil, 3},
		{"one guarded", sum(map[Status]int{Applied: 1, Skipped: 1}, 1, 0, 0), nil, 3},
		{"cancelled", sum(map[Status]int{Applied: 1, Skipped: 1}, 0, 1, 0), context.Canceled, 3},
		{"every read failed", sum(map[Status]int{Failed: 2}, 0, 0, 2), nil, 1},
		{"journal could not open", Result{}, errors.New("open journal: permission denied"), 1},
		{"bad plan", Result{}, &plan.Error{Problems: []plan.Problem{{Message: "x"}}}, 2},
		{"bad config", Result{}, fmt.Errorf("%w: x", ErrConfig), 2},
	}
	for _, c := range cases {
		if got := ExitCode(c.r, c.err); got != c.want {
			t.Errorf("%s: exit %d, want %d", c.name, got, c.want)
		}
	}
}
