package apply

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/plan"
)

// waitFor polls an observable condition until it holds or a deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond) // polling interval, not synchronisation
	}
}

func TestSameTargetRunsInPlanOrderOthersInParallel(t *testing.T) {
	// 300 actions over 6 groups, 12 users and 3 roles, with user ops mixed
	// in: the fake site records any two actions on one target at once, and
	// any action on a target after a later one.
	s := newSite()
	var actions []plan.Action
	for u := range 12 {
		s.addUser(fmt.Sprintf("u%d", u))
	}
	for g := range 6 {
		s.addGroup(fmt.Sprintf("g%d", g))
	}
	for r := range 3 {
		s.addRole(fmt.Sprintf("10000:%d", r))
	}
	for i := range 300 {
		u, g := fmt.Sprintf("u%d", i%12), fmt.Sprintf("g%d", (i/12)%6)
		id := fmt.Sprintf("a%03d", i)
		switch i % 5 {
		case 0, 1:
			actions = append(actions, member(id, plan.Grant, u, g))
		case 2:
			actions = append(actions, role(id, plan.Grant, "user", u, fmt.Sprintf("10000:%d", i%3)))
		case 3:
			actions = append(actions, role(id, plan.Grant, "group", g, fmt.Sprintf("10000:%d", i%3)))
		case 4:
			op := []plan.Op{plan.Suspend, plan.Deactivate}[i/5%2]
			actions = append(actions, userOp(id, op, u))
		}
	}
	p := mkPlan(t, s, actions...)
	cfg := testConfig(&sleeper{})
	cfg.Workers = 8
	r := mustRun(t, s, p, cfg)
	if len(s.violations) > 0 {
		t.Fatalf("ordering violated: %s", strings.Join(s.violations[:min(5, len(s.violations))], "; "))
	}
	if r.Summary.Counts[Failed] != 0 || r.Summary.Counts[Applied]+r.Summary.Counts[Unchanged] != 300 {
		t.Fatalf("summary %+v", r.Summary)
	}
	for i, o := range r.Outcomes {
		if o.ID != p.Actions[i].ID {
			t.Fatalf("outcome %d is %q, want plan order", i, o.ID)
		}
	}
}

func TestDifferentTargetsRunInParallel(t *testing.T) {
	// a's read waits until b's read has started: a serial engine never
	// gets there.
	s := newSite().addUser("u1", "u2").addGroup("g1").addGroup("g2")
	bStarted := make(chan struct{})
	var once sync.Once
	s.beforeRead = func(a plan.Action) {
		switch a.ID {
		case "b":
			once.Do(func() { close(bStarted) })
		case "a":
			select {
			case <-bStarted:
			case <-time.After(10 * time.Second):
				t.Error("b did not start while a was running")
			}
		}
	}
	cfg := testConfig(&sleeper{})
	cfg.Workers = 2
	r := mustRun(t, s, mkPlan(t, s, member("a", plan.Grant, "u1", "g1"), member("b", plan.Grant, "u2", "g2")), cfg)
	if r.Summary.Counts[Applied] != 2 {
		t.Fatalf("summary %+v", r.Summary)
	}
}

func TestWorkerPoolIsBounded(t *testing.T) {
	s := newSite()
	var actions []plan.Action
	for i := range 12 {
		u, g := fmt.Sprintf("u%d", i), fmt.Sprintf("g%d", i)
		s.addUser(u).addGroup(g)
		actions = append(actions, member(g, plan.Grant, u, g))
	}
	var mu sync.Mutex
	waiting, maxWaiting := 0, 0
	gate := make(chan struct{})
	s.beforeRead = func(a plan.Action) {
		mu.Lock()
		waiting++
		maxWaiting = max(maxWaiting, waiting)
		mu.Unlock()
		<-gate
		mu.Lock()
		waiting--
		mu.Unlock()
	}
	cfg := testConfig(&sleeper{})
	cfg.Workers = 3
	done := make(chan Result)
	go func() { done <- mustRun(t, s, mkPlan(t, s, actions...), cfg) }()
	// With the gate shut the engine can only start Workers actions; an
	// unbounded one would start all 12 at once.
	waitFor(t, "three actions to start", func() bool { mu.Lock(); defer mu.Unlock(); return waiting >= 3 })
	close(gate)
	r := <-done
	if r.Summary.Counts[Applied] != 12 {
		t.Fatalf("summary %+v", r.Summary)
	}
	if maxWaiting != 3 || s.maxInflight > 3 {
		t.Fatalf("%d actions started at once (%d inside the site), want 3", maxWaiting, s.maxInflight)
	}
}

