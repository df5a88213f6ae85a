package apply

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/govextract/jira-extractor/internal/plan"
)

// Defaults of Config.
const (
	DefaultMaxChanges   = 1000
	DefaultWorkers      = 4
	DefaultMaxAttempts  = 3
	DefaultDrainTimeout = 30 * time.Second
)

// testHookJournal, when set by a test, sees the journal Run opened.
var testHookJournal func(*journal)

// ErrConfig marks a job-level problem found before any action ran (exit 2).
var ErrConfig = errors.New("apply configuration")

// Config tunes an apply. The zero value of each field is its default.
type Config struct {
	// DryRun reads every target and reports what would change; it writes
	// nothing to the site and keeps no journal.
	DryRun bool
	// MaxChanges refuses a plan with more actions than this (every action
	// comes out skipped, nothing is read or written). 0 means 1000;
	// negative means no limit.
	MaxChanges int
	// SelfAccountID is the job's own account (GET /myself). Required
	// unless AllowSelf.
	SelfAccountID string
	// AllowSelf lets actions take access away from SelfAccountID.
	AllowSelf bool
	// Workers bounds how many actions run at once (0 means 4). Actions on
	// the same group, project role, user or email run one at a time, in
	// plan order.
	Workers int
	// MaxAttempts bounds the writes made for one action, counting retries
	// after a throttle or after a failed write that the re-read showed had
	// not taken effect (0 means 3).
	MaxAttempts int
	// JournalPath, when set, is the journal of this apply: outcomes are
	// appended to it as they finish, and the finished actions found in it
	// are reported as before instead of being done again. It must be on a
	// local disk.
	JournalPath string
	// Tickets opens the issues of mode "ticket" actions. A plan with such
	// actions is refused when it is nil.
	Tickets Ticketer
	// DrainTimeout bounds how long actions already writing may go on once
	// ctx is cancelled, to finish their read-back (0 means 30s).
	DrainTimeout time.Duration
	// Progress, when set, is called after each action finishes, from one
	// goroutine at a time.
	Progress func(Progress)
	// Logger receives one debug record per action (nil: slog.Default()).
	Logger *slog.Logger

	// Now and Sleep are the clock; tests replace them. Sleep waits d or
	// until ctx is done.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Backoff is the wait before write attempt n+1 after a failure without
	// a Retry-After (default: 2s doubling to 30s).
	Backoff func(n int) time.Duration
}

