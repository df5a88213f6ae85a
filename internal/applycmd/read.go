package applycmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/output/store"
)

// ErrNotApplyRun is wrapped by ReadActions when the run has no actions
// table (an extraction run, say).
var ErrNotApplyRun = errors.New("not an apply run: its manifest lists no actions table")

// ReadActions reads the actions table of a finished apply run (local or
// S3), in plan order. An incomplete run (no manifest.json) is an error
// wrapping output.ErrIncomplete.
func ReadActions(ctx context.Context, loc location.Location, s3opts *store.S3Options) ([]apply.Outcome, error) {
	rr, err := output.OpenRun(ctx, loc, s3opts)
	if err != nil {
		return nil, err
	}
	if rr.Manifest().Table(ActionsTable) == nil {
		return nil, fmt.Errorf("%s: %w", loc, ErrNotApplyRun)
	}
	var outs []apply.Outcome
	err = rr.ScanTable(ctx, ActionsTable, ActionsKind, ActionsSchema, func(rec arrow.RecordBatch) error {
		str := func(c, i int) string { return output.StringAt(rec.Column(c), i) }
		num := func(c, i int) int {
			if a := rec.Column(c); !a.IsNull(i) {
				return int(a.(*array.Int64).Value(i))
			}
			return 0
		}
		ts := func(c, i int) time.Time {
			if a := rec.Column(c); !a.IsNull(i) {
				return time.UnixMilli(int64(a.(*array.Timestamp).Value(i))).UTC()
			}
			return time.Time{}
		}
		for i := range int(rec.NumRows()) {
			outs = append(outs, apply.Outcome{ID: str(0, i), Op: str(1, i), Relation: str(2, i), Entity: str(3, i),
				FromType: str(4, i), FromID: str(5, i), ToType: str(6, i), ToID: str(7, i), Status: apply.Status(str(8, i)),
				HTTPStatus: num(9, i), Message: str(10, i), TicketKey: str(11, i), Attempts: num(12, i),
				StartedAt: ts(13, i), FinishedAt: ts(14, i)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the actions table of %s: %w", loc, err)
	}
	return outs, nil
}