func TestCancelStopsNewActionsButFinishesReadBack(t *testing.T) {
	s := newSite().addUser("u1").addGroup("g1").addGroup("g2").addGroup("g3")
	p := mkPlan(t, s, member("a", plan.Grant, "u1", "g1"), member("b", plan.Grant, "u1", "g2"), member("c", plan.Grant, "u1", "g3"))
	ctx, cancel := context.WithCancel(context.Background())
	writing, release := make(chan struct{}), make(chan struct{})
	s.beforeWrite = func(a plan.Action) {
		if a.ID == "a" {
			close(writing)
			<-release
		}
	}
	cfg := testConfig(&sleeper{})
	cfg.Workers = 1
	cfg.JournalPath = filepath.Join(t.TempDir(), "journal.jsonl")
	type out struct {
		r   Result
		err error
	}
	done := make(chan out)
	go func() {
		r, err := Run(ctx, p, s, cfg)
		done <- out{r, err}
	}()
	<-writing
	cancel()
	// The engine notices the cancel; the write in flight must still finish.
	select {
	case o := <-done:
		t.Fatalf("Run returned while a write was in flight: %+v", o.r.Summary)
	default:
	}
	close(release)
	o := <-done
	if !errors.Is(o.err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", o.err)
	}
	m := byID(o.r)
	expect(t, m["a"], Applied, 1, "read-back shows")
	if s.count(s.reads, "a") != 2 {
		t.Fatalf("the in-flight action made %d reads, want 2 (read and read-back)", s.count(s.reads, "a"))
	}
	for _, id := range []string{"b", "c"} {
		expect(t, m[id], Skipped, 0, "not started", "resume")
		if s.count(s.reads, id) != 0 || m[id].Reason != ReasonCancelled {
			t.Fatalf("%s started after the cancel", id)
		}
	}
	if ExitCode(o.r, o.err) != ExitPartial {
		t.Fatalf("exit = %d", ExitCode(o.r, o.err))
	}

	// Resume: a is reported from the journal without touching the site.
	r := mustRun(t, s, p, cfg)
	m = byID(r)
	if !m["a"].Resumed || m["a"].Status != Applied || s.count(s.reads, "a") != 2 || s.count(s.writes, "a") != 1 {
		t.Fatalf("a was not resumed from the journal: %+v", m["a"])
	}
	expect(t, m["b"], Applied, 1)
	expect(t, m["c"], Applied, 1)
	if r.Summary.Resumed != 1 || ExitCode(r, nil) != ExitOK {
		t.Fatalf("summary %+v", r.Summary)
	}
}

