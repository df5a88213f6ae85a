// Package retrytest is test support for code that waits on a retry.Clock:
// a fake clock whose time moves only when every goroutine taking part is
// asleep on it, so backoffs, Retry-After waits and rate-limiter pauses of
// seconds run in no real time, deterministically.
package retrytest

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/govextract/jira-extractor/internal/retry"
)

var _ retry.Clock = (*Fake)(nil)

// Fake is a retry.Clock for tests. It knows how many goroutines (workers)
// take part; when all of them sleep on it, time jumps to the earliest wake
// time and those sleepers wake. A worker blocked on anything else (a
// request on the wire, a channel) holds time still, so what a test
// observes is what real time would give with instant I/O. A new Fake has
// one worker: the test's own goroutine.
type Fake struct {
	mu       sync.Mutex
	now      time.Time
	workers  int
	sleepers []*sleeper
	sleeps   []time.Duration
}

type sleeper struct {
	wake time.Time
	ch   chan struct{}
}

// NewFake returns a fake clock at start with one worker.
func NewFake(start time.Time) *Fake { return &Fake{now: start, workers: 1} }

// Epoch is a convenient start time.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Since returns the fake time elapsed since t.
func (f *Fake) Since(t time.Time) time.Duration { return f.Now().Sub(t) }

// SetWorkers says how many goroutines take part (each calls Leave when it
// is done).
func (f *Fake) SetWorkers(n int) {
	f.mu.Lock()
	f.workers = n
	f.advanceLocked()
	f.mu.Unlock()
}

// Leave removes one worker: the others no longer wait for it to sleep.
func (f *Fake) Leave() {
	f.mu.Lock()
	f.workers--
	f.advanceLocked()
	f.mu.Unlock()
}

// Sleep waits until the fake time has moved d on, or ctx is done.
func (f *Fake) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	f.mu.Lock()
	s := &sleeper{wake: f.now.Add(d), ch: make(chan struct{})}
	f.sleeps = append(f.sleeps, d)
	f.sleepers = append(f.sleepers, s)
	f.advanceLocked()
	f.mu.Unlock()
	select {
	case <-s.ch:
		return nil
	case <-ctx.Done():
		f.mu.Lock()
		for i, x := range f.sleepers {
			if x == s {
				f.sleepers = append(f.sleepers[:i], f.sleepers[i+1:]...)
				break
			}
		}
		f.mu.Unlock()
		return ctx.Err()
	}
}

// Advance moves the time on by d at once and wakes the sleepers due.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.wakeDueLocked()
	f.mu.Unlock()
}

// Sleeps returns every wait asked for so far, in order.
func (f *Fake) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// Sleeping returns how many goroutines sleep on the clock now.
func (f *Fake) Sleeping() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sleepers)
}

// advanceLocked jumps to the earliest wake time when every worker sleeps.
func (f *Fake) advanceLocked() {
	if len(f.sleepers) == 0 || len(f.sleepers) < f.workers {
		return
	}
	sort.Slice(f.sleepers, func(i, j int) bool { return f.sleepers[i].wake.Before(f.sleepers[j].wake) })
	if w := f.sleepers[0].wake; w.After(f.now) {
		f.now = w
	}
	f.wakeDueLocked()
}

func (f *Fake) wakeDueLocked() {
	keep := f.sleepers[:0]
	for _, s := range f.sleepers {
		if s.wake.After(f.now) {
			keep = append(keep, s)
			continue
		}
		close(s.ch)
	}
	f.sleepers = keep
}
