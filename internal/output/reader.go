package output

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/csv"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output/store"
)

// ErrIncomplete is wrapped by OpenRun when the run folder has no manifest.
var ErrIncomplete = errors.New("run is not complete: no manifest.json")

// readBatchRows is how many rows a reader decodes at a time.
const readBatchRows = 16 * 1024

// RunReader reads a finished run: its manifest, its rows, its checksums.
type RunReader struct {
	loc   location.Location
	store store.Store
	m     *manifest.Manifest
	mem   memory.Allocator
}

// OpenRun opens the finished run at loc: a local folder or
// s3://bucket/prefix/RUN_ID (s3opts gives region, endpoint, ...; may be
// nil). It fails with ErrIncomplete when manifest.json is missing.
func OpenRun(ctx context.Context, loc location.Location, s3opts *store.S3Options) (*RunReader, error) {
	return openRun(ctx, loc, s3opts, nil)
}

func openRun(ctx context.Context, loc location.Location, s3opts *store.S3Options, tune *tuning) (*RunReader, error) {
	var st store.Store
	switch {
	case loc.IsS3():
		if loc.Prefix() == "" {
			return nil, fmt.Errorf("%s names a bucket, not a run: write s3://bucket/prefix/RUN_ID", loc)
		}
		s, err := newS3Store(ctx, loc.Bucket(), loc.Prefix(), s3opts, tune)
		if err != nil {
			return nil, err
		}
		st = s
	case loc.IsLocal():
		p := loc.Path()
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("no run folder at %s: %w", p, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("%s is not a run folder (it is a file)", p)
		}
		st = store.NewLocal(p, true)
	default:
		return nil, errors.New("no run location: name a run folder, file:///path/RUN_ID or s3://bucket/prefix/RUN_ID")
	}
	f, err := st.Open(ctx, manifest.FileName)
	if err != nil {
		if errors.Is(err, store.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w (the run failed, was cancelled or is still running)", st.Location(), ErrIncomplete)
		}
		return nil, fmt.Errorf("read manifest of %s: %w", st.Location(), err)
	}
	defer f.Close()
	var m manifest.Manifest
	if err := json.NewDecoder(f).Decode(&m); err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", st.Location(), manifest.FileName, err)
	}
	var mem memory.Allocator = memory.DefaultAllocator
	if tune != nil && tune.mem != nil {
		mem = tune.mem
	}
	return &RunReader{loc: loc, store: st, m: &m, mem: mem}, nil
}

// Manifest returns the run's manifest.
func (r *RunReader) Manifest() *manifest.Manifest { return r.m }

// Location is the run folder.
func (r *RunReader) Location() location.Location { return r.loc }

func (r *RunReader) table(name, kind string) (*manifest.Table, error) {
	t := r.m.Table(name)
	if t == nil {
		return nil, fmt.Errorf("%s: the manifest has no table %q", r.Location(), name)
	}
	if t.Kind != kind {
		return nil, fmt.Errorf("%s: table %q is a %s table, not %s", r.Location(), name, t.Kind, kind)
	}
	return t, nil
}

