// Package progress counts what a run has done so far (rows per kind,
// requests, retries, throttling, phases) and estimates what is left, for the
// terminal display, the plugin's progress events and the logs.
//
// The estimate of the run's total requests is made the way dry-run makes it,
// from what the list endpoints say: a phase that learns how many items it
// will go through (the group count from group/bulk, the project count from
// project/search) expects (items left) × (requests per item so far), and the
// estimate is refined as items finish. Requests queued by the pipeline (Plan)
// are a floor.
package progress

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Snapshot is a point-in-time view of a run.
type Snapshot struct {
	// Rows counts entities per source type and relations per relation kind,
	// keyed by kind name ("user", "member_of", ...).
	Rows      map[string]int64
	Requests  int64
	Retries   int64
	Throttled int64
	// PlannedRequests is the best current estimate of the run's total
	// requests (done and still to come); it is refined as the run learns
	// page totals and the cost of each item. 0 means unknown.
	PlannedRequests int64
	Elapsed         time.Duration
	// RequestRate is requests per second since the start.
	RequestRate float64
	// ETA is the estimated time left; negative when unknown.
	ETA time.Duration
	// Phases are the run's phases in the order they started.
	Phases []Phase
}

// Phase is the state of one phase of a run ("groups", "projects", ...).
type Phase struct {
	Name string
	// Done is the number of items finished (groups whose members were read,
	// projects whose roles and scheme were read).
	Done int64
	// Total is the number of items the phase goes through; 0 when unknown.
	Total int64
	// Finished is set when the phase is over.
	Finished bool
}

// Kinds returns the snapshot's kind names in sorted order.
func (s Snapshot) Kinds() []string {
	out := make([]string, 0, len(s.Rows))
	for k := range s.Rows {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// RequestCounter is the part of the HTTP client progress reads.
type RequestCounter interface {
	// Counts returns total requests, retries and throttled responses so far.
	Counts() (requests, retries, throttled int64)
}

// Tracker accumulates a run's progress. Safe for concurrent use; every
// method is a no-op on a nil *Tracker.
type Tracker struct {
	now   func() time.Time
	start time.Time

	rows    sync.Map // kind → *atomic.Int64
	planned atomic.Int64
	issued  atomic.Int64

	mu     sync.Mutex
	reqs   RequestCounter
	phases []*phase
}

// phase is one phase's counters.
type phase struct {
	name     string
	issued   atomic.Int64 // requests made in the phase
	started  atomic.Int64 // items started
	done     atomic.Int64 // items finished
	total    atomic.Int64 // items expected; 0 unknown
	finished atomic.Bool
}

// NewTracker starts tracking now; reqs may be nil until the client exists.
func NewTracker(reqs RequestCounter) *Tracker {
	return newTracker(reqs, time.Now)
}

func newTracker(reqs RequestCounter, now func() time.Time) *Tracker {
	return &Tracker{now: now, start: now(), reqs: reqs}
}

// SetRequestCounter sets where request counts come from.
func (t *Tracker) SetRequestCounter(reqs RequestCounter) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.reqs = reqs
	t.mu.Unlock()
}

// AddRows counts n more rows of a kind. It takes no lock once the kind has
// been seen, so it can be called once a row.
func (t *Tracker) AddRows(kind string, n int) {
	if t == nil {
		return
	}
	c, ok := t.rows.Load(kind)
	if !ok {
		c, _ = t.rows.LoadOrStore(kind, new(atomic.Int64))
	}
	c.(*atomic.Int64).Add(int64(n))
}

// Plan adds n requests to the queued total: requests the run knows it will
// make. The estimate of the run's total never goes below it.
func (t *Tracker) Plan(n int) {
	if t == nil {
		return
	}
	t.planned.Add(int64(n))
}

type phaseKey struct{}

// StartPhase starts a phase and returns a context that carries it (for
// Issue, SetItems, StartItem and DoneItem) and the function that ends it.
func (t *Tracker) StartPhase(ctx context.Context, name string) (context.Context, func()) {
	if t == nil {
		return ctx, func() {}
	}
	p := &phase{name: name}
	t.mu.Lock()
	t.phases = append(t.phases, p)
	t.mu.Unlock()
	return context.WithValue(ctx, phaseKey{}, p), func() { p.finished.Store(true) }
}

func phaseOf(ctx context.Context) *phase {
	p, _ := ctx.Value(phaseKey{}).(*phase)
	return p
}

// Issue counts one request made in ctx's phase.
func (t *Tracker) Issue(ctx context.Context) {
	if t == nil {
		return
	}
	t.issued.Add(1)
	if p := phaseOf(ctx); p != nil {
		p.issued.Add(1)
	}
}

// SetItems says how many items ctx's phase goes through (from a list
// endpoint's total).
func (t *Tracker) SetItems(ctx context.Context, n int64) {
	if t == nil {
		return
	}
	if p := phaseOf(ctx); p != nil {
		p.total.Store(n)
	}
}

// StartItem counts one item of ctx's phase started.
func (t *Tracker) StartItem(ctx context.Context) {
	if t == nil {
		return
	}
	if p := phaseOf(ctx); p != nil {
		p.started.Add(1)
	}
}

// DoneItem counts one item of ctx's phase finished.
func (t *Tracker) DoneItem(ctx context.Context) {
	if t == nil {
		return
	}
	if p := phaseOf(ctx); p != nil {
		p.done.Add(1)
	}
}

// remaining estimates the requests a phase has still to make: the items not
// started yet times the requests per started item so far (at least one).
func (p *phase) remaining() int64 {
	if p.finished.Load() {
		return 0
	}
	total, started, issued := p.total.Load(), p.started.Load(), p.issued.Load()
	if total <= started {
		return 0
	}
	left := float64(total - started)
	per := 1.0
	if started > 0 {
		per = max(1, float64(issued)/float64(started))
	}
	return int64(left*per + 0.5)
}

// Snapshot returns the current state.
func (t *Tracker) Snapshot() Snapshot {
	s := Snapshot{Rows: map[string]int64{}, ETA: -1}
	if t == nil {
		return s
	}
	s.Elapsed = t.now().Sub(t.start)
	t.rows.Range(func(k, v any) bool {
		s.Rows[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	t.mu.Lock()
	reqs := t.reqs
	phases := append([]*phase(nil), t.phases...)
	t.mu.Unlock()
	if reqs != nil {
		s.Requests, s.Retries, s.Throttled = reqs.Counts()
	}
	var left int64
	for _, p := range phases {
		left += p.remaining()
		s.Phases = append(s.Phases, Phase{Name: p.name, Done: p.done.Load(), Total: p.total.Load(), Finished: p.finished.Load()})
	}
	// Queued requests not made yet are a floor.
	left = max(left, t.planned.Load()-t.issued.Load())
	if s.Requests > 0 || left > 0 {
		s.PlannedRequests = s.Requests + left
	}
	if secs := s.Elapsed.Seconds(); secs > 0 {
		s.RequestRate = float64(s.Requests) / secs
	}
	switch {
	case left == 0 && len(phases) > 0 && allFinished(phases):
		s.ETA = 0
	case left > 0 && s.RequestRate > 0:
		s.ETA = time.Duration(float64(left) / s.RequestRate * float64(time.Second))
	}
	return s
}

func allFinished(ps []*phase) bool {
	for _, p := range ps {
		if !p.finished.Load() {
			return false
		}
	}
	return true
}
