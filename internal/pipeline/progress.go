package pipeline

import (
	"context"

	"github.com/govextract/jira-extractor/internal/jira"
)

// counted wraps a list endpoint so that its first page tells the progress
// tracker how many items the current phase goes through (at most limit when
// limit > 0): the page's total, or its length when it is also the last.
func counted[T any](r *run, fetch pageFunc[T], limit int) pageFunc[T] {
	return func(ctx context.Context, startAt, maxResults int) (jira.Page[T], error) {
		p, err := fetch(ctx, startAt, maxResults)
		if err != nil || startAt != 0 {
			return p, err
		}
		n := int64(-1)
		switch {
		case p.Total != nil:
			n = int64(*p.Total)
		case p.IsLast || len(p.Values) == 0:
			n = int64(len(p.Values))
		}
		if n >= 0 {
			if limit > 0 {
				n = min(n, int64(limit))
			}
			r.track.SetItems(ctx, n)
		}
		return p, nil
	}
}

// item counts one item of ctx's phase started and returns the function
// that counts it finished.
func (r *run) item(ctx context.Context) func() {
	r.track.StartItem(ctx)
	return func() { r.track.DoneItem(ctx) }
}
