package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/govextract/jira-extractor/internal/secret"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
)

// Source is the finished run an upload reads, as output.RunReader provides
// it.
type Source interface {
	Manifest() *manifest.Manifest
	Verify(ctx context.Context) error
	ScanEntities(ctx context.Context, kind model.SourceType, fn func(model.Entity) error) error
	ScanRelations(ctx context.Context, kind model.RelationKind, fn func(model.Relation) error) error
}

// Options says where and how to upload.
type Options struct {
	// API is the platform's base URL; required unless DryRun.
	API string
	// App is the App column; empty means the manifest's site.
	App string
	// KeyID and KeySecret are the platform's API key; required unless DryRun.
	KeyID, KeySecret secret.Value
	// DryRun prints the chunks that would be sent and sends nothing.
	DryRun bool
	// AllowDangling sends the upload even when some relations have an end
	// that is not among the entities; those relations are left out.
	AllowDangling bool
	// StatePath is the state file; empty means no state is kept.
	StatePath string
	// ChunkRows and ChunkBytes bound each chunk (defaults 50000, 32 MiB).
	ChunkRows  int
	ChunkBytes int64
	// MaxRetries is how many times a chunk is sent again after a 429, a 5xx
	// or a dropped connection; 0 means never (callers default to
	// DefaultMaxRetries).
	MaxRetries int
	// RequestTimeout bounds each HTTP request (default 5 minutes).
	RequestTimeout time.Duration
	// HTTPClient sends the requests; nil uses http.DefaultTransport.
	HTTPClient *http.Client
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Out receives one line per chunk and the summary; nil discards them.
	Out io.Writer
	// OnChunk, if set, is called after each chunk is accepted (and recorded
	// in the state file), skipped as accepted before, or listed by a dry run.
	OnChunk func(ChunkResult)

	// sleep replaces the retry wait in tests.
	sleep func(ctx context.Context, d time.Duration) error
}

// ChunkResult says what happened to one chunk.
type ChunkResult struct {
	Phase  string
	Index  int
	Rows   int
	Bytes  int
	SHA256 string
	// Status is "sent", "skipped" (accepted by an earlier attempt) or
	// "dry-run".
	Status string
}

// PhaseResult counts one phase's chunks and rows.
type PhaseResult struct {
	Chunks  int `json:"chunks"`
	Sent    int `json:"sent"`
	Skipped int `json:"skipped"`
	Rows    int `json:"rows"`
}

// Result summarises an upload.
type Result struct {
	RunID     string      `json:"run_id"`
	App       string      `json:"app"`
	DryRun    bool        `json:"dry_run"`
	Entities  PhaseResult `json:"entities"`
	Relations PhaseResult `json:"relations"`
	// SpecialHolders counts the holds_permission rows left out because
	// their holder is not an entity (anyone, project_lead, ...), by type.
	SpecialHolders map[string]int `json:"special_holders"`
	// Dangling counts relations left out (with AllowDangling) because an
	// end is not among the entities.
	Dangling int `json:"dangling"`
}

// Upload verifies the run and sends it: entities first, then relations
// once every entity chunk is accepted.
func Upload(ctx context.Context, run Source, opts Options) (*Result, error) {
	u, err := newUploader(run, &opts)
	if err != nil {
		return nil, err
	}
	return u.upload(ctx)
}

type uploader struct {
	run    Source
	m      *manifest.Manifest
	opts   *Options
	log    *slog.Logger
	out    io.Writer
	client *client
	state  *stateFile
	res    *Result

	entities map[string]struct{}
	names    Names
}

