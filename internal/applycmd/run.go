// Package applycmd runs `apply` end to end: it reads and checks a plan,
// connects to the job's site, applies the plan with package apply's engine
// through the Jira target (package applyjira), and writes the apply run:
//
//	DEST/RUN_ID/actions/part-00000.parquet   (or .csv): one row per action
//	DEST/RUN_ID/manifest.json                (kind "apply", written last)
//
// The CLI (`jira-extractor apply`) and the plugin server call Run (or
// Apply, with a parsed plan).
//
// # Journal and resume
//
// Outside a dry run every finished action is appended to a journal, so an
// apply that was killed resumes where it stopped: the actions the journal
// shows done are reported as before, the others are read and done. The
// journal is DEST/.apply-journal/KEY.jsonl for a local destination and
// STATE/jira-extractor/apply-journal/KEY.jsonl for S3, where STATE is
// $XDG_STATE_HOME or ~/.local/state, and KEY is derived from the site and
// the plan's content; Options.JournalPath replaces it. Once an apply has
// gone through every action (whatever their outcome) its journal is
// removed, so running the same plan again reads every target anew and
// reports what is done as unchanged; only an interrupted apply (killed,
// cancelled, a journal write failed) leaves it for the next run.
package applycmd

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/applyjira"
	"github.com/govextract/jira-extractor/internal/applyscim"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/plan"
	"github.com/govextract/jira-extractor/internal/tickets"
)

// Kind is the manifest's "kind" of an apply run.
const Kind = "apply"

// maxWarnings bounds the per-action warnings in the manifest.
const maxWarnings = 200

// writeTimeout bounds writing the run folder once the apply is over (also
// after a cancellation).
const writeTimeout = 2 * time.Minute

// Options are the caller's side of an apply.
type Options struct {
	// DryRun reads every action's target and says what would change;
	// nothing is written to the site and no journal is kept.
	DryRun bool
	// MaxChanges refuses a larger plan (0: 1000; negative: no limit).
	MaxChanges int
	// AllowSelf lets actions take access away from the job's own account.
	AllowSelf bool
	// JournalPath replaces the default journal (see the package doc).
	JournalPath string
	// Workers bounds the actions run at once (0: appConfig.concurrency).
	Workers int
	// RunID names the run folder; empty makes a new ULID.
	RunID string
	// Version goes into the manifest and the User-Agent.
	Version string
	// Logger receives logs; nil discards them.
	Logger *slog.Logger
	// Backoff is the wait before a write is sent again after a throttle or
	// a failure without Retry-After (nil: 2 s doubling to 30 s).
	Backoff func(n int) time.Duration
}

// Manifest is manifest.json of an apply run: the run manifest's fields
// (tables, requests, warnings, ...) plus the kind, the counts per status
// and the plan's size.
type Manifest struct {
	manifest.Manifest
	Kind    string         `json:"kind"`
	DryRun  bool           `json:"dry_run"`
	Actions int            `json:"actions"`
	Counts  map[string]int `json:"counts"`
	// Resumed counts actions reported from the journal of an earlier,
	// interrupted apply.
	Resumed int `json:"resumed"`
	// TicketFallbacks counts the actions ticketed because the site refused
	// their change as one only a person can make (a group synced from an
	// identity provider); they are among counts.ticketed.
	TicketFallbacks int `json:"ticket_fallbacks"`
	// PlanID identifies the plan's content (see PlanID).
	PlanID string `json:"plan_id"`
}

// Result is what an apply did.
type Result struct {
	Apply apply.Result
	// Location is the run folder (DEST/RUN_ID or s3://...); empty when no
	// run folder was written.
	Location string
	Manifest *Manifest
	// Journal is the journal used ("" in a dry run); JournalKept says it
	// is still there (the apply was interrupted).
	Journal     string
	JournalKept bool
	// ExitCode is the process exit code (0, 1, 2 or 3; see apply.ExitCode).
	ExitCode int
}

