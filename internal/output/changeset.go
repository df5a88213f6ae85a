package output

import (
	"bufio"
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output/store"
)

// ChangesDir is the folder of a run's change set.
const ChangesDir = "changes"

// Change kinds and record kinds of a change set row.
const (
	ChangeAdded   = "added"
	ChangeRemoved = "removed"
	ChangeUpdated = "updated"
	RecordEntity  = "entity"
	RecordRel     = "relation"
)

// Change is one row of a change set: an entity or relation added, removed
// or updated between two runs. Before and After are the row's attributes
// as JSON (Before empty for an added row, After for a removed one).
type Change struct {
	Change   string // ChangeAdded, ChangeRemoved, ChangeUpdated
	Record   string // RecordEntity or RecordRel
	Kind     string // source_type or relation kind
	SourceID string // entities
	FromType string // relations
	FromID   string
	ToType   string
	ToID     string
	Before   string
	After    string
}

// ChangeColumns are the columns of a change set, in file order.
var ChangeColumns = []model.Column{
	{Name: "change", Type: model.String, Doc: "added, removed or updated"},
	{Name: "record", Type: model.String, Doc: "entity or relation"},
	{Name: "kind", Type: model.String, Doc: "the entity's source_type or the relation kind"},
	{Name: "source_id", Type: model.String, Nullable: true, Doc: "an entity's source_id"},
	{Name: "from_type", Type: model.String, Nullable: true, Doc: "a relation's from_type"},
	{Name: "from_id", Type: model.String, Nullable: true, Doc: "a relation's from_id"},
	{Name: "to_type", Type: model.String, Nullable: true, Doc: "a relation's to_type"},
	{Name: "to_id", Type: model.String, Nullable: true, Doc: "a relation's to_id"},
	{Name: "before", Type: model.String, Nullable: true, Doc: "the row's attributes before, as JSON (removed and updated rows)"},
	{Name: "after", Type: model.String, Nullable: true, Doc: "the row's attributes after, as JSON (added and updated rows)"},
}

// ChangeSchema is the Arrow schema of change set files.
func ChangeSchema() *arrow.Schema { return schemaOf(ChangeColumns) }

// changePartRows is the most rows a change set part file holds.
const changePartRows = 50_000

// ChangeWriter writes a change set as DIR/changes/part-NNNNN files, in the
// run's format, a part file at a time; it is not safe for concurrent use.
type ChangeWriter struct {
	store  store.Store
	enc    encoder
	schema *arrow.Schema
	rb     *array.RecordBuilder
	rows   int
	files  []manifest.File
	counts map[string]int64
	total  int64
}

func newChangeWriter(st store.Store, enc encoder) *ChangeWriter {
	schema := ChangeSchema()
	mem := memory.NewGoAllocator()
	enc.mem = mem
	return &ChangeWriter{store: st, enc: enc, schema: schema, rb: array.NewRecordBuilder(mem, schema), counts: map[string]int64{}}
}

// Changes returns a writer of the run's change set (incremental runs).
func (r *Writer) Changes() *ChangeWriter { return newChangeWriter(r.store, r.enc) }

// Changes returns a writer of a change set in this run folder (diff).
func (w *TableWriter) Changes() *ChangeWriter { return newChangeWriter(w.store, w.enc) }

// Add appends one change; a full part file is written on the way.
func (c *ChangeWriter) Add(ctx context.Context, ch Change) error {
	str := func(i int, v string, nullable bool) {
		b := c.rb.Field(i).(*array.StringBuilder)
		if nullable && v == "" {
			b.AppendNull()
			return
		}
		b.Append(v)
	}
	str(0, ch.Change, false)
	str(1, ch.Record, false)
	str(2, ch.Kind, false)
	for i, v := range []string{ch.SourceID, ch.FromType, ch.FromID, ch.ToType, ch.ToID, ch.Before, ch.After} {
		str(3+i, v, true)
	}
	c.rows++
	c.total++
	c.counts[ch.Change+" "+ch.Record+" "+ch.Kind]++
	if c.rows >= changePartRows {
		return c.flush(ctx)
	}
	return nil
}

func (c *ChangeWriter) flush(ctx context.Context) error {
	rec := c.rb.NewRecordBatch()
	defer rec.Release()
	c.rows = 0
	name := fmt.Sprintf("%s/part-%05d%s", ChangesDir, len(c.files), c.enc.ext())
	w, err := c.store.Create(ctx, name)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	hw := newHashWriter(bw)
	err = c.enc.write(hw, c.schema, rec)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		w.Abort()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := w.Commit(ctx); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	c.files = append(c.files, manifest.File{Path: name, Rows: rec.NumRows(), Bytes: hw.n, SHA256: hw.sum()})
	return nil
}

// Close writes the last part file (an empty change set still gets one) and
// returns the change set's manifest entry.
func (c *ChangeWriter) Close(ctx context.Context, base string) (*manifest.ChangeSet, error) {
	defer c.rb.Release()
	if c.rows > 0 || len(c.files) == 0 {
		if err := c.flush(ctx); err != nil {
			return nil, err
		}
	}
	return &manifest.ChangeSet{Base: base, Rows: c.total, Counts: c.counts, Files: c.files}, nil
}

// ScanChanges calls fn for every row of the run's change set, in file
// order; a run without one has no rows.
func (r *RunReader) ScanChanges(ctx context.Context, fn func(Change) error) error {
	if r.m.Changes == nil {
		return nil
	}
	t := &manifest.Table{Name: ChangesDir, Files: r.m.Changes.Files}
	return r.scan(ctx, t, ChangeSchema(), func(rec arrow.RecordBatch) error {
		for i := 0; i < int(rec.NumRows()); i++ {
			s := func(j int) string { return stringAt(rec.Column(j), i) }
			ch := Change{Change: s(0), Record: s(1), Kind: s(2), SourceID: s(3), FromType: s(4), FromID: s(5),
				ToType: s(6), ToID: s(7), Before: s(8), After: s(9)}
			if err := fn(ch); err != nil {
				return err
			}
		}
		return nil
	})
}

// Flush writes every table's rows still in memory (a kind without rows gets
// one empty part file) and fills m.Tables, m.Format and m.Compression,
// without writing the manifest: the run can then be read back through
// Pending (to compute its change set) before Commit writes manifest.json.
func (r *Writer) Flush(ctx context.Context, m *manifest.Manifest) error {
	if err := r.usable(); err != nil {
		return err
	}
	r.writers.Lock()
	defer r.writers.Unlock()
	return r.flushAll(ctx, m)
}

// Pending reads the run being written as if m (filled by Flush) were its
// manifest.
func (r *Writer) Pending(m *manifest.Manifest) *RunReader {
	return &RunReader{loc: r.loc, store: r.store, m: m, mem: memory.DefaultAllocator}
}
