package pipeline

import (
	"context"
	"sync"

	"github.com/govextract/jira-extractor/internal/jira"
)

// listingEnd is where one project/search listing is known to end: at a
// page's total, or after a page that said isLast. project/search answers
// 404 "when nothing matches", so a page read ahead past the end may answer
// 404: that is the end of the listing, not a page gone missing. Pages are
// read concurrently, so a 404 may come back before the page that says
// isLast: settle waits for the earlier pages first. Safe for concurrent
// use.
type listingEnd struct {
	mu       sync.Mutex
	end      int         // -1: unknown
	inflight map[int]int // startAt → pages being read there
	changed  chan struct{}
}

func newListingEnd() *listingEnd {
	return &listingEnd{end: -1, inflight: map[int]int{}, changed: make(chan struct{})}
}

// begin and finish bracket the read of the page at startAt; finish learns
// the end from p when the read succeeded.
func (e *listingEnd) begin(startAt int) {
	e.mu.Lock()
	e.inflight[startAt]++
	e.mu.Unlock()
}

func (e *listingEnd) finish(startAt int, p jira.Page[jira.Project], err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.inflight[startAt]--; e.inflight[startAt] <= 0 {
		delete(e.inflight, startAt)
	}
	if err == nil {
		end := -1
		if p.Total != nil && *p.Total >= 0 {
			end = *p.Total
		}
		if p.IsLast && (end < 0 || startAt+len(p.Values) < end) {
			end = startAt + len(p.Values)
		}
		if end >= 0 && (e.end < 0 || end < e.end) {
			e.end = end
		}
	}
	close(e.changed)
	e.changed = make(chan struct{})
}

// past reports whether startAt (after the first page) is at or past the end
// once every earlier page has been read (or the end is known to be before
// startAt).
func (e *listingEnd) past(ctx context.Context, startAt int) (bool, error) {
	if startAt == 0 {
		return false, nil
	}
	for {
		e.mu.Lock()
		known := e.end >= 0 && startAt >= e.end
		earlier := false
		for s := range e.inflight {
			earlier = earlier || s < startAt
		}
		ch := e.changed
		e.mu.Unlock()
		if known || !earlier {
			return known, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

// projectsPager returns the page function of one project/search listing,
// which remembers where the listing ends.
func (r *run) projectsPager() pageFunc[jira.Project] {
	end := newListingEnd()
	return func(ctx context.Context, startAt, maxResults int) (jira.Page[jira.Project], error) {
		end.begin(startAt)
		p, err := r.projectsPage(ctx, startAt, maxResults, end)
		end.finish(startAt, p, err)
		return p, err
	}
}
