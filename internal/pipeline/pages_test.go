package pipeline

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/jira"
)

// listServer serves n ints as a PageBean list without a total, at most
// cap values a page (fewer than asked: a short page inside the list), and
// records requests and the most in flight at once.
type listServer struct {
	n, cap            int
	requests          atomic.Int64
	mu                sync.Mutex
	inFlight, maxSeen int
	// gate opens when two requests are in flight at once. Requests past
	// the sequential pages wait for it (at most gateWait), so a read-ahead
	// shows as overlap however fast the fake answers.
	gate     chan struct{}
	gateOnce sync.Once
}

const gateWait = 5 * time.Second

func (s *listServer) fetch(_ context.Context, startAt, maxResults int) (jira.Page[int], error) {
	s.requests.Add(1)
	s.mu.Lock()
	s.inFlight++
	s.maxSeen = max(s.maxSeen, s.inFlight)
	if s.inFlight >= 2 {
		s.gateOnce.Do(func() { close(s.gate) })
	}
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.inFlight--; s.mu.Unlock() }()
	if startAt >= (seqPages+1)*50 {
		select {
		case <-s.gate:
		case <-time.After(gateWait): // no overlap came: the test fails on maxSeen
		}
	}
	var vals []int
	for i := startAt; i < min(s.n, startAt+min(maxResults, s.cap)); i++ {
		vals = append(vals, i)
	}
	return jira.Page[int]{StartAt: startAt, MaxResults: maxResults, Values: vals, IsLast: startAt+len(vals) >= s.n}, nil
}

func readList(t *testing.T, s *listServer, conc int) []int {
	t.Helper()
	return readPages(t, s.n, conc, s.fetch)
}

// readPages reads a list of the ints 0..n-1 through pageBeans and returns
// how many times each was handed over.
func readPages(t *testing.T, n, conc int, fetch pageFunc[int]) []int {
	t.Helper()
	r := newRun(Options{Concurrency: conc, Source: newFakeSite(1, 1, 0)})
	var mu sync.Mutex
	seen := make([]int, n)
	err := pageBeans(context.Background(), r, "list", 50, fetch, func(_ context.Context, vs []int) error {
		mu.Lock()
		defer mu.Unlock()
		for _, v := range vs {
			seen[v]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return seen
}

// A long list without a total is read ahead (several pages at once), every
// value exactly once, and at most maxAhead-1 requests past its end.
func TestReadAheadWithoutTotal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		n, cap int
	}{
		{"full pages", 1308, 50},
		{"ends exactly at a page", 1300, 50},
		{"short pages inside", 1308, 37},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &listServer{n: tc.n, cap: tc.cap, gate: make(chan struct{})}
			for v, c := range readList(t, s, 16) {
				if c != 1 {
					t.Fatalf("value %d read %d times", v, c)
				}
			}
			// Each 50-slot costs ceil(50/cap) requests; past the end at
			// most maxAhead-1 slots, each of one (empty) request.
			perSlot := (50 + tc.cap - 1) / tc.cap
			slots := (tc.n + 49) / 50
			if got, limit := s.requests.Load(), int64(slots*perSlot+maxAhead); got > limit {
				t.Errorf("%d requests for %d values, limit %d", got, tc.n, limit)
			}
			if s.maxSeen < 2 {
				t.Errorf("pages were read one at a time (at most %d in flight)", s.maxSeen)
			}
		})
	}
}

// A short list (most groups) costs no speculative request: its pages are
// read one after another and it ends on isLast.
func TestReadAheadShortListNoWaste(t *testing.T) {
	for n := 1; n <= (seqPages+1)*50; n += 37 {
		s := &listServer{n: n, cap: 50, gate: make(chan struct{})}
		readList(t, s, 16)
		if want := int64((n + 49) / 50); s.requests.Load() != want {
			t.Errorf("%d values: %d requests, want %d", n, s.requests.Load(), want)
		}
	}
}

// The read-ahead window slides: while one page of a list without a total
// is slow (a request retrying through a run of faults), the pages after
// it go on, beyond any window that holds it; a window read as a whole
// waited for its slowest page, and a long list became the run's tail.
// Every value is still read exactly once.
func TestReadAheadSlidesPastASlowPage(t *testing.T) {
	const (
		n    = 2000
		slow = (seqPages + 2) * 50 // a page read once the window has opened
		past = slow + maxAhead*50  // no window holding slow reaches this page
	)
	reached := make(chan struct{})
	var once sync.Once
	var slowWaited atomic.Bool
	fetch := func(_ context.Context, startAt, maxResults int) (jira.Page[int], error) {
		switch {
		case startAt == slow:
			select {
			case <-reached:
			case <-time.After(gateWait): // the later pages never came
				slowWaited.Store(true)
			}
		case startAt >= past:
			once.Do(func() { close(reached) })
		}
		var vals []int
		for i := startAt; i < min(n, startAt+maxResults); i++ {
			vals = append(vals, i)
		}
		return jira.Page[int]{StartAt: startAt, MaxResults: maxResults, Values: vals, IsLast: startAt+len(vals) >= n}, nil
	}
	seen := readPages(t, n, 16, fetch)
	if slowWaited.Load() {
		t.Fatalf("no page from startAt=%d was read while the page at %d was slow", past, slow)
	}
	for v, c := range seen {
		if c != 1 {
			t.Fatalf("value %d read %d times", v, c)
		}
	}
}
