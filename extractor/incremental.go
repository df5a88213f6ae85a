package extractor

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/govextract/jira-extractor/internal/changes"
	"github.com/govextract/jira-extractor/internal/incremental"
	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/output"
)

// prepareIncremental decides how a --since run reads the site and notes it
// in m; it returns nil for a run without --since.
func prepareIncremental(ctx context.Context, job Job, client *jira.Client, m *manifest.Manifest, log *slog.Logger) (*incremental.Plan, error) {
	m.Mode = manifest.ModeFull
	if job.Incremental == nil {
		return nil, nil
	}
	plan, err := incremental.Prepare(ctx, incremental.Request{
		Config: *job.Incremental, Site: job.Jira.SiteName, Dest: job.Output.Destination, S3: job.Output.S3,
		Filter: job.Filter, OrgAccess: job.Jira.HasOrgAccess(), Start: m.StartedAt, Source: client,
		IsForbidden: jira.IsForbidden, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	m.Mode, m.Reason, m.BaseRun, m.RunsSinceFull = plan.Mode, plan.Reason, plan.BaseRun, plan.RunsSinceFull
	if plan.Incremental() {
		log.Info("incremental run", "base_run", plan.BaseRun, "reason", plan.Reason)
	} else {
		log.Warn("full read instead of an incremental run", "base_run", plan.BaseRun, "reason", plan.Reason)
	}
	return plan, nil
}

// writeChanges flushes the run's tables and writes its change set against
// the plan's base run into changes/, filling m.Changes; a run without a
// usable base run has none.
func writeChanges(ctx context.Context, plan *incremental.Plan, sink *output.Writer, m *manifest.Manifest, log *slog.Logger) error {
	if plan == nil || plan.Base == nil {
		return nil
	}
	start := time.Now()
	if err := sink.Flush(ctx, m); err != nil {
		return err
	}
	cw := sink.Changes()
	if err := changes.Diff(ctx, plan.Base, sink.Pending(m), cw, changes.Options{}); err != nil {
		return fmt.Errorf("change set: %w", err)
	}
	cs, err := cw.Close(ctx, plan.BaseRun)
	if err != nil {
		return fmt.Errorf("change set: %w", err)
	}
	m.Changes = cs
	log.Info("change set written", "base_run", plan.BaseRun, "changes", cs.Rows, "duration", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// carryForward copies the base run's rows of the scopes the pipeline
// skipped.
func carryForward(ctx context.Context, plan *incremental.Plan, t *incremental.Tracker, log *slog.Logger) error {
	start := time.Now()
	stats, err := plan.CarryForward(ctx, t)
	if err != nil {
		return err
	}
	groups, projects, lessRemoved := plan.Reread()
	log.Info("rows carried forward from the base run", "base_run", plan.BaseRun, "rows", stats,
		"groups_reread", groups, "projects_reread", projects, "groups_less_removed_members", lessRemoved,
		"duration", time.Since(start).Round(time.Millisecond).String())
	return nil
}
