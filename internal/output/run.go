package output

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output/store"
)

// Defaults Open applies to options left zero.
const (
	DefaultFormat     = "parquet"
	DefaultBatchRows  = 20_000
	DefaultBatchBytes = 64 << 20
)

// Options say where and how a run is written. Zero fields take the
// defaults (parquet, zstd for parquet and none for csv, DefaultBatchRows,
// DefaultBatchBytes).
type Options struct {
	// Destination is the folder the run folder Destination/RunID is
	// created in (required).
	Destination location.Location
	// Format is "parquet" or "csv".
	Format string
	// Compression: parquet zstd, snappy, gzip, none; csv none or gzip.
	Compression string
	// BatchRows and BatchBytes bound a batch of rows before it is encoded.
	BatchRows  int
	BatchBytes int64
	// OwnerOnly keeps local files 0600 and folders 0700.
	OwnerOnly bool
	// S3 holds the S3 options of an s3:// destination (nil: the defaults).
	S3 *store.S3Options
	// RunID names the run folder under the destination.
	RunID string
	// Site is the Jira site, for logs.
	Site   string
	Logger *slog.Logger

	// Source, when set, is the manifest source of the run's tables
	// ("jira" or "scim").
	Source string
	// ExtraSources adds each source's own tables (SourceSchemas), written
	// through Writer.Source.
	ExtraSources []string

	// tune holds test seams; nil in production.
	tune *tuning
}

// tuning are knobs the tests turn: allocator, memory budget, S3 retries and HTTP client,
// fault injection on local files.
type tuning struct {
	mem       memory.Allocator
	budget    int64 // soft Arrow memory budget; 0: BufferBudget
	s3        func(*store.S3Options)
	localWrap func(io.Writer) io.Writer
}

// Writer writes one run. It implements extractor.Sink: WriteEntities
// and WriteRelations are safe for concurrent use.
type Writer struct {
	opts   Options
	out    Options
	log    *slog.Logger
	store  store.Store
	loc    location.Location // the run folder
	enc    encoder
	mem    memory.Allocator
	limits limits
	budget *budget

	entities  map[model.SourceType]*table
	relations map[model.RelationKind]*table
	extra     map[string]*table // tables of ExtraSources, by name
	tables    []*table          // model order, then the extra sources'

	// writers is held shared by each write call and exclusively by Commit
	// and Abort, so no row slips in after the final flush.
	writers sync.RWMutex

	mu    sync.Mutex
	state runState
	err   error // first failure
}

type runState int

const (
	stateOpen runState = iota
	stateCommitting
	stateCommitted
	stateFailed
	stateAborted
)

// Create prepares a run folder DEST/RUN_ID and proves it writable (a clear
// error naming the location and the fix otherwise).
func Create(ctx context.Context, opts Options) (*Writer, error) {
	if err := validRunID(opts.RunID); err != nil {
		return nil, err
	}
	out := withDefaults(opts)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var base memory.Allocator = memory.NewGoAllocator()
	if opts.tune != nil && opts.tune.mem != nil {
		base = opts.tune.mem
	}
	acct := &countingAllocator{mem: base}
	var mem memory.Allocator = acct
	soft := BufferBudget(out.BatchRows)
	if opts.tune != nil && opts.tune.budget > 0 {
		soft = opts.tune.budget
	}
	loc, st, err := newStore(ctx, out, opts.RunID, opts.tune)
	if err != nil {
		return nil, err
	}
	if err := st.Check(ctx); err != nil {
		return nil, err
	}
	enc := encoder{format: out.Format, compression: out.Compression, mem: mem}
	if enc.format == "parquet" {
		if _, err := parquetCodec(enc.compression); err != nil {
			return nil, fmt.Errorf("output.compression: %w", err)
		}
	}
	r := &Writer{
		opts: opts, out: out, log: log.With("component", "output", "location", loc.String()),
		store: st, loc: loc, enc: enc, mem: mem,
		limits:    limits{rows: out.BatchRows, bytes: out.BatchBytes},
		budget:    newBudget(acct, soft),
		entities:  map[model.SourceType]*table{},
		relations: map[model.RelationKind]*table{},
		extra:     map[string]*table{},
	}
	for _, ts := range r.schemas() {
		t := &table{TableSchema: ts, b: newBatchBuilder(mem, ts.Schema, ts.Columns), flushSlot: make(chan struct{}, 1)}
		r.tables = append(r.tables, t)
		if ts.Source != "" && ts.Source != opts.Source {
			r.extra[ts.Name] = t
		} else if ts.Kind == manifest.KindEntity {
			r.entities[model.SourceType(ts.Name)] = t
		} else {
			r.relations[model.RelationKind(ts.Name)] = t
		}
	}
	r.log.Info("output opened", "format", out.Format, "compression", out.Compression, "batch_rows", out.BatchRows, "batch_bytes", out.BatchBytes)
	return r, nil
}