// Check returns the problems a plan has for this job that plan validation
// cannot see (ops needing the Admin API without orgId and orgApiKey,
// ticket actions without a tickets section): a *plan.Error, or nil.
func Check(job *config.Job, p *plan.Plan) error {
	if job.SCIM != nil {
		return applyscim.Check(p)
	}
	var ps []plan.Problem
	if err := applyjira.CheckOrgAccess(p, job.Resolve().Job.Jira.HasOrgAccess()); err != nil {
		var pe *plan.Error
		errors.As(err, &pe)
		ps = append(ps, pe.Problems...)
	}
	ps = append(ps, checkTickets(job, p)...)
	if len(ps) == 0 {
		return nil
	}
	return &plan.Error{Problems: ps}
}

// Apply applies a parsed plan to the job's site and writes the apply run.
// Every problem with the plan or the job is reported before anything is
// read or written (ExitCode 2). The error is non-nil when the apply could
// not run or stopped early; Result holds whatever was done.
func Apply(ctx context.Context, job *config.Job, p *plan.Plan, opts Options, onProgress func(apply.Progress)) (Result, error) {
	res := Result{ExitCode: apply.ExitBadInput}
	if job == nil || p == nil {
		return res, errors.New("apply: no job or no plan")
	}
	if err := p.Validate(); err != nil {
		return res, err
	}
	if err := Check(job, p); err != nil {
		return res, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	res.ExitCode = apply.ExitNoRun
	app := job.AppConfig
	runID := opts.RunID
	if runID == "" {
		runID = newRunID()
	}
	m := &Manifest{Kind: Kind, DryRun: opts.DryRun, Actions: len(p.Actions), Counts: map[string]int{},
		Manifest: manifest.Manifest{SchemaVersion: manifest.SchemaVersion, RunID: runID,
			Extractor: manifest.Extractor{Name: "jira-extractor", Version: cmpOr(opts.Version, "dev")},
			Site:      app.Site(), StartedAt: time.Now().UTC(), Status: manifest.StatusFailed}}

	resolved := job.Resolve().Job
	conn, err := connect(ctx, job, resolved, log, opts.Version)
	if err != nil {
		return res, err
	}
	if job.SCIM != nil {
		m.Site = resolved.SCIM.BaseURL
	}
	// The tickets section is checked against the site before the first write.
	ticketer, err := newTicketer(ctx, job, conn.jira, p, runID, log)
	if err != nil {
		var ce *tickets.ConfigError
		if errors.As(err, &ce) {
			res.ExitCode = apply.ExitBadInput
		}
		return res, fmt.Errorf("apply: %w", err)
	}
	// The output is opened (and proved writable) before the first write.
	out, err := output.OpenTables(ctx, outputOptions(resolved.Output, runID, app.Site(), log))
	if err != nil {
		return res, fmt.Errorf("apply: open output: %w", err)
	}
	journal := ""
	if !opts.DryRun {
		if journal, err = journalPath(job, p, opts.JournalPath); err != nil {
			_ = out.Abort(context.WithoutCancel(ctx))
			return res, fmt.Errorf("apply: %w", err)
		}
	}
	res.Journal = journal
	workers := opts.Workers
	if workers <= 0 {
		workers = cmpOr(app.Concurrency, config.DefaultConcurrency)
	}
	log.Info("apply started", "site", app.Site(), "run_id", runID, "actions", len(p.Actions), "dry_run", opts.DryRun,
		"target", conn.kind, "journal", journal)
	ar, aerr := apply.Run(ctx, p, conn.target, apply.Config{
		DryRun: opts.DryRun, MaxChanges: opts.MaxChanges, SelfAccountID: conn.self, AllowSelf: opts.AllowSelf || conn.self == "",
		Workers: workers, JournalPath: journal, Progress: onProgress, Logger: log, Backoff: opts.Backoff,
		Tickets: ticketer,
	})
	res.Apply = ar
	res.ExitCode = apply.ExitCode(ar, aerr)
	if len(ar.Outcomes) == 0 { // nothing ran: a damaged journal, a bad configuration
		_ = out.Abort(context.WithoutCancel(ctx))
		return res, aerr
	}

	m.Requests = conn.stats()
	m.FinishedAt = time.Now().UTC()
	for s, n := range ar.Summary.Counts {
		m.Counts[string(s)] = n
	}
	for _, s := range apply.Statuses {
		m.Counts[string(s)] += 0
	}
	m.Resumed = ar.Summary.Resumed
	m.TicketFallbacks, m.PlanID = ar.Summary.Fallbacks, PlanID(p)
	m.Warnings = warnings(ar)
	switch {
	case aerr != nil && ctx.Err() != nil:
		m.Status = manifest.StatusCancelled
	case res.ExitCode == apply.ExitOK:
		m.Status = manifest.StatusComplete
	case res.ExitCode == apply.ExitPartial:
		m.Status = manifest.StatusPartial
	default:
		m.Status = manifest.StatusFailed
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	if err := writeRun(wctx, out, m, ar.Outcomes); err != nil {
		_ = out.Abort(wctx)
		res.ExitCode = apply.ExitNoRun
		return res, errors.Join(aerr, fmt.Errorf("apply: write the apply run: %w", err))
	}
	res.Location, res.Manifest = out.Location(), m
	res.JournalKept = journal != ""
	if journal != "" && aerr == nil {
		if err := os.Remove(journal); err == nil || os.IsNotExist(err) {
			res.JournalKept = false
		}
	}
	log.Info("apply finished", "run_id", runID, "status", m.Status, "location", res.Location, "counts", m.Counts,
		"requests", m.Requests.Total, "duration", m.FinishedAt.Sub(m.StartedAt).Round(time.Millisecond).String())
	return res, aerr
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// warnings names the actions that failed or a guard skipped, the first
// maxWarnings of them.
func warnings(r apply.Result) []manifest.Warning {
	ws := []manifest.Warning{}
	more := 0
	for _, o := range r.Outcomes {
		if o.Status != apply.Failed && !(o.Status == apply.Skipped && o.Reason != apply.ReasonDryRun) {
			continue
		}
		if len(ws) >= maxWarnings {
			more++
			continue
		}
		ws = append(ws, manifest.Warning{Scope: "action " + o.ID, Message: string(o.Status) + ": " + o.Message})
	}
	if more > 0 {
		ws = append(ws, manifest.Warning{Scope: "actions", Message: fmt.Sprintf("%d more actions failed or were skipped: see the actions table", more)})
	}
	return ws
}

// writeRun writes the actions table, then the manifest.
func writeRun(ctx context.Context, out *output.TableWriter, m *Manifest, outs []apply.Outcome) error {
	rec := actionsRecord(memory.NewGoAllocator(), outs)
	defer rec.Release()
	t, err := out.WriteTable(ctx, ActionsTable, ActionsKind, ActionsDir, ActionsSchema, rec)
	if err != nil {
		return err
	}
	m.Format, m.Compression = out.Format(), out.Compression()
	m.Tables = []manifest.Table{t}
	if m.Requests.ByEndpoint == nil {
		m.Requests.ByEndpoint = map[string]int64{}
	}
	return out.Commit(ctx, m)
}

// journalPath is the journal of this plan on this site: explicit, beside a
// local destination, or in the local state folder for S3.
func journalPath(job *config.Job, p *plan.Plan, explicit string) (string, error) {
	if explicit != "" {
		return filepath.Abs(explicit)
	}
	b, _ := json.Marshal(p.Actions)
	h := sha256.New()
	h.Write([]byte(job.AppConfig.SiteURL() + "\x00"))
	h.Write(b)
	key := hex.EncodeToString(h.Sum(nil)[:12]) + ".jsonl"
	dest := job.Output.Location
	if dest.IsZero() {
		var err error
		if dest, err = location.Parse(cmpOr(job.Output.Destination, config.DefaultDestination)); err != nil {
			return "", fmt.Errorf("output.destination: %w", err)
		}
	}
	if !dest.IsS3() {
		return filepath.Join(dest.Path(), ".apply-journal", key), nil
	}
	state := os.Getenv("XDG_STATE_HOME")
	if state == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no local state folder for the journal of an S3 destination (set XDG_STATE_HOME or pass --journal): %w", err)
		}
		state = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(state, "jira-extractor", "apply-journal", key), nil
}

// outputOptions are the job's output options for the run folder runID.
func outputOptions(o output.Options, runID, site string, log *slog.Logger) output.Options {
	o.RunID, o.Site, o.Logger = runID, site, log
	return o
}
