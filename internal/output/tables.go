package output

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/output/store"
)

// TableWriter writes a run folder of tables that are not entity or
// relation kinds (the actions table of an apply run): each table given
// whole as one Arrow record, as part-00000 in its folder, with the run's
// format and compression, on local disk or S3; then a manifest of the
// caller's shape, last. Like Writer, nothing is half-written: each file is
// committed atomically, and a run without its manifest is not complete
// (Abort removes what was written).
type TableWriter struct {
	store store.Store
	enc   encoder
	log   *slog.Logger

	mu     sync.Mutex
	tables []manifest.Table
	done   bool
}

// OpenTables prepares the run folder DEST/RUN_ID of opts and proves it
// writable.
func OpenTables(ctx context.Context, opts Options) (*TableWriter, error) {
	if err := validRunID(opts.RunID); err != nil {
		return nil, err
	}
	out := withDefaults(opts)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	loc, st, err := newStore(ctx, out, opts.RunID, opts.tune)
	if err != nil {
		return nil, err
	}
	if err := st.Check(ctx); err != nil {
		return nil, err
	}
	enc := encoder{format: out.Format, compression: out.Compression, mem: memory.NewGoAllocator()}
	if enc.format == "parquet" {
		if _, err := parquetCodec(enc.compression); err != nil {
			return nil, fmt.Errorf("output.compression: %w", err)
		}
	}
	return &TableWriter{store: st, enc: enc, log: log.With("component", "output", "location", loc.String())}, nil
}

// Location is the run folder (DEST/RUN_ID or s3://bucket/prefix/RUN_ID).
func (w *TableWriter) Location() string { return w.store.Location() }

// Format and Compression are the run's file format and compression.
func (w *TableWriter) Format() string      { return w.enc.format }
func (w *TableWriter) Compression() string { return w.enc.compression }

// WriteTable writes rec (every row, possibly none) with schema as
// DIR/part-00000.EXT and returns its manifest entry (name and kind as
// given).
func (w *TableWriter) WriteTable(ctx context.Context, name, kind, dir string, schema *arrow.Schema, rec arrow.RecordBatch) (manifest.Table, error) {
	path := fmt.Sprintf("%s/part-%05d%s", dir, 0, w.enc.ext())
	f, err := w.store.Create(ctx, path)
	if err != nil {
		return manifest.Table{}, fmt.Errorf("write %s: %w", path, err)
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	hw := newHashWriter(bw)
	err = w.enc.write(hw, schema, rec)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		f.Abort()
		return manifest.Table{}, fmt.Errorf("write %s in %s: %w", path, w.Location(), err)
	}
	if err := f.Commit(ctx); err != nil {
		return manifest.Table{}, fmt.Errorf("write %s in %s: %w", path, w.Location(), err)
	}
	t := manifest.Table{Name: name, Kind: kind, Rows: rec.NumRows(),
		Files: []manifest.File{{Path: path, Rows: rec.NumRows(), Bytes: hw.n, SHA256: hw.sum()}}}
	w.mu.Lock()
	w.tables = append(w.tables, t)
	w.mu.Unlock()
	w.log.Debug("part written", "file", path, "rows", rec.NumRows(), "bytes", hw.n)
	return t, nil
}

// Commit writes m (any JSON-encodable manifest) as manifest.json, last.
func (w *TableWriter) Commit(ctx context.Context, m any) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	b = append(b, '\n')
	f, err := w.store.Create(ctx, manifest.FileName)
	if err != nil {
		return fmt.Errorf("write manifest in %s: %w", w.Location(), err)
	}
	if _, err := f.Write(b); err != nil {
		f.Abort()
		return fmt.Errorf("write manifest in %s: %w", w.Location(), err)
	}
	if err := f.Commit(ctx); err != nil {
		return fmt.Errorf("write manifest in %s: %w", w.Location(), err)
	}
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
	return nil
}

// Abort removes what was written; a no-op after Commit.
func (w *TableWriter) Abort(ctx context.Context) error {
	w.mu.Lock()
	done := w.done
	w.mu.Unlock()
	if done {
		return nil
	}
	if err := w.store.RemoveAll(ctx); err != nil {
		return fmt.Errorf("abort output %s: %w", w.Location(), err)
	}
	return nil
}
