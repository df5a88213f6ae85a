package slots

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/govextract/jira-extractor/internal/testsupport/poll"
)

// queue starts one Acquire per context, in order, each queued before the
// next starts (the pool must be full); got receives each caller's name
// when it holds a slot.
func queue(t *testing.T, p *Pool, names []string, ctxs []context.Context, got chan<- string) {
	t.Helper()
	base := p.Waiting()
	for i, ctx := range ctxs {
		go func() {
			if err := p.Acquire(ctx); err != nil {
				t.Errorf("%s: %v", names[i], err)
				return
			}
			got <- names[i]
		}()
		poll.Until(t, names[i]+" queued", func() bool { return p.Waiting() == base+i+1 })
	}
}

// A full pool hands each freed slot to the lowest rank first (an Urgent
// one before any), and to equal ranks in the order they asked; a
// first-come-first-served pool would serve "new", "old-1", "urgent", ...
func TestFreedSlotGoesToTheOldestWork(t *testing.T) {
	p := New(1)
	bg := context.Background()
	old := Begin(bg)
	newer := Begin(bg)
	if r1, _ := RankOf(old); func() bool { r2, _ := RankOf(newer); return r1 >= r2 }() {
		t.Fatal("Begin's ranks do not grow")
	}
	if err := p.Acquire(bg); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 5)
	names := []string{"new", "old-1", "urgent", "old-2", "unranked"}
	queue(t, p, names, []context.Context{newer, old, Urgent(newer), old, bg}, got)
	var order []string
	for range names {
		p.Release()
		order = append(order, <-got)
	}
	if want := []string{"urgent", "old-1", "old-2", "new", "unranked"}; !slices.Equal(order, want) {
		t.Fatalf("served %v, want %v", order, want)
	}
	p.Release()
	if p.InUse() != 0 || p.Waiting() != 0 {
		t.Fatalf("in use %d, waiting %d after every release", p.InUse(), p.Waiting())
	}
}

// Never more than Size holders at once, however many callers.
func TestPoolBoundsHolders(t *testing.T) {
	p := New(3)
	var mu sync.Mutex
	cur, peak := 0, 0
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			if i%3 == 0 {
				ctx = Urgent(ctx)
			}
			for range 50 {
				if err := p.Acquire(ctx); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				cur++
				peak = max(peak, cur)
				mu.Unlock()
				mu.Lock()
				cur--
				mu.Unlock()
				p.Release()
			}
		}()
	}
	wg.Wait()
	if peak > 3 || peak < 1 || p.InUse() != 0 {
		t.Fatalf("peak %d holders of 3 slots, %d still held", peak, p.InUse())
	}
}

// A caller whose context ends while it waits leaves the queue holding no
// slot; the next free slot goes to the others.
func TestCancelledWaiterLeavesTheQueue(t *testing.T) {
	p := New(1)
	if err := p.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(Urgent(context.Background()))
	errc := make(chan error, 1)
	go func() { errc <- p.Acquire(ctx) }()
	poll.Until(t, "the urgent waiter", func() bool { return p.Waiting() == 1 })
	got := make(chan string, 1)
	queue(t, p, []string{"other"}, []context.Context{Begin(context.Background())}, got)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Acquire returned %v", err)
	}
	if p.Waiting() != 1 || p.InUse() != 1 {
		t.Fatalf("after the cancel: %d waiting, %d in use; want 1 and 1", p.Waiting(), p.InUse())
	}
	p.Release()
	if who := <-got; who != "other" {
		t.Fatalf("the freed slot went to %q", who)
	}
	p.Release()
	if err := p.Acquire(ctx); !errors.Is(err, context.Canceled) || p.InUse() != 0 {
		t.Fatalf("Acquire with an ended context returned %v holding %d slots", err, p.InUse())
	}
}