func (c *Config) defaults() {
	if c.MaxChanges == 0 {
		c.MaxChanges = DefaultMaxChanges
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.Backoff == nil {
		c.Backoff = backoff
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func backoff(n int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < n && d < 30*time.Second; i++ {
		d *= 2
	}
	return min(d, 30*time.Second)
}

// Run applies the plan to the target. The plan is validated whole first;
// an invalid plan or configuration returns an error before anything is
// read or written. The result holds one outcome per action, in plan order,
// also when Run returns an error after starting (the context was
// cancelled, the journal could not be written): then actions not started
// are skipped with ReasonCancelled.
func Run(ctx context.Context, p *plan.Plan, t Target, cfg Config) (Result, error) {
	cfg.defaults()
	if err := p.Validate(); err != nil {
		return Result{}, err
	}
	if err := checkConfig(p, t, cfg); err != nil {
		return Result{}, err
	}
	e := &engine{stop: ctx, cfg: cfg, target: t, plan: p, outcomes: make([]Outcome, len(p.Actions)),
		done: make([]bool, len(p.Actions))}
	e.summary.Total = len(p.Actions)
	if cfg.MaxChanges > 0 && len(p.Actions) > cfg.MaxChanges {
		return e.refuseAll(), nil
	}
	if cfg.JournalPath != "" && !cfg.DryRun {
		j, recs, err := openJournal(cfg.JournalPath)
		if err != nil {
			return Result{}, err
		}
		defer j.close()
		if testHookJournal != nil {
			testHookJournal(j)
		}
		e.journal = j
		e.resume(recs)
	}
	e.guardSelf(ctx)
	err := e.schedule(ctx)
	return e.result(), err
}

func checkConfig(p *plan.Plan, t Target, cfg Config) error {
	if t == nil {
		return fmt.Errorf("%w: no target to apply to", ErrConfig)
	}
	if cfg.SelfAccountID == "" && !cfg.AllowSelf {
		return fmt.Errorf("%w: the job's own account id is unknown, so the self-lockout guard cannot work: read it first (GET /myself) or pass --allow-self", ErrConfig)
	}
	if cfg.Tickets == nil {
		var ids []string
		for _, a := range p.Actions {
			if a.Mode == plan.ModeTicket {
				ids = append(ids, fmt.Sprintf("%q", a.ID))
			}
		}
		if len(ids) > 0 {
			return fmt.Errorf("%w: actions %s have mode \"ticket\" but tickets are not configured: set tickets.projectKey in the job file", ErrConfig, strings.Join(ids, ", "))
		}
	}
	return nil
}

type engine struct {
	stop    context.Context // the caller's: once done, no action starts or retries
	cfg     Config
	target  Target
	plan    *plan.Plan
	journal *journal

	outcomes []Outcome
	done     []bool // outcome final for this run (resumed, guarded or run)
	summary  Summary
	finished int
}

func (e *engine) result() Result {
	return Result{Outcomes: e.outcomes, Summary: e.summary}
}

// finish records an action's outcome: summary, journal, progress.
func (e *engine) finish(i int, o Outcome) error {
	e.outcomes[i], e.done[i] = o, true
	e.summary.add(o)
	e.finished++
	var err error
	if e.journal != nil && !o.Resumed && o.Reason != ReasonCancelled {
		err = e.journal.append(e.plan.Actions[i], o)
	}
	e.cfg.Logger.Debug("apply action", "id", o.ID, "op", o.Op, "status", o.Status,
		"http_status", o.HTTPStatus, "attempts", o.Attempts, "message", o.Message)
	if e.cfg.Progress != nil {
		e.cfg.Progress(Progress{Done: e.finished, Total: len(e.outcomes), Counts: maps.Clone(e.summary.Counts), Last: o})
	}
	return err
}

// refuseAll skips every action because the plan is over MaxChanges.
func (e *engine) refuseAll() Result {
	now := e.cfg.Now().UTC()
	msg := fmt.Sprintf("refused: the plan has %d actions, more than --max-changes %d; split the plan or raise --max-changes", len(e.plan.Actions), e.cfg.MaxChanges)
	for i, a := range e.plan.Actions {
		o := newOutcome(a)
		o.Status, o.Reason, o.Message, o.StartedAt, o.FinishedAt = Skipped, ReasonMaxChanges, msg, now, now
		_ = e.finish(i, o) // no journal is open yet
	}
	return e.result()
}

// resume reports the actions a journal shows finished.
func (e *engine) resume(recs map[string]record) {
	for i, a := range e.plan.Actions {
		r, ok := recs[a.ID]
		if !ok || !r.Outcome.final() {
			continue
		}
		if r.Hash != fingerprint(a) {
			e.cfg.Logger.Warn("the journal holds another action with this id; it will be read and done again if needed", "id", a.ID)
			continue
		}
		o := r.Outcome
		o.Resumed = true
		_ = e.finish(i, o)
	}
}

// guardSelf skips the actions that would take access away from the job's
// own account: revoking its memberships or roles, removing, suspending or
// deactivating it, or revoking a project role from a group it belongs to.
// An action a read shows already done is left to run (it comes out
// unchanged).
func (e *engine) guardSelf(ctx context.Context) {
	if e.cfg.AllowSelf {
		return
	}
	self := e.cfg.SelfAccountID
	var groups map[string]bool
	var groupsErr error
	loaded := false
	for i, a := range e.plan.Actions {
		if e.done[i] || !a.TakesAway() {
			continue
		}
		var why string
		switch {
		case a.IsRelation() && a.FromType == plan.TypeUser && a.FromID == self:
			why = "it would take access away from the job's own account"
		case a.IsUserOp() && a.Account() == self:
			why = "it would " + string(a.Op) + " the job's own account"
		case a.IsRelation() && a.Relation == plan.HasRole && a.FromType == plan.TypeGroup:
			if !loaded {
				groups, groupsErr = e.selfGroups(ctx)
				loaded = true
			}
			switch {
			case groupsErr != nil:
				why = fmt.Sprintf("cannot tell whether the job's own account holds this role through group %q (%v)", a.FromID, groupsErr)
			case groups[a.FromID]:
				why = fmt.Sprintf("the job's own account holds this role through group %q", a.FromID)
			}
		}
		if why == "" {
			continue
		}
		now := e.cfg.Now().UTC()
		o := newOutcome(a)
		o.StartedAt = now
		if st, done := e.alreadyDone(ctx, a); done {
			// What runAction would report after its own read.
			o.Status, o.Message = Unchanged, "already as wanted: "+fact(a, st)
		} else {
			o.Status, o.Reason, o.Message = Skipped, ReasonSelf, "refused: "+why+"; pass --allow-self to allow it"
		}
		o.FinishedAt = e.cfg.Now().UTC()
		if err := e.finish(i, o); err != nil {
			e.cfg.Logger.Warn("journal", "error", err)
		}
	}
}

// alreadyDone reads a guarded action's target and reports whether it is
// already as wanted: a re-run of a plan whose guarded action was allowed
// once takes nothing away, and comes out unchanged instead of refused. A
// failed read is not.
func (e *engine) alreadyDone(ctx context.Context, a plan.Action) (State, bool) {
	st, err := e.target.Read(ctx, a)
	return st, err == nil && st.NotFound == "" && st.Has == wants(a.Op)
}

func (e *engine) selfGroups(ctx context.Context) (map[string]bool, error) {
	gl, ok := e.target.(GroupLister)
	if !ok {
		return nil, errors.New("the target cannot list groups")
	}
	ids, err := gl.GroupIDsOf(ctx, e.cfg.SelfAccountID)
	if err != nil {
		return nil, fmt.Errorf("read the job account's groups: %w", err)
	}
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m, nil
}

// keys names what an action touches; actions sharing a key run in order.
func keys(a plan.Action) []string {
	switch {
	case a.IsRelation():
		to := "group\x00" + a.ToID
		if a.Relation == plan.HasRole {
			p, r, _ := plan.ParseProjectRole(a.ToID)
			to = "role\x00" + strings.TrimLeft(p, "0") + ":" + strings.TrimLeft(r, "0")
		}
		return []string{to, a.FromType + "\x00" + a.FromID}
	case a.IsUserOp():
		return []string{"user\x00" + a.Account()}
	case a.Op == plan.Create:
		return []string{"email\x00" + strings.ToLower(a.Email)}
	}
	return nil
}

// indexHeap is a min-heap of action indexes: ready actions start in plan order.
type indexHeap []int

func (h indexHeap) Len() int           { return len(h) }
func (h indexHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h indexHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *indexHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *indexHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type result struct {
	i int
	o Outcome
}

// schedule runs every action not yet done on a bounded pool, an action
// starting only after the earlier actions that share a key with it. When
// ctx is cancelled no new action starts; running ones go on (with a
// context that outlives ctx by at most DrainTimeout) so a write is always
// followed by its read-back.
func (e *engine) schedule(ctx context.Context) error {
	n := len(e.plan.Actions)
	waits := make([]int, n)  // unfinished earlier actions this one waits for
	next := make([][]int, n) // actions waiting for this one
	last := map[string]int{}
	for i, a := range e.plan.Actions {
		seen := map[int]bool{}
		for _, k := range keys(a) {
			if j, ok := last[k]; ok && !seen[j] {
				seen[j] = true
				if !e.done[i] && !e.done[j] {
					waits[i]++
					next[j] = append(next[j], i)
				}
			}
			last[k] = i
		}
	}
	ready := &indexHeap{}
	for i := range n {
		if !e.done[i] && waits[i] == 0 {
			heap.Push(ready, i)
		}
	}

	actx, cancelActions := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelActions()
	var drain *time.Timer
	defer func() {
		if drain != nil {
			drain.Stop()
		}
	}()

	results := make(chan result)
	inflight := 0
	stopped := false
	var stopErr error
	cancelled := ctx.Done()
	stop := func(err error) {
		if stopErr == nil {
			stopErr = err
		}
		if !stopped && drain == nil && ctx.Err() != nil {
			drain = time.AfterFunc(e.cfg.DrainTimeout, cancelActions)
		}
		stopped = true
	}
	for {
		if ctx.Err() != nil && !stopped {
			stop(ctx.Err()) // checked here too: select picks among ready cases at random
		}
		for !stopped && inflight < e.cfg.Workers && ready.Len() > 0 {
			i := heap.Pop(ready).(int)
			inflight++
			go func() { results <- result{i, e.runAction(actx, e.plan.Actions[i])} }()
		}
		if inflight == 0 {
			break
		}
		select {
		case r := <-results:
			inflight--
			if err := e.finish(r.i, r.o); err != nil {
				stop(err)
			}
			for _, j := range next[r.i] {
				if waits[j]--; waits[j] == 0 {
					heap.Push(ready, j)
				}
			}
		case <-cancelled:
			cancelled = nil
			stop(ctx.Err())
		}
	}
	now := e.cfg.Now().UTC()
	for i, a := range e.plan.Actions {
		if e.done[i] {
			continue
		}
		o := newOutcome(a)
		o.Status, o.Reason, o.StartedAt, o.FinishedAt = Skipped, ReasonCancelled, now, now
		o.Message = "not started: the apply stopped before it; run the same plan again with the same journal to resume"
		_ = e.finish(i, o)
	}
	if stopErr != nil {
		return fmt.Errorf("apply stopped: %w", stopErr)
	}
	return nil
}
