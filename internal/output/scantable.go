package output

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
)

// ScanTable streams the records of any table of the run (e.g. an apply
// run's actions table), checked against schema; fn must not keep a record.
// It fails when the manifest has no such table of that kind.
func (r *RunReader) ScanTable(ctx context.Context, name, kind string, schema *arrow.Schema, fn func(arrow.RecordBatch) error) error {
	t, err := r.table(name, kind)
	if err != nil {
		return err
	}
	return r.scan(ctx, t, schema, fn)
}

// StringAt is the string cell i of a string column ("" when null).
func StringAt(a arrow.Array, i int) string { return stringAt(a, i) }