func newUploader(run Source, opts *Options) (*uploader, error) {
	m := run.Manifest()
	if m == nil {
		return nil, errors.New("the run has no manifest: it is not complete")
	}
	if opts.ChunkRows <= 0 {
		opts.ChunkRows = DefaultChunkRows
	}
	if opts.ChunkBytes <= 0 {
		opts.ChunkBytes = DefaultChunkBytes
	}
	if opts.App == "" {
		opts.App = m.Site
	}
	u := &uploader{run: run, m: m, opts: opts, log: opts.Logger, out: opts.Out,
		res:      &Result{RunID: m.RunID, App: opts.App, DryRun: opts.DryRun, SpecialHolders: map[string]int{}},
		entities: map[string]struct{}{}, names: Names{Roles: map[string]string{}}}
	if u.log == nil {
		u.log = slog.New(slog.DiscardHandler)
	}
	if u.out == nil {
		u.out = io.Discard
	}
	if opts.App == "" {
		return nil, &usageError{"no app name: the manifest names no site; pass --app"}
	}
	if !opts.DryRun {
		if opts.API == "" {
			return nil, &usageError{"no platform API: pass --api URL (or set upload.api in the job file)"}
		}
		if opts.KeyID.IsZero() || opts.KeySecret.IsZero() {
			return nil, &usageError{"no platform API key: set ENTITY_API_KEY_ID and ENTITY_API_KEY_SECRET (or upload.keyId and upload.keySecret in the job file)"}
		}
		c, err := newClient(opts.API, opts.KeyID, opts.KeySecret, opts.HTTPClient, opts.MaxRetries, opts.RequestTimeout, u.log)
		if err != nil {
			return nil, &usageError{err.Error()}
		}
		if opts.sleep != nil {
			c.sleep = opts.sleep
		}
		u.client = c
	}
	return u, nil
}

func (u *uploader) upload(ctx context.Context) (*Result, error) {
	switch u.m.Status {
	case manifest.StatusComplete:
	case manifest.StatusPartial:
		u.log.Warn("the run is partial: some scopes could not be read", "run", u.m.RunID, "warnings", len(u.m.Warnings))
	default:
		return nil, fmt.Errorf("run %s has status %q: only complete or partial runs are uploaded", u.m.RunID, u.m.Status)
	}
	if err := u.run.Verify(ctx); err != nil {
		return nil, fmt.Errorf("run %s does not match its manifest, refusing to upload it: %w", u.m.RunID, err)
	}
	if err := u.check(ctx); err != nil {
		return nil, err
	}
	if u.opts.StatePath != "" {
		api := strings.TrimRight(u.opts.API, "/")
		st, err := loadState(u.opts.StatePath, State{RunID: u.m.RunID, API: api, App: u.opts.App, ChunkRows: u.opts.ChunkRows, ChunkBytes: u.opts.ChunkBytes})
		if err != nil && !u.opts.DryRun {
			return nil, err
		}
		if err == nil {
			u.state = st
		}
	}
	if err := u.sendEntities(ctx); err != nil {
		return u.res, err
	}
	if err := u.sendRelations(ctx); err != nil {
		return u.res, err
	}
	if u.state != nil && !u.opts.DryRun {
		if err := u.state.complete(time.Now()); err != nil {
			return u.res, err
		}
	}
	u.summary()
	return u.res, nil
}

// tables lists the manifest's tables of one kind, in manifest order.
func (u *uploader) tables(kind string) []string {
	var names []string
	for _, t := range u.m.Tables {
		if t.Kind == kind {
			names = append(names, t.Name)
		}
	}
	return names
}

func (u *uploader) sendEntities(ctx context.Context) error {
	ck := newChunker(PhaseEntities, EntityHeader, u.opts.ChunkRows, u.opts.ChunkBytes, func(ch Chunk) error { return u.deliver(ctx, ch, &u.res.Entities) })
	for _, kind := range u.tables(manifest.KindEntity) {
		err := u.run.ScanEntities(ctx, model.SourceType(kind), func(e model.Entity) error {
			rec, err := EntityRecord(u.opts.App, e)
			if err != nil {
				return err
			}
			return ck.add(rec)
		})
		if err != nil {
			return fmt.Errorf("upload %s entities: %w", kind, err)
		}
	}
	if err := ck.flush(); err != nil {
		return fmt.Errorf("upload entities: %w", err)
	}
	u.res.Entities.Rows = ck.total
	return nil
}

