package pipeline

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/govextract/jira-extractor/internal/jira"
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
		return readAhead(ctx, r, got, step, get, handle)
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
	g, gctx := errgroup.WithContext(ctx)
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
// page-sized steps. The first seqPages pages go one at a time; after that
// the window doubles (2, 4, ... maxAhead pages read concurrently), because
// under latency or faults a long list read one page at a time is the run's
// critical path. Each window slot reads [start, start+step) and follows a
// short page from startAt+len, so a server that returns fewer values than
// asked loses nothing. The list ends at a window whose last slot met an
// empty page or isLast.
func readAhead[T any](ctx context.Context, r *run, cur, step int,
	get func(context.Context, int) (jira.Page[T], error), handle func(context.Context, []T) error) error {
	// slot reads [start, end) and reports whether it met the list's end.
	slot := func(ctx context.Context, start, end int) (ended bool, err error) {
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
				// The rest belongs to the next slot, so this page's
				// isLast says nothing about this slot.
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
	width := 1
	for n := 0; ; n++ {
		if n >= seqPages {
			width = min(2*width, maxAhead, max(r.conc, 1))
		}
		ended := make([]bool, width)
		g, gctx := errgroup.WithContext(ctx)
		for i := range width {
			start := cur + i*step
			g.Go(func() (err error) {
				ended[i], err = slot(gctx, start, start+step)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		if ended[width-1] {
			return nil
		}
		r.plan(width)
		cur += width * step
	}
}
