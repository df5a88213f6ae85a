package extractor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/govextract/jira-extractor/internal/access"
	"github.com/govextract/jira-extractor/internal/incremental"
	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/pipeline"
	"github.com/govextract/jira-extractor/internal/progress"
	"github.com/govextract/jira-extractor/internal/scim"
)

// abortTimeout bounds the cleanup of a failed or cancelled run.
const abortTimeout = 30 * time.Second

// NewRunID returns a new time-sortable run id (a ULID).
func NewRunID() string { return ulid.Make().String() }

// Run extracts one job: it detects the token kind, opens the output, runs
// the pipeline, and commits the manifest last.
//
// The result is never nil. Its manifest and location are set in every case
// once the run has started: status complete or partial (warnings) with a
// nil error; failed with the error (no manifest.json is written, the output
// is aborted); cancelled with the context's error when ctx ends first.
func Run(ctx context.Context, job Job, opts RunOptions) (*Result, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	runID := opts.RunID
	if runID == "" {
		runID = NewRunID()
	}
	if job.Output.Destination.IsZero() {
		return &Result{}, errors.New("run: no output destination")
	}
	if err := location.ValidName(runID); err != nil {
		return &Result{}, fmt.Errorf("run id: %w", err)
	}
	if job.SCIM != nil && job.Jira.SiteName == "" {
		return runSCIM(ctx, job, runID, log, opts)
	}
	res := &Result{Location: job.Output.Destination.Join(runID)}
	m := &manifest.Manifest{
		SchemaVersion: manifest.SchemaVersion,
		RunID:         runID,
		Extractor:     manifest.Extractor{Name: Name, Version: Version},
		Site:          job.Jira.SiteName,
		StartedAt:     time.Now().UTC(),
		Status:        manifest.StatusFailed,
		Warnings:      []manifest.Warning{},
	}
	res.Manifest = m
	fail := func(status string, err error) (*Result, error) {
		m.Status = status
		m.FinishedAt = time.Now().UTC()
		return res, err
	}

	jo := job.Jira
	jo.Logger, jo.Version = log, Version
	client, err := jira.New(jo)
	if err != nil {
		return fail(manifest.StatusFailed, fmt.Errorf("run: %w", err))
	}
	tracker := progress.NewTracker(client)
	ev := startEvents(opts.OnEvent, tracker)
	defer ev.stop()

	id, err := client.Detect(ctx)
	if err != nil {
		m.Requests = client.Stats()
		if ctx.Err() != nil {
			return fail(manifest.StatusCancelled, fmt.Errorf("run cancelled: %w", ctx.Err()))
		}
		return fail(manifest.StatusFailed, fmt.Errorf("run: %w", err))
	}
	tracker.Plan(1)
	log.Info("run started", "site", job.Jira.SiteName, "token_kind", string(id.Kind), "run_id", runID,
		"destination", job.Output.Destination.String(), "format", job.Output.Format, "org_access", job.Jira.HasOrgAccess())

	m.Scope = incremental.Scope(job.Filter)
	plan, err := prepareIncremental(ctx, job, client, m, log)
	if err != nil {
		m.Requests = client.Stats()
		if ctx.Err() != nil {
			return fail(manifest.StatusCancelled, fmt.Errorf("run cancelled: %w", ctx.Err()))
		}
		return fail(manifest.StatusFailed, fmt.Errorf("run: %w", err))
	}

	oo := job.Output
	oo.RunID, oo.Site, oo.Logger = runID, job.Jira.SiteName, log
	var sc *scim.Client
	if job.SCIM != nil {
		if sc, err = newSCIMClient(job, log); err != nil {
			return fail(manifest.StatusFailed, fmt.Errorf("run: %w", err))
		}
		oo.Source, oo.ExtraSources = "jira", []string{scimSource}
	}
	sink, err := output.Create(ctx, oo)
	if err != nil {
		m.Requests = client.Stats()
		return fail(manifest.StatusFailed, fmt.Errorf("run: open output: %w", err))
	}
	abort := func() {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
		defer cancel()
		c := Cleanup{Location: sink.Location().String()}
		c.Err = sink.Abort(actx)
		// Counted after Abort, which waits for part files being flushed.
		c.Removed = sink.PartFiles()
		if c.Err != nil {
			log.Warn("output abort failed", "error", c.Err.Error())
		} else {
			log.Info("output removed", "location", c.Location, "part_files", c.Removed)
		}
		ev.aborted(c)
	}

	// Effective access is resolved from the rows as the run writes them:
	// the builder indexes them on their way to the output.
	var dst pipeline.Sink = sink
	var ab *access.Builder
	if !job.Access.Skip {
		ab = access.NewBuilder(access.BuildOptions{})
		dst = access.Tee(sink, ab)
	}
	popts := pipeline.Options{
		Filter: job.Filter, Concurrency: job.Jira.Concurrency, OrgAccess: job.Jira.HasOrgAccess(),
		Source: client, Sink: dst, Tracker: tracker, Logger: log,
		IsNotFound: jira.IsNotFound, IsForbidden: jira.IsForbidden, IsGone: jira.IsGone,
		OnWarning: ev.warning,
	}
	var carried *incremental.Tracker
	if plan.Incremental() {
		carried = incremental.Track(dst)
		popts.Sink, popts.Reuse, popts.Source = carried, plan, plan.Source(client)
	}
	pres, err := pipeline.Run(ctx, popts)
	if err == nil && carried != nil {
		err = carryForward(ctx, plan, carried, log)
	}
	if err == nil && sc != nil {
		err = extractSCIM(ctx, sc, job, sink.Source(scimSource), tracker, log)
	}
	m.Requests = client.Stats()
	if sc != nil {
		m.Requests = mergeRequests(m.Requests, sc.Stats())
	}
	if err != nil {
		abort()
		if ctx.Err() != nil {
			log.Info("run cancelled", "run_id", runID)
			return fail(manifest.StatusCancelled, fmt.Errorf("run cancelled: %w", ctx.Err()))
		}
		log.Error("run failed", "run_id", runID, "error", err.Error())
		return fail(manifest.StatusFailed, fmt.Errorf("run failed: %w", err))
	}

	if ab != nil {
		if err := writeEffective(ctx, log, ab, job, countingWriter{sink, tracker}, m); err != nil {
			abort()
			if ctx.Err() != nil {
				return fail(manifest.StatusCancelled, fmt.Errorf("run cancelled: %w", ctx.Err()))
			}
			log.Error("run failed", "run_id", runID, "error", err.Error())
			return fail(manifest.StatusFailed, fmt.Errorf("run failed: %w", err))
		}
	}

	m.Warnings = pres.Warnings
	m.Status = manifest.StatusComplete
	if len(m.Warnings) > 0 {
		m.Status = manifest.StatusPartial
	}
	if plan != nil {
		m.Notes = append(m.Notes, plan.Notes...)
	}
	err = writeChanges(ctx, plan, sink, m, log)
	m.FinishedAt = time.Now().UTC()
	if err == nil {
		err = sink.Commit(ctx, m)
	}
	if err != nil {
		abort()
		if ctx.Err() != nil {
			return fail(manifest.StatusCancelled, fmt.Errorf("run cancelled: %w", ctx.Err()))
		}
		return fail(manifest.StatusFailed, fmt.Errorf("run: commit output: %w", err))
	}
	for _, t := range m.Tables {
		ev.table(t)
	}
	var rows int64
	for _, t := range m.Tables {
		rows += t.Rows
	}
	if peak, ok := progress.PeakRSS(); ok {
		log = log.With("peak_rss_mib", float64(peak)/(1<<20))
	}
	log.Info("run finished", "run_id", runID, "status", m.Status, "mode", m.Mode, "location", sink.Location().String(), "rows", rows,
		"requests", m.Requests.Total, "retries", m.Requests.Retries, "throttled", m.Requests.Throttled,
		"warnings", len(m.Warnings), "duration", m.FinishedAt.Sub(m.StartedAt).Round(time.Millisecond).String())
	return res, nil
}