// ScanEntities calls fn for every row of an entity kind, in file order.
// Attrs hold the typed columns as string, bool, int64 or time.Time (UTC);
// nulls are absent.
func (r *RunReader) ScanEntities(ctx context.Context, kind model.SourceType, fn func(model.Entity) error) error {
	t, err := r.table(string(kind), manifest.KindEntity)
	if err != nil {
		return err
	}
	cols := model.EntityColumns(kind)
	common := len(model.CommonEntityColumns)
	return r.scan(ctx, t, EntitySchema(kind), func(rec arrow.RecordBatch) error {
		for i := 0; i < int(rec.NumRows()); i++ {
			e := model.Entity{
				SourceType: model.SourceType(stringAt(rec.Column(1), i)),
				SourceID:   stringAt(rec.Column(0), i),
				Name:       stringAt(rec.Column(3), i),
				Metadata:   stringAt(rec.Column(4), i),
				Attrs:      make(map[string]any, len(cols)-common),
			}
			for j := common; j < len(cols); j++ {
				if v, ok := valueAt(cols[j], rec.Column(j), i); ok {
					e.Attrs[cols[j].Name] = v
				}
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	})
}

// ScanRelations calls fn for every row of a relation kind, in file order.
func (r *RunReader) ScanRelations(ctx context.Context, kind model.RelationKind, fn func(model.Relation) error) error {
	t, err := r.table(string(kind), manifest.KindRelation)
	if err != nil {
		return err
	}
	return r.scan(ctx, t, RelationSchema(), func(rec arrow.RecordBatch) error {
		for i := 0; i < int(rec.NumRows()); i++ {
			rel := model.Relation{
				Kind:     model.RelationKind(stringAt(rec.Column(0), i)),
				FromType: stringAt(rec.Column(1), i),
				FromID:   stringAt(rec.Column(2), i),
				ToType:   stringAt(rec.Column(3), i),
				ToID:     stringAt(rec.Column(4), i),
				Metadata: stringAt(rec.Column(5), i),
			}
			if err := fn(rel); err != nil {
				return err
			}
		}
		return nil
	})
}

// scan streams the records of every file of t, checked against schema.
func (r *RunReader) scan(ctx context.Context, t *manifest.Table, schema *arrow.Schema, fn func(arrow.RecordBatch) error) error {
	for _, mf := range t.Files {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := r.store.Open(ctx, mf.Path)
		if err != nil {
			return fmt.Errorf("%s: %w", mf.Path, err)
		}
		err = readRecords(ctx, f, mf.Path, schema, r.mem, fn)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// readRecords decodes a Parquet or CSV part file (by extension) into
// records of schema and calls fn with each; fn must not keep a record.
func readRecords(ctx context.Context, f store.File, name string, schema *arrow.Schema, mem memory.Allocator, fn func(arrow.RecordBatch) error) error {
	switch {
	case strings.HasSuffix(name, ".parquet"):
		return readParquet(ctx, f, name, schema, mem, fn)
	case strings.HasSuffix(name, ".csv"), strings.HasSuffix(name, ".csv.gz"):
		return readCSV(f, name, schema, mem, fn)
	}
	return fmt.Errorf("%s: unknown file type (want .parquet, .csv or .csv.gz)", name)
}

func readParquet(ctx context.Context, f store.File, name string, schema *arrow.Schema, mem memory.Allocator, fn func(arrow.RecordBatch) error) error {
	pr, err := file.NewParquetReader(f)
	if err != nil {
		return fmt.Errorf("%s: not a readable Parquet file: %w", name, err)
	}
	defer pr.Close()
	fr, err := pqarrow.NewFileReader(pr, pqarrow.ArrowReadProperties{BatchSize: readBatchRows}, mem)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	got, err := fr.Schema()
	if err != nil {
		return fmt.Errorf("%s: read schema: %w", name, err)
	}
	if err := sameColumns(got, schema); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if pr.NumRows() == 0 {
		return nil
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer rr.Release()
	for rr.Next() {
		if err := fn(rr.RecordBatch()); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: read: %w", name, err)
	}
	return nil
}

// sameColumns checks names and types, in order.
func sameColumns(got, want *arrow.Schema) error {
	if got.NumFields() != want.NumFields() {
		return fmt.Errorf("has %d columns, want %d", got.NumFields(), want.NumFields())
	}
	for i := range want.Fields() {
		g, w := got.Field(i), want.Field(i)
		if g.Name != w.Name || !arrow.TypeEqual(g.Type, w.Type) {
			return fmt.Errorf("column %d is %s %s, want %s %s", i+1, g.Name, g.Type, w.Name, w.Type)
		}
	}
	return nil
}

// openCSV returns the text of a CSV part file, ungzipped when it ends .gz.
func openCSV(r io.Reader, name string) (io.Reader, func(), error) {
	if !strings.HasSuffix(name, ".gz") {
		return bufio.NewReader(r), func() {}, nil
	}
	gz, err := gzip.NewReader(bufio.NewReader(r))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not gzip: %w", name, err)
	}
	return gz, func() { gz.Close() }, nil
}

func readCSV(f store.File, name string, schema *arrow.Schema, mem memory.Allocator, fn func(arrow.RecordBatch) error) error {
	raw, done, err := openCSV(f, name)
	if err != nil {
		return err
	}
	defer done()
	in := &crHider{r: raw, name: name}
	// Empty cells are nulls; in columns that cannot be null they are "".
	cr := csv.NewReader(in, schema, csv.WithHeader(true), csv.WithNullReader(true, ""), csv.WithChunk(readBatchRows), csv.WithAllocator(mem))
	defer cr.Release()
	for cr.Next() {
		rec := cr.RecordBatch()
		if err := sameColumns(rec.Schema(), schema); err != nil {
			return fmt.Errorf("%s: header: %w", name, err)
		}
		restoreCR(rec)
		if err := fn(rec); err != nil {
			return err
		}
	}
	if in.err != nil {
		return in.err
	}
	if err := cr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: read csv: %w", name, err)
	}
	return nil
}

// crSentinel stands in for a carriage return while a CSV file is parsed.
// The writer keeps a "\r\n" inside a quoted field byte for byte, but
// encoding/csv (and so arrow's CSV reader) hands it back as "\n": a name
// read back from CSV would differ from the one written, and an incremental
// run would see it change every time. 0xFF never occurs in UTF-8 text, so
// crHider hides every CR behind it before parsing and restoreCR puts it
// back in each record read. (The writer ends rows with "\n" and quotes any field with a CR, so
// every CR in a file of ours is data.)
const crSentinel = 0xFF

// crHider replaces every CR of r with crSentinel; it fails on a file that
// already holds that byte, which is not UTF-8 text and so not ours.
type crHider struct {
	r    io.Reader
	name string
	err  error
}

func (h *crHider) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	n, err := h.r.Read(p)
	for i, b := range p[:n] {
		switch b {
		case '\r':
			p[i] = crSentinel
		case crSentinel:
			h.err = fmt.Errorf("%s: not UTF-8 text (byte 0xFF): not a CSV file this tool wrote", h.name)
			return 0, h.err
		}
	}
	return n, err
}

// restoreCR turns crSentinel back into "\r" in the string columns of rec,
// a record just decoded from CSV (see crSentinel): in place, as both are
// one byte and the record's buffers are its own, so a cell read from it
// (stringAt, valueAt) holds its CRs, and Parquet reads pay nothing.
func restoreCR(rec arrow.RecordBatch) {
	for _, col := range rec.Columns() {
		s, ok := col.(*array.String)
		if !ok {
			continue
		}
		b := s.ValueBytes()
		for i := bytes.IndexByte(b, crSentinel); i >= 0; i = bytes.IndexByte(b, crSentinel) {
			b[i] = '\r'
			b = b[i+1:]
		}
	}
}

// stringAt reads a string cell; a null reads as "".
func stringAt(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return ""
	}
	return a.(*array.String).Value(i)
}

// valueAt reads a typed cell as the Go value the model uses. Nulls in
// nullable columns are absent; a null string in a column that cannot be null
// (an empty CSV cell) is "".
func valueAt(c model.Column, a arrow.Array, i int) (any, bool) {
	if a.IsNull(i) {
		if c.Type == model.String && !c.Nullable {
			return "", true
		}
		return nil, false
	}
	switch x := a.(type) {
	case *array.String:
		return x.Value(i), true
	case *array.Boolean:
		return x.Value(i), true
	case *array.Int64:
		return x.Value(i), true
	case *array.Timestamp:
		return time.UnixMilli(int64(x.Value(i))).UTC(), true
	}
	return nil, false
}
