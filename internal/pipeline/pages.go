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
// Without total, pages follow one another until isLast or an empty page.
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
		// Sequential: no way to know where the end is.
		if got == 0 || first.IsLast {
			return nil
		}
		for cur := got; ; {
			p, err := get(ctx, cur)
			if err != nil {
				return err
			}
			if len(p.Values) == 0 {
				return nil
			}
			r.plan(1)
			if err := handle(ctx, p.Values); err != nil {
				return err
			}
			cur += len(p.Values)
			if p.IsLast {
				return nil
			}
		}
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
