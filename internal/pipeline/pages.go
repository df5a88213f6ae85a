package pipeline

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/slots"
)

// pageFunc fetches one PageBean page.
type pageFunc[T any] func(ctx context.Context, startAt, maxResults int) (jira.Page[T], error)

// pageBeans reads every page of a PageBean endpoint and passes each page's
// values to handle (possibly from several goroutines at once).
//
// The first page is read alone. When it carries total, the rest of the range
// is cut into page-sized slices read in parallel (at most conc at a time, each
// request under the in-flight bound); a short page inside a slice is followed
// by a read from startAt+len until the slice is full or a page is empty.
// Without total, pages follow one another until isLast or an empty page;
// once a list has shown itself long, pages are read ahead (readAhead).
// nextPage is never followed: the next startAt is always startAt+len(values).
func pageBeans[T any](ctx context.Context, r *run, what string, size int, fetch pageFunc[T], handle func(context.Context, []T) error) error {
	get := func(ctx context.Context, startAt int) (jira.Page[T], error) {
		p, err := call(ctx, r, func(ctx context.Context) (jira.Page[T], error) { return fetch(ctx, startAt, size) })
		if err != nil {
			return p, fmt.Errorf("%s startAt=%d: %w", what, startAt, err)
		}
		r.log.Debug("page", "endpoint", what, "start_at", startAt, "values", len(p.Values), "total", p.Total, "is_last", p.IsLast)
		return p, nil
	}
	first, err := get(ctx, 0)
	if err != nil {
		return err
	}
	if len(first.Values) > 0 {
		if err := handle(ctx, first.Values); err != nil {
			return err
		}
	}
	step := size
	if first.MaxResults > 0 && first.MaxResults < size {
		step = first.MaxResults
	}
	got := len(first.Values)

	if first.Total == nil {
		if got == 0 || first.IsLast {
			return nil
		}
		// A list without a total is read page after page: a chain that
		// nothing else can shorten, so it goes ahead of other work.
		return readAhead(slots.Urgent(ctx), r, got, step, get, handle)
	}

	total := *first.Total
	if got == 0 || total <= got || first.IsLast {
		return nil
	}
	// slice reads [cur, end), following short pages. The last slice is
	// open-ended: when its page at total does not say isLast (members were
	// added mid-run), it reads on until a page is empty or says isLast.
	slice := func(ctx context.Context, cur, end int) error {
		open := end >= total
		for cur < end || open {
			p, err := get(ctx, cur)
			if err != nil {
				return err
			}
			vals := p.Values
			if len(vals) == 0 {
				return nil
			}
			if !open && len(vals) > end-cur {
				vals = vals[:end-cur]
			}
			if err := handle(ctx, vals); err != nil {
				return err
			}
			cur += len(vals)
			if p.IsLast {
				return nil
			}
		}
		return nil
	}
	// The rest of the list ranks as work begun now (see fetchAll).
	g, gctx := errgroup.WithContext(slots.Begin(ctx))
	g.SetLimit(r.conc)
	r.plan((total - step + step - 1) / step)
	if got < step {
		g.Go(func() error { return slice(gctx, got, min(step, total)) })
	}
	for start := step; start < total; start += step {
		g.Go(func() error { return slice(gctx, start, min(start+step, total)) })
	}
	return g.Wait()
}

// Read-ahead of PageBean lists without a total.
const (
	// seqPages full pages are read one after another before read-ahead
	// starts: short lists (most groups) never cost a speculative request.
	seqPages = 3
	// maxAhead bounds the pages read at once, so a long list wastes at most
	// maxAhead-1 requests past its end.
	maxAhead = 8
)

// readAhead reads a PageBean list whose size is unknown, from cur on, in
// page-sized slots [start, start+step). The first seqPages slots go one
// at a time: short lists (most groups) never cost a speculative request.
// After that the window opens by one slot per slot read (2, 3, ...
// maxAhead at once) and slides: a new slot starts as soon as one comes
// back, not when the slowest of a window does. Under faults a window
// waited for its unluckiest page, and a long list read window by window
// was the run's critical path. Each slot follows a short page from
// startAt+len, so a server that returns fewer values than asked loses
// nothing. Once a slot meets an empty page or isLast no new slot starts;
// when the slots in flight are back, the list ends if the furthest one
// met the end too, and reading goes on after it otherwise (the list grew
// while it was read).
func readAhead[T any](ctx context.Context, r *run, cur, step int,
	get func(context.Context, int) (jira.Page[T], error), handle func(context.Context, []T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		start int
		ended bool
		err   error
	}
	limit := min(maxAhead, max(r.conc, 1))
	results := make(chan result, limit) // at most limit in flight: sends never block
	inflight, read, furthest := 0, 0, -1
	stop, furthestEnded := false, false
	var firstErr error
	for {
		width := 1
		if read >= seqPages {
			width = min(limit, 2+read-seqPages)
		}
		for firstErr == nil && !stop && inflight < width {
			start := cur
			cur += step
			furthest, furthestEnded = start, false
			inflight++
			r.plan(1)
			go func() {
				ended, err := readSlot(ctx, start, start+step, get, handle)
				results <- result{start, ended, err}
			}()
		}
		if inflight == 0 {
			if firstErr != nil || furthestEnded {
				return firstErr
			}
			stop = false
			continue
		}
		res := <-results
		inflight--
		switch {
		case res.err != nil:
			if firstErr == nil {
				firstErr = res.err
				cancel()
			}
		case res.ended:
			stop = true
		default:
			read++
		}
		if res.start == furthest {
			furthestEnded = res.ended
		}
	}
}

// readSlot reads [start, end) of a list without a total, following short
// pages, and reports whether it met the list's end (an empty page or
// isLast).
func readSlot[T any](ctx context.Context, start, end int,
	get func(context.Context, int) (jira.Page[T], error), handle func(context.Context, []T) error) (ended bool, err error) {
	for c := start; c < end; {
		p, err := get(ctx, c)
		if err != nil {
			return false, err
		}
		if len(p.Values) == 0 {
			return true, nil
		}
		vals := p.Values
		if len(vals) > end-c {
			// The rest belongs to the next slot, so this page's isLast
			// says nothing about this slot.
			return false, handle(ctx, vals[:end-c])
		}
		if err := handle(ctx, vals); err != nil {
			return false, err
		}
		c += len(vals)
		if p.IsLast {
			return true, nil
		}
	}
	return false, nil
}
