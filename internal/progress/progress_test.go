package progress

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a time source the test advances by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// fakeCounter stands in for the HTTP client's counters.
type fakeCounter struct{ n atomic.Int64 }

func (f *fakeCounter) Counts() (int64, int64, int64) { return f.n.Load(), 0, 0 }

// TestETAFromPlannedTotal runs a phase of 100 groups, one request each
// plus two list pages, at 10 requests a second: after 20 groups the ETA must
// be about the 80 groups left at that rate (8 s), not the few requests that
// happen to be queued.
func TestETAFromPlannedTotal(t *testing.T) {
	clk := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	reqs := &fakeCounter{}
	tr := newTracker(reqs, clk.now)
	ctx, end := tr.StartPhase(context.Background(), "groups")

	do := func() { tr.Issue(ctx); reqs.n.Add(1); clk.advance(100 * time.Millisecond) }
	do() // group/bulk page 1
	tr.SetItems(ctx, 100)
	do() // group/bulk page 2
	for i := 0; i < 20; i++ {
		tr.Plan(1)
		tr.StartItem(ctx)
		do()
		tr.DoneItem(ctx)
	}
	s := tr.Snapshot()
	if s.Requests != 22 || s.Elapsed != 2200*time.Millisecond {
		t.Fatalf("requests %d elapsed %s", s.Requests, s.Elapsed)
	}
	// 80 groups left × (22 requests / 20 groups) = 88 requests left.
	if s.PlannedRequests != 22+88 {
		t.Errorf("planned %d, want 110", s.PlannedRequests)
	}
	if s.ETA < 8*time.Second || s.ETA > 9*time.Second {
		t.Errorf("ETA %s, want 8.8s (88 requests at 10/s)", s.ETA)
	}
	if len(s.Phases) != 1 || s.Phases[0] != (Phase{Name: "groups", Done: 20, Total: 100}) {
		t.Errorf("phases %+v", s.Phases)
	}

	// The estimate is refined: groups turn out to cost 3 requests each.
	for i := 0; i < 40; i++ {
		tr.StartItem(ctx)
		do()
		do()
		do()
		tr.DoneItem(ctx)
	}
	s = tr.Snapshot()
	// 40 left × (142 / 60) ≈ 94.7 → 95.
	if left := s.PlannedRequests - s.Requests; left != 95 {
		t.Errorf("left %d, want 95", left)
	}
	end()
	s = tr.Snapshot()
	if s.ETA != 0 || s.PlannedRequests != s.Requests || !s.Phases[0].Finished {
		t.Errorf("finished run: ETA %s planned %d requests %d phases %+v", s.ETA, s.PlannedRequests, s.Requests, s.Phases)
	}
}

// TestETAUnknownWithoutTotals: a phase that has not learned its size gives
// no ETA rather than a wrong one; queued requests count as planned.
func TestETAUnknownWithoutTotals(t *testing.T) {
	clk := &fakeClock{t: time.Unix(0, 0)}
	reqs := &fakeCounter{}
	tr := newTracker(reqs, clk.now)
	ctx, _ := tr.StartPhase(context.Background(), "users")
	tr.Issue(ctx)
	reqs.n.Add(1)
	clk.advance(time.Second)
	if s := tr.Snapshot(); s.ETA >= 0 {
		t.Errorf("ETA %s, want unknown", s.ETA)
	}
	tr.Plan(5)
	s := tr.Snapshot()
	if s.PlannedRequests != 5 || s.ETA != 4*time.Second {
		t.Errorf("planned %d ETA %s, want 5 and 4s", s.PlannedRequests, s.ETA)
	}
}

func TestRowsCountedConcurrently(t *testing.T) {
	tr := NewTracker(nil)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				tr.AddRows("user", 1)
				tr.AddRows("member_of", 2)
			}
		}()
	}
	wg.Wait()
	s := tr.Snapshot()
	if s.Rows["user"] != 8000 || s.Rows["member_of"] != 16000 {
		t.Fatalf("rows %v", s.Rows)
	}
}

func TestNilTrackerIsNoOp(t *testing.T) {
	var tr *Tracker
	ctx, end := tr.StartPhase(context.Background(), "x")
	tr.Issue(ctx)
	tr.SetItems(ctx, 1)
	tr.StartItem(ctx)
	tr.DoneItem(ctx)
	tr.AddRows("user", 1)
	tr.Plan(1)
	end()
	if s := tr.Snapshot(); len(s.Rows) != 0 || s.ETA >= 0 {
		t.Fatalf("nil tracker snapshot %+v", s)
	}
}

func BenchmarkAddRows(b *testing.B) {
	tr := NewTracker(nil)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tr.AddRows("member_of", 1)
		}
	})
}
