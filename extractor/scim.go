package extractor

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/progress"
	"github.com/govextract/jira-extractor/internal/scim"
)

// scimSource is the manifest source of the SCIM tables.
const scimSource = "scim"

func newSCIMClient(job Job, log *slog.Logger) (*scim.Client, error) {
	so := *job.SCIM
	so.Logger, so.UserAgent = log, Name+"/"+Version
	return scim.New(so)
}

// extractSCIM reads the directory into sink.
func extractSCIM(ctx context.Context, c *scim.Client, job Job, sink scim.Sink, tracker *progress.Tracker, log *slog.Logger) error {
	res, err := scim.Extract(ctx, c, sink, scim.ExtractOptions{ExcludeInactive: job.SCIMExcludeInactive, OnRows: tracker.AddRows})
	if err != nil {
		return err
	}
	log.Info("scim read", "users", res.Users, "groups", res.Groups, "memberships", res.Memberships,
		"patch", res.Capabilities.Patch, "page_size", res.Capabilities.PageSize)
	return nil
}

// mergeRequests adds b's counters to a.
func mergeRequests(a, b manifest.Requests) manifest.Requests {
	out := manifest.Requests{Total: a.Total + b.Total, Retries: a.Retries + b.Retries, Throttled: a.Throttled + b.Throttled,
		ByEndpoint: map[string]int64{}}
	for _, m := range []map[string]int64{a.ByEndpoint, b.ByEndpoint} {
		for k, v := range m {
			out.ByEndpoint[k] += v
		}
	}
	return out
}

// runSCIM is a run of a job with a SCIM directory and no Jira site: the
// user, group and member_of tables come from the directory (every other
// table is written empty), the manifest says their source is scim, and
// manifest.json is written last as in any run.
func runSCIM(ctx context.Context, job Job, runID string, log *slog.Logger, opts RunOptions) (*Result, error) {
	res := &Result{Location: job.Output.Destination.Join(runID)}
	m := &manifest.Manifest{SchemaVersion: manifest.SchemaVersion, RunID: runID, Extractor: manifest.Extractor{Name: Name, Version: Version},
		Site: job.SCIM.BaseURL, StartedAt: time.Now().UTC(), Status: manifest.StatusFailed, Warnings: []manifest.Warning{}}
	res.Manifest = m
	fail := func(err error) (*Result, error) {
		m.Status = manifest.StatusFailed
		if ctx.Err() != nil {
			m.Status, err = manifest.StatusCancelled, fmt.Errorf("run cancelled: %w", ctx.Err())
		}
		m.FinishedAt = time.Now().UTC()
		return res, err
	}
	c, err := newSCIMClient(job, log)
	if err != nil {
		return fail(fmt.Errorf("run: %w", err))
	}
	tracker := progress.NewTracker(c)
	ev := startEvents(opts.OnEvent, tracker)
	defer ev.stop()
	oo := job.Output
	oo.RunID, oo.Site, oo.Logger, oo.Source = runID, "scim", log, scimSource
	sink, err := output.Create(ctx, oo)
	if err != nil {
		return fail(fmt.Errorf("run: open output: %w", err))
	}
	log.Info("run started", "source", "scim", "base", job.SCIM.BaseURL, "version", c.Version(), "run_id", runID)
	err = extractSCIM(ctx, c, job, sink, tracker, log)
	m.Requests = c.Stats()
	if err == nil {
		m.Status, m.FinishedAt = manifest.StatusComplete, time.Now().UTC()
		err = sink.Commit(ctx, m)
	}
	if err != nil {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
		defer cancel()
		_ = sink.Abort(actx)
		return fail(fmt.Errorf("run failed: %w", err))
	}
	log.Info("run finished", "run_id", runID, "status", m.Status, "location", sink.Location().String(), "requests", m.Requests.Total)
	return res, nil
}