// writeEffective resolves the index ab built from the run's rows and writes
// the effective_role and effective_permission tables to sink; the paths the
// job's filters leave unresolvable become notes of m.
func writeEffective(ctx context.Context, log *slog.Logger, ab *access.Builder, job Job, sink access.RelationWriter, m *manifest.Manifest) error {
	start := time.Now()
	ix := ab.Index()
	st, err := access.Write(ctx, ix, job.Access.Permissions, sink)
	if err != nil {
		return fmt.Errorf("resolve effective access: %w", err)
	}
	m.Notes = access.Notes(job.Filter)
	for _, n := range m.Notes {
		log.Info("effective access note", "scope", n.Scope, "message", n.Message)
	}
	log.Info("effective access resolved", "users", ix.Users(), "projects", ix.Projects(),
		"role_rows", st.RoleRows, "permission_rows", st.PermissionRows,
		"duration", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// countingWriter counts the rows it passes on for progress.
type countingWriter struct {
	w access.RelationWriter
	t *progress.Tracker
}

func (c countingWriter) WriteRelations(ctx context.Context, kind model.RelationKind, batch []model.Relation) error {
	if err := c.w.WriteRelations(ctx, kind, batch); err != nil {
		return err
	}
	c.t.AddRows(string(kind), len(batch))
	return nil
}