func validRunID(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, `/\`) {
		return fmt.Errorf("run id %q cannot name a folder: it must be one path segment", id)
	}
	return nil
}

func withDefaults(o Options) Options {
	if o.Format == "" {
		o.Format = DefaultFormat
	}
	if o.Compression == "" {
		o.Compression = "zstd"
		if o.Format == "csv" {
			o.Compression = "none"
		}
	}
	if o.BatchRows <= 0 {
		o.BatchRows = DefaultBatchRows
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = DefaultBatchBytes
	}
	return o
}

// newStore opens the store of DEST/RUN_ID.
func newStore(ctx context.Context, out Options, runID string, tune *tuning) (location.Location, store.Store, error) {
	dest := out.Destination
	if dest.IsZero() {
		return dest, nil, errors.New("output.destination is not set: name a folder, file:///path or s3://bucket/prefix")
	}
	if err := location.ValidName(runID); err != nil {
		return dest, nil, fmt.Errorf("run id: %w", err)
	}
	run := dest.Join(runID)
	if run.IsS3() {
		s, err := newS3Store(ctx, run.Bucket(), run.Prefix(), out.S3, tune)
		return run, s, err
	}
	l := store.NewLocal(run.Path(), out.OwnerOnly)
	if tune != nil {
		l.WrapWriter = tune.localWrap
	}
	return run, l, nil
}

func newS3Store(ctx context.Context, bucket, prefix string, s3o *store.S3Options, tune *tuning) (*store.S3, error) {
	var so store.S3Options
	if s3o != nil {
		so = *s3o
	}
	if tune != nil && tune.s3 != nil {
		tune.s3(&so)
	}
	return store.NewS3(ctx, bucket, prefix, so)
}

// Location is the run folder DEST/RUN_ID the run writes to.
func (r *Writer) Location() location.Location { return r.loc }

// usable reports whether writes may go on.
func (r *Writer) usable() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch r.state {
	case stateOpen:
		return nil
	case stateFailed:
		return fmt.Errorf("output %s failed earlier: %w", r.Location(), r.err)
	case stateCommitting, stateCommitted:
		return fmt.Errorf("output %s is already committed", r.Location())
	default:
		return fmt.Errorf("output %s was aborted", r.Location())
	}
}

func (r *Writer) fail(err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = err
	}
	if r.state == stateOpen || r.state == stateCommitting {
		r.state = stateFailed
	}
	return err
}

// WriteEntities appends entities of one kind; full batches are written as
// part files on the way.
func (r *Writer) WriteEntities(ctx context.Context, kind model.SourceType, batch []model.Entity) error {
	t := r.entities[kind]
	if t == nil {
		return fmt.Errorf("write entities: unknown kind %q", kind)
	}
	return r.write(ctx, t, len(batch), func(i int) error { return t.b.appendEntity(kind, batch[i]) })
}

// WriteRelations appends relations of one kind.
func (r *Writer) WriteRelations(ctx context.Context, kind model.RelationKind, batch []model.Relation) error {
	t := r.relations[kind]
	if t == nil {
		return fmt.Errorf("write relations: unknown kind %q", kind)
	}
	return r.write(ctx, t, len(batch), func(i int) error { return t.b.appendRelation(kind, batch[i]) })
}

// appendChunk is how many rows a writer appends between looks at the
// memory budget.
const appendChunk = 1024

func (r *Writer) write(ctx context.Context, t *table, n int, add func(int) error) error {
	r.writers.RLock()
	defer r.writers.RUnlock()
	if err := r.usable(); err != nil {
		return err
	}
	for i := 0; i < n; {
		r.budget.waitRoom()
		t.mu.Lock()
		if t.b == nil {
			t.mu.Unlock()
			return r.usable()
		}
		for stop := min(n, i+appendChunk); i < stop && !t.full(r.limits); i++ {
			if err := add(i); err != nil {
				t.size.Store(t.b.bytes)
				t.mu.Unlock()
				return fmt.Errorf("write %s: %w", t.Name, err)
			}
		}
		t.size.Store(t.b.bytes)
		var rec arrow.RecordBatch
		part := 0
		if t.full(r.limits) {
			rec, part = t.cut()
		}
		t.mu.Unlock()
		if rec != nil {
			if err := r.flushCut(ctx, t, rec, part); err != nil {
				return err
			}
		}
		if r.budget.over() {
			if err := r.relieve(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// relieve cuts the table holding the most rows in memory, if it holds at
// least the budget's minimum part, and writes it: called when the run holds
// more than its memory budget, so that the number of tables being filled at
// once does not add up.
func (r *Writer) relieve(ctx context.Context) error {
	var big *table
	var most int64
	for _, t := range r.tables {
		if s := t.size.Load(); s > most {
			big, most = t, s
		}
	}
	if big == nil || most < r.budget.minPart {
		return nil
	}
	big.mu.Lock()
	// Another writer may have cut it meanwhile.
	if big.b == nil || big.b.bytes < r.budget.minPart || !r.budget.over() {
		big.mu.Unlock()
		return nil
	}
	rec, part := big.cut()
	big.mu.Unlock()
	return r.flushCut(ctx, big, rec, part)
}

// flushCut writes a record cut from t and frees t's flush slot.
func (r *Writer) flushCut(ctx context.Context, t *table, rec arrow.RecordBatch, part int) error {
	err := r.flush(ctx, t, rec, part)
	<-t.flushSlot
	if err != nil {
		return r.fail(err)
	}
	return nil
}

// flush writes rec as part file number part and releases it.
func (r *Writer) flush(ctx context.Context, t *table, rec arrow.RecordBatch, part int) error {
	r.budget.flushStarted()
	defer r.budget.flushDone()
	defer rec.Release()
	name := t.partName(part, r.enc.ext())
	w, err := r.store.Create(ctx, name)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	hw := newHashWriter(bw)
	err = r.budget.encode(ctx, func() error { return r.enc.write(hw, t.Schema, rec) })
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		w.Abort()
		return fmt.Errorf("write %s in %s: %w", name, r.Location(), err)
	}
	if err := w.Commit(ctx); err != nil {
		return fmt.Errorf("write %s in %s: %w", name, r.Location(), err)
	}
	t.addFile(manifest.File{Path: name, Rows: rec.NumRows(), Bytes: hw.n, SHA256: hw.sum()})
	r.log.Debug("part written", "file", name, "rows", rec.NumRows(), "bytes", hw.n)
	return nil
}

// Commit flushes every table (a kind without rows gets one empty part file
// with its schema), fills m.Tables in model order with m.Format and
// m.Compression, and writes manifest.json last. On error no manifest is
// written; call Abort to discard the files.
func (r *Writer) Commit(ctx context.Context, m *manifest.Manifest) error {
	if err := r.usable(); err != nil {
		return err
	}
	r.mu.Lock()
	if r.state != stateOpen {
		r.mu.Unlock()
		return r.usable()
	}
	r.state = stateCommitting
	r.mu.Unlock()
	r.writers.Lock()
	defer r.writers.Unlock()
	if err := r.flushAll(ctx, m); err != nil {
		return err
	}
	if m.Warnings == nil {
		m.Warnings = []manifest.Warning{}
	}
	if m.Requests.ByEndpoint == nil {
		m.Requests.ByEndpoint = map[string]int64{}
	}
	if err := r.writeManifest(ctx, m); err != nil {
		return r.fail(err)
	}
	r.mu.Lock()
	r.state = stateCommitted
	r.mu.Unlock()
	r.release()
	r.log.Info("output committed", "tables", len(m.Tables), "arrow_peak_mib", float64(r.budget.mem.peak.Load())/(1<<20))
	return nil
}

// flushAll writes every table's rows still in memory (a kind without rows
// gets one empty part file with its schema, once) and fills m.Tables in
// model order with m.Format and m.Compression. The caller holds r.writers
// exclusively.
func (r *Writer) flushAll(ctx context.Context, m *manifest.Manifest) error {
	for _, t := range r.tables {
		t.mu.Lock()
		var rec arrow.RecordBatch
		part := 0
		if t.b.rows > 0 || t.nextPart == 0 {
			rec, part = t.cut()
		} else {
			// Wait for a flush in progress to finish.
			t.flushSlot <- struct{}{}
		}
		t.mu.Unlock()
		var err error
		if rec != nil {
			err = r.flush(ctx, t, rec, part)
		}
		<-t.flushSlot
		if err != nil {
			return r.fail(err)
		}
	}
	m.Format = r.out.Format
	m.Compression = r.out.Compression
	m.Tables = m.Tables[:0]
	for _, t := range r.tables {
		m.Tables = append(m.Tables, t.manifestTable())
	}
	return nil
}

func (r *Writer) writeManifest(ctx context.Context, m *manifest.Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	b = append(b, '\n')
	w, err := r.store.Create(ctx, manifest.FileName)
	if err != nil {
		return fmt.Errorf("write manifest in %s: %w", r.Location(), err)
	}
	if _, err := w.Write(b); err != nil {
		w.Abort()
		return fmt.Errorf("write manifest in %s: %w", r.Location(), err)
	}
	if err := w.Commit(ctx); err != nil {
		return fmt.Errorf("write manifest in %s: %w", r.Location(), err)
	}
	return nil
}

// PartFiles is how many part files the run has written so far (what Abort
// would remove).
func (r *Writer) PartFiles() int {
	n := 0
	for _, t := range r.tables {
		t.filesMu.Lock()
		n += len(t.files)
		t.filesMu.Unlock()
	}
	return n
}

// Abort stops the run and removes what it wrote where it can; no manifest is
// written. Safe after a failed write or Commit; a no-op after a successful
// Commit.
func (r *Writer) Abort(ctx context.Context) error {
	r.mu.Lock()
	if r.state == stateCommitted || r.state == stateAborted {
		r.mu.Unlock()
		return nil
	}
	r.state = stateAborted
	r.mu.Unlock()
	r.writers.Lock()
	defer r.writers.Unlock()
	r.release()
	// Wait for flushes in progress (a Commit that failed may have left none).
	for _, t := range r.tables {
		t.flushSlot <- struct{}{}
		<-t.flushSlot
	}
	if err := r.store.RemoveAll(ctx); err != nil {
		return fmt.Errorf("abort output %s: %w", r.Location(), err)
	}
	r.log.Info("output aborted")
	return nil
}

// release frees the builders of every table.
func (r *Writer) release() {
	for _, t := range r.tables {
		t.mu.Lock()
		if t.b != nil {
			t.b.release()
			t.b = nil
		}
		t.mu.Unlock()
	}
}