func (u *uploader) sendRelations(ctx context.Context) error {
	ck := newChunker(PhaseRelations, RelationHeader, u.opts.ChunkRows, u.opts.ChunkBytes, func(ch Chunk) error { return u.deliver(ctx, ch, &u.res.Relations) })
	for _, kind := range u.tables(manifest.KindRelation) {
		err := u.run.ScanRelations(ctx, model.RelationKind(kind), func(r model.Relation) error {
			if u.classify(r) != relOK {
				return nil
			}
			rec, err := RelationRecord(u.opts.App, r, u.names)
			if err != nil {
				return err
			}
			return ck.add(rec)
		})
		if err != nil {
			return fmt.Errorf("upload %s relations: %w", kind, err)
		}
	}
	if err := ck.flush(); err != nil {
		return fmt.Errorf("upload relations: %w", err)
	}
	u.res.Relations.Rows = ck.total
	return nil
}

// deliver sends one chunk unless the state file says it was accepted
// before, then records it.
func (u *uploader) deliver(ctx context.Context, ch Chunk, pr *PhaseResult) error {
	pr.Chunks++
	res := ChunkResult{Phase: ch.Phase, Index: ch.Index, Rows: ch.Rows, Bytes: len(ch.Body), SHA256: ch.SHA256}
	done := false
	if u.state != nil {
		var err error
		if done, err = u.state.accepted(ch); err != nil {
			return err
		}
	}
	switch {
	case done:
		res.Status = "skipped"
		pr.Skipped++
		fmt.Fprintf(u.out, "%s: %d rows, %s, accepted before, skipped\n", ch.Name(), ch.Rows, sizeText(len(ch.Body)))
	case u.opts.DryRun:
		res.Status = "dry-run"
		fmt.Fprintf(u.out, "%s: %d rows, %s, sha256 %s (would be sent)\n", ch.Name(), ch.Rows, sizeText(len(ch.Body)), short(ch.SHA256))
	default:
		start := time.Now()
		if err := u.client.send(ctx, ch); err != nil {
			return err
		}
		if u.state != nil {
			if err := u.state.record(ch, time.Now()); err != nil {
				return fmt.Errorf("chunk %s was accepted but cannot be recorded: %w", ch.Name(), err)
			}
		}
		res.Status = "sent"
		pr.Sent++
		u.log.Info("chunk accepted", "chunk", ch.Name(), "rows", ch.Rows, "bytes", len(ch.Body), "took", time.Since(start).Round(time.Millisecond))
		fmt.Fprintf(u.out, "%s: %d rows, %s, sent\n", ch.Name(), ch.Rows, sizeText(len(ch.Body)))
	}
	if u.opts.OnChunk != nil {
		u.opts.OnChunk(res)
	}
	return nil
}

func (u *uploader) summary() {
	r := u.res
	verb := "uploaded"
	if r.DryRun {
		verb = "would upload"
	}
	fmt.Fprintf(u.out, "run %s (app %q): %s %d entities in %d chunks and %d relations in %d chunks",
		r.RunID, r.App, verb, r.Entities.Rows, r.Entities.Chunks, r.Relations.Rows, r.Relations.Chunks)
	if s := r.Entities.Skipped + r.Relations.Skipped; s > 0 {
		fmt.Fprintf(u.out, " (%d chunks accepted before were skipped)", s)
	}
	fmt.Fprintln(u.out)
	if len(r.SpecialHolders) > 0 {
		var parts []string
		total := 0
		for t, n := range r.SpecialHolders {
			parts = append(parts, fmt.Sprintf("%s %d", t, n))
			total += n
		}
		sort.Strings(parts)
		fmt.Fprintf(u.out, "left out %d permission grants to special holders, which are not entities (%s)\n", total, strings.Join(parts, ", "))
	}
	if r.Dangling > 0 {
		fmt.Fprintf(u.out, "left out %d dangling relations (--allow-dangling)\n", r.Dangling)
	}
}

func sizeText(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
