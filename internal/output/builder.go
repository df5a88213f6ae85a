package output

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/govextract/jira-extractor/internal/model"
)

// batchBuilder accumulates rows of one table in Arrow builders and estimates
// their in-memory size.
type batchBuilder struct {
	schema *arrow.Schema
	cols   []model.Column
	index  map[string]int // column name → position
	rb     *array.RecordBuilder
	rows   int
	bytes  int64

	// The size of the last batch, reserved up front for the next one so its
	// buffers are allocated once instead of doubling from empty.
	lastRows int
	lastData []int // per column: string bytes (0 for other types)
}

func newBatchBuilder(mem memory.Allocator, schema *arrow.Schema, cols []model.Column) *batchBuilder {
	idx := make(map[string]int, len(cols))
	for i, c := range cols {
		idx[c.Name] = i
	}
	return &batchBuilder{schema: schema, cols: cols, index: idx, rb: array.NewRecordBuilder(mem, schema), lastData: make([]int, len(cols))}
}

// record returns the rows built so far as a record (possibly empty) and
// resets the builder. The caller releases the record.
func (b *batchBuilder) record() arrow.RecordBatch {
	b.lastRows = b.rows
	for i := range b.lastData {
		b.lastData[i] = 0
		if sb, ok := b.rb.Field(i).(*array.StringBuilder); ok {
			b.lastData[i] = sb.DataLen()
		}
	}
	rec := b.rb.NewRecordBatch()
	b.rows, b.bytes = 0, 0
	return rec
}

// reserve sizes an empty builder for a batch like the last one, with an
// eighth more string space so a slightly larger batch does not double it.
func (b *batchBuilder) reserve() {
	if b.lastRows == 0 {
		return
	}
	b.rb.Reserve(b.lastRows)
	for i, n := range b.lastData {
		if n > 0 {
			b.rb.Field(i).(*array.StringBuilder).ReserveData(n + n/8)
		}
	}
}

func (b *batchBuilder) release() { b.rb.Release() }

// appendEntity validates e against the kind's columns and appends it. A row
// that fails validation leaves the builder unchanged.
func (b *batchBuilder) appendEntity(kind model.SourceType, e model.Entity) error {
	if e.SourceType != kind {
		return fmt.Errorf("entity %q has source_type %q in a batch of %q", e.SourceID, e.SourceType, kind)
	}
	if b.rows == 0 {
		b.reserve()
	}
	common := len(model.CommonEntityColumns)
	vals := make([]any, len(b.cols)-common)
	for name, v := range e.Attrs {
		i, ok := b.index[name]
		if !ok || i < common {
			return fmt.Errorf("%s %q: attribute %q is not a column of %s", kind, e.SourceID, name, kind)
		}
		nv, err := normalize(b.cols[i], v)
		if err != nil {
			return fmt.Errorf("%s %q: column %s: %w", kind, e.SourceID, name, err)
		}
		vals[i-common] = nv
	}
	for j, v := range vals {
		if c := b.cols[common+j]; v == nil && !c.Nullable {
			return fmt.Errorf("%s %q: column %s is required (not nullable) but missing", kind, e.SourceID, c.Name)
		}
	}
	b.appendString(0, e.SourceID)
	b.appendString(1, string(e.SourceType))
	b.appendString(2, string(model.EntityTypeOf(kind)))
	b.appendString(3, e.Name)
	b.appendString(4, e.Metadata)
	for j, v := range vals {
		b.appendValue(common+j, v)
	}
	b.rows++
	b.bytes += 8 // validity bits and slack
	return nil
}

// appendRelation appends r, whose kind must be the table's.
func (b *batchBuilder) appendRelation(kind model.RelationKind, r model.Relation) error {
	if r.Kind != kind {
		return fmt.Errorf("relation %s %q → %s %q has kind %q in a batch of %q", r.FromType, r.FromID, r.ToType, r.ToID, r.Kind, kind)
	}
	if b.rows == 0 {
		b.reserve()
	}
	for i, s := range []string{string(r.Kind), r.FromType, r.FromID, r.ToType, r.ToID, r.Metadata} {
		b.appendString(i, s)
	}
	b.rows++
	b.bytes += 8
	return nil
}

// normalize checks a value's Go type against its column and returns the
// value to store, or nil for a null. Empty strings in nullable columns are
// nulls (as the model's constructors make them), so Parquet and CSV agree.
func normalize(c model.Column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.Type {
	case model.String:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want string, got %T", v)
		}
		if s == "" && c.Nullable {
			return nil, nil
		}
		return s, nil
	case model.Bool:
		if bv, ok := v.(bool); ok {
			return bv, nil
		}
		return nil, fmt.Errorf("want bool, got %T", v)
	case model.Int64:
		switch n := v.(type) {
		case int64:
			return n, nil
		case int:
			return int64(n), nil
		case int32:
			return int64(n), nil
		}
		return nil, fmt.Errorf("want int64, got %T", v)
	case model.Timestamp:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("want time.Time, got %T", v)
		}
		if t.IsZero() {
			return nil, nil
		}
		return t, nil
	}
	return nil, fmt.Errorf("unknown column type %q", c.Type)
}

func (b *batchBuilder) appendString(i int, s string) {
	b.rb.Field(i).(*array.StringBuilder).Append(s)
	b.bytes += int64(len(s)) + 4
}

func (b *batchBuilder) appendValue(i int, v any) {
	f := b.rb.Field(i)
	if v == nil {
		f.AppendNull()
		b.bytes += 4
		return
	}
	switch x := v.(type) {
	case string:
		b.appendString(i, x)
	case bool:
		f.(*array.BooleanBuilder).Append(x)
		b.bytes++
	case int64:
		f.(*array.Int64Builder).Append(x)
		b.bytes += 8
	case time.Time:
		f.(*array.TimestampBuilder).Append(arrow.Timestamp(x.UnixMilli()))
		b.bytes += 8
	}
}