func TestCancelDuringRetryWaitStopsRetrying(t *testing.T) {
	s := newSite().addUser("u1").addGroup("g1")
	s.script["a"] = []fault{throttle}
	ctx, cancel := context.WithCancel(context.Background())
	cfg := testConfig(&sleeper{})
	cfg.Sleep = func(c context.Context, d time.Duration) error {
		cancel()
		<-c.Done() // the engine's wait must end with the caller's context
		return c.Err()
	}
	r, err := Run(ctx, mkPlan(t, s, member("a", plan.Grant, "u1", "g1")), s, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	expect(t, r.Outcomes[0], Failed, 1, "stopped while waiting", "nothing was changed")
	if s.count(s.writes, "a") != 1 {
		t.Fatal("retried after the cancel")
	}
}

func TestResumeAfterCrashBetweenWriteAndJournal(t *testing.T) {
	// A crashed apply journaled a and b; its write of c landed but the crash
	// came before c's record; its last record (d's) is torn.
	s := newSite().addUser("u1").addGroup("g1").addGroup("g2").addGroup("g3").addGroup("g4").addGroup("g5")
	p := mkPlan(t, s,
		member("a", plan.Grant, "u1", "g1"), member("b", plan.Grant, "u1", "g2"),
		member("c", plan.Grant, "u1", "g3"), member("d", plan.Grant, "u1", "g4"), member("e", plan.Grant, "u1", "g5"))
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, _, err := openJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1} {
		o := newOutcome(p.Actions[i])
		o.Status, o.Attempts, o.HTTPStatus, o.Message = Applied, 1, 201, "written"
		if err := j.append(p.Actions[i], o); err != nil {
			t.Fatal(err)
		}
	}
	j.close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"v":1,"hash":"x","outcome":{"id":"d","st`)
	f.Close()
	s.groups["g1"]["u1"], s.groups["g2"]["u1"], s.groups["g3"]["u1"] = true, true, true

	cfg := testConfig(&sleeper{})
	cfg.JournalPath = path
	r := mustRun(t, s, p, cfg)
	m := byID(r)
	for _, id := range []string{"a", "b"} {
		if !m[id].Resumed || m[id].Status != Applied || m[id].Message != "written" || s.count(s.reads, id) != 0 {
			t.Fatalf("%s: %+v, reads %d", id, m[id], s.count(s.reads, id))
		}
	}
	expect(t, m["c"], Unchanged, 0, "already as wanted")
	expect(t, m["d"], Applied, 1)
	expect(t, m["e"], Applied, 1)
	if s.total(s.writes) != 2 {
		t.Fatalf("writes = %d, want only d and e", s.total(s.writes))
	}
	// The torn line was cut: the journal is whole and holds every action.
	_, recs, err := openJournal(path)
	if err != nil {
		t.Fatalf("journal after resume: %v", err)
	}
	if len(recs) != 5 || recs["d"].Outcome.Status != Applied {
		t.Fatalf("journal holds %d records: %+v", len(recs), recs["d"])
	}
}

func TestResumeRetriesFailedAndChangedActions(t *testing.T) {
	s := newSite().addUser("u1").addGroup("g1").addGroup("g2")
	s.script["a"] = []fault{reject}
	path := filepath.Join(t.TempDir(), "j.jsonl")
	cfg := testConfig(&sleeper{})
	cfg.JournalPath = path
	p := mkPlan(t, s, member("a", plan.Grant, "u1", "g1"), member("b", plan.Grant, "u1", "g2"))
	r := mustRun(t, s, p, cfg)
	expect(t, byID(r)["a"], Failed, 1)
	// The same journal with the same plan: the failed action is tried again.
	r = mustRun(t, s, p, cfg)
	expect(t, byID(r)["a"], Applied, 1)
	if !byID(r)["b"].Resumed {
		t.Fatalf("b was not resumed: %+v", byID(r)["b"])
	}
	// An action whose id is reused for other content is not taken from the journal.
	p2 := mkPlan(t, s, member("a", plan.Grant, "u1", "g1"), member("b", plan.Revoke, "u1", "g2"))
	r = mustRun(t, s, p2, cfg)
	if byID(r)["b"].Resumed || byID(r)["b"].Status != Applied || s.groups["g2"]["u1"] {
		t.Fatalf("changed action b: %+v", byID(r)["b"])
	}
}

func TestDamagedJournalIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	os.WriteFile(path, []byte("{\"v\":1,\"hash\":\"x\",\"outcome\":{\"id\":\"a\"}}\nnot json\n{\"v\":1}\n"), 0o600)
	s := newSite().addUser("u1").addGroup("g1")
	cfg := testConfig(&sleeper{})
	cfg.JournalPath = path
	_, err := Run(context.Background(), mkPlan(t, s, member("a", plan.Grant, "u1", "g1")), s, cfg)
	if err == nil || !strings.Contains(err.Error(), "line 2 is damaged") || ExitCode(Result{}, err) != ExitNoRun {
		t.Fatalf("err = %v", err)
	}
	if s.total(s.reads) != 0 {
		t.Fatal("the site was read despite a damaged journal")
	}
}

func TestJournalWriteFailureStopsTheApply(t *testing.T) {
	// The journal's file is closed under the engine once the first outcome
	// is recorded: the next outcome cannot be recorded, so no further action
	// may start.
	s := newSite().addUser("u1").addGroup("g1").addGroup("g2").addGroup("g3")
	p := mkPlan(t, s, member("a", plan.Grant, "u1", "g1"), member("b", plan.Grant, "u1", "g2"), member("c", plan.Grant, "u1", "g3"))
	cfg := testConfig(&sleeper{})
	cfg.Workers = 1
	cfg.JournalPath = filepath.Join(t.TempDir(), "j.jsonl")
	var j *journal
	testHookJournal = func(opened *journal) { j = opened }
	defer func() { testHookJournal = nil }()
	cfg.Progress = func(pr Progress) {
		if pr.Last.ID == "a" {
			j.f.Close()
		}
	}
	r, err := Run(context.Background(), p, s, cfg)
	if err == nil || !strings.Contains(err.Error(), "journal") {
		t.Fatalf("err = %v, want a journal error", err)
	}
	// a was journaled; recording b failed, so c must not start.
	m := byID(r)
	expect(t, m["a"], Applied, 1)
	expect(t, m["b"], Applied, 1)
	if m["c"].Status != Skipped || s.count(s.reads, "c") != 0 {
		t.Fatalf("an action started after the journal failed: %+v", m["c"])
	}
	if ExitCode(r, err) != ExitPartial {
		t.Fatalf("exit = %d", ExitCode(r, err))
	}
}
