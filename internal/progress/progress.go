// Package progress counts what a run has done so far (rows per kind,
// requests, retries, throttling) and estimates what is left, for the terminal
// display, the plugin's progress events and the logs.
package progress

import (
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
	// requests; it grows as page totals are learned. 0 means unknown.
	PlannedRequests int64
	Elapsed         time.Duration
	// RequestRate is requests per second since the start.
	RequestRate float64
	// ETA is the estimated time left; negative when unknown.
	ETA time.Duration
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

// Tracker accumulates a run's progress. Safe for concurrent use.
type Tracker struct {
	start   time.Time
	mu      sync.Mutex
	rows    map[string]*atomic.Int64
	planned atomic.Int64
	reqs    RequestCounter
}

// NewTracker starts tracking now; reqs may be nil until the client exists.
func NewTracker(reqs RequestCounter) *Tracker {
	return &Tracker{start: time.Now(), rows: map[string]*atomic.Int64{}, reqs: reqs}
}

// SetRequestCounter sets where request counts come from.
func (t *Tracker) SetRequestCounter(reqs RequestCounter) {
	t.mu.Lock()
	t.reqs = reqs
	t.mu.Unlock()
}

// AddRows counts n more rows of a kind.
func (t *Tracker) AddRows(kind string, n int) {
	t.mu.Lock()
	c, ok := t.rows[kind]
	if !ok {
		c = new(atomic.Int64)
		t.rows[kind] = c
	}
	t.mu.Unlock()
	c.Add(int64(n))
}

// Plan adds n requests to the planned total.
func (t *Tracker) Plan(n int) { t.planned.Add(int64(n)) }

// Snapshot returns the current state.
func (t *Tracker) Snapshot() Snapshot {
	s := Snapshot{Rows: map[string]int64{}, Elapsed: time.Since(t.start), ETA: -1}
	t.mu.Lock()
	for k, c := range t.rows {
		s.Rows[k] = c.Load()
	}
	reqs := t.reqs
	t.mu.Unlock()
	if reqs != nil {
		s.Requests, s.Retries, s.Throttled = reqs.Counts()
	}
	s.PlannedRequests = t.planned.Load()
	if secs := s.Elapsed.Seconds(); secs > 0 {
		s.RequestRate = float64(s.Requests) / secs
	}
	if s.PlannedRequests > s.Requests && s.RequestRate > 0 {
		s.ETA = time.Duration(float64(s.PlannedRequests-s.Requests) / s.RequestRate * float64(time.Second))
	} else if s.PlannedRequests > 0 && s.PlannedRequests <= s.Requests {
		s.ETA = 0
	}
	return s
}
