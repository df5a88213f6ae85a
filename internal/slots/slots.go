// Package slots bounds the requests on the wire and hands each free slot
// to the oldest waiting work first.
//
// Work is ranked by when it began (Begin): a phase, a group's members, a
// project's roles. Every request of that work carries its rank in the
// context, so the next page of a list already under way is served before
// work that began later, and a retry (Urgent) before any first attempt.
// First-come-first-served would instead send each retry, and each step
// of a chain of requests, to the back of a queue that with many requests
// pending is itself a second or more long: under heavy faults those
// waits add up to a tail of stragglers that leaves the connections idle
// at the end of the run. Within one rank, requests are served in the
// order they asked.
//
// A waiting request holds no slot: a slot is held only from Acquire to
// Release, while the request is on the wire.
package slots

import (
	"container/heap"
	"context"
	"sync"
	"sync/atomic"
)

// Rank orders work: a lower rank began earlier and is served first.
type Rank uint64

// next is the last rank handed out, process-wide, so that ranks from
// different callers compare by when their work began.
var next atomic.Uint64

type rankKey struct{}

// Begin returns ctx carrying a new rank, later than every rank handed out
// before: requests made with it are served after those of older work. An
// Urgent ctx stays Urgent: what urgent work goes on to is urgent too.
func Begin(ctx context.Context) context.Context {
	if r, ok := RankOf(ctx); ok && r == urgent {
		return ctx
	}
	return context.WithValue(ctx, rankKey{}, Rank(next.Add(1)))
}

// Urgent returns ctx ranked ahead of all work begun (ties are served in
// the order they ask): for a request that must not queue behind new work,
// such as the retry of a request that already waited out its backoff.
func Urgent(ctx context.Context) context.Context {
	return context.WithValue(ctx, rankKey{}, urgent)
}

// urgent is the rank of Urgent: Begin's ranks start at 1.
const urgent Rank = 0

// RankOf returns ctx's rank and whether it has one.
func RankOf(ctx context.Context) (Rank, bool) {
	r, ok := ctx.Value(rankKey{}).(Rank)
	return r, ok
}

// Pool is a fixed number of slots. Safe for concurrent use.
type Pool struct {
	size int

	mu      sync.Mutex
	used    int
	seq     uint64 // arrival order within a rank
	waiters waitHeap
}

// New returns a pool of n slots (at least 1).
func New(n int) *Pool { return &Pool{size: max(n, 1)} }

// Size returns the number of slots.
func (p *Pool) Size() int { return p.size }

// InUse returns how many slots are held now.
func (p *Pool) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.used
}

// Waiting returns how many callers wait for a slot now.
func (p *Pool) Waiting() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiters)
}

// Acquire takes a slot, waiting while all are held; when several callers
// wait, the one with the lowest rank (ctx's; a context without one ranks
// after all work begun so far) gets the next free slot. It returns ctx's
// error, holding no slot, when ctx ends first.
func (p *Pool) Acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	if p.used < p.size {
		p.used++
		p.mu.Unlock()
		return nil
	}
	rank, ok := RankOf(ctx) // only a waiter needs its rank
	if !ok {
		rank = Rank(next.Add(1))
	}
	p.seq++
	w := &waiter{rank: rank, seq: p.seq, ready: make(chan struct{})}
	heap.Push(&p.waiters, w)
	p.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	p.mu.Lock()
	granted := w.index < 0
	if !granted {
		heap.Remove(&p.waiters, w.index)
	}
	p.mu.Unlock()
	if granted { // the slot came with ctx's end: pass it on
		p.Release()
	}
	return ctx.Err()
}

// Release gives a slot back: to the best-ranked waiter if there is one.
func (p *Pool) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.waiters) == 0 {
		if p.used == 0 {
			panic("slots: Release without Acquire")
		}
		p.used--
		return
	}
	w := heap.Pop(&p.waiters).(*waiter)
	close(w.ready) // the slot passes to w: used is unchanged
}

// waiter is one caller blocked in Acquire.
type waiter struct {
	rank  Rank
	seq   uint64
	index int // in the heap; -1 once granted
	ready chan struct{}
}

// waitHeap is a min-heap of waiters by (rank, seq).
type waitHeap []*waiter

func (h waitHeap) Len() int { return len(h) }
func (h waitHeap) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].seq < h[j].seq
}
func (h waitHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *waitHeap) Push(x any) {
	w := x.(*waiter)
	w.index = len(*h)
	*h = append(*h, w)
}
func (h *waitHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	old[len(old)-1] = nil
	w.index = -1
	*h = old[:len(old)-1]
	return w
}
