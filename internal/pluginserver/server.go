// Package pluginserver is the Jira extractor behind the plugin protocol: a
// plugin.Extractor that validates jobs, runs them with extractor.Run (and
// uploads a complete run when the job file says upload.afterRun), and
// streams their events; and, for protocol version 2, a plugin.Applier that
// validates plans and applies them with applycmd.Apply (the seam is
// Options.Apply). The jira-extractor binary serves it with Serve when a
// go-plugin host starts it.
package pluginserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hashicorp/go-hclog"
	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/applycmd"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output/store"
	"github.com/govextract/jira-extractor/internal/upload"
	"github.com/govextract/jira-extractor/plugin"
	"github.com/govextract/jira-extractor/plugin/extractorv1"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

// RunFunc runs one job; extractor.Run in production, a fake in tests.
type RunFunc func(ctx context.Context, job extractor.Job, opts extractor.RunOptions) (*extractor.Result, error)

// UploadFunc uploads a complete run at loc as the job file's upload
// section u says; upload.AfterRun in production.
type UploadFunc func(ctx context.Context, u *upload.Options, s3 *store.S3Options, loc location.Location, logger *slog.Logger) error

// Options configure a Server; every field is optional.
type Options struct {
	// Logger receives the plugin's logs; nil discards them.
	Logger hclog.Logger
	// Run runs a job; nil means extractor.Run.
	Run RunFunc
	// Upload uploads a run after it (upload.afterRun); nil means
	// upload.AfterRun.
	Upload UploadFunc
	// Apply applies a checked plan; nil means applycmd.Apply.
	Apply ApplyFunc
}

// Server is the Jira extractor as a plugin.Extractor and plugin.Applier.
type Server struct {
	logger hclog.Logger
	run    RunFunc
	upload UploadFunc
	apply  ApplyFunc
}

var (
	_ plugin.Extractor      = (*Server)(nil)
	_ plugin.SinceExtractor = (*Server)(nil)
	_ plugin.Reporter       = (*Server)(nil)
)

// New returns a server with opts.
func New(opts Options) *Server {
	s := &Server{logger: opts.Logger, run: opts.Run, upload: opts.Upload, apply: opts.Apply}
	if s.logger == nil {
		s.logger = hclog.NewNullLogger()
	}
	if s.run == nil {
		s.run = extractor.Run
	}
	if s.upload == nil {
		s.upload = upload.AfterRun
	}
	if s.apply == nil {
		s.apply = applycmd.Apply
	}
	return s
}

// Describe names the extractor, its kinds and the job-file schema.
func (s *Server) Describe(context.Context) (*extractorv1.DescribeResponse, error) {
	resp := &extractorv1.DescribeResponse{
		Name:            extractor.Name,
		Version:         extractor.Version,
		ProtocolVersion: plugin.ProtocolVersion,
		JobSchemaJson:   jobSchema(),
	}
	for _, k := range model.SourceTypes {
		resp.EntityKinds = append(resp.EntityKinds, string(k))
	}
	for _, k := range model.RelationKinds {
		resp.RelationKinds = append(resp.RelationKinds, string(k))
	}
	return resp, nil
}

// Validate reports the job's problems, each naming its key.
func (s *Server) Validate(_ context.Context, j *extractorv1.Job) (*extractorv1.ValidateResponse, error) {
	job, err := parseJob(j)
	if err != nil {
		if !config.IsInvalid(err) {
			return nil, fmt.Errorf("validate job: %w", err)
		}
		return &extractorv1.ValidateResponse{Problems: problemsToProto(err)}, nil
	}
	return &extractorv1.ValidateResponse{
		Site:        job.AppConfig.Site(),
		Destination: job.Output.Destination,
		Format:      job.Output.Format,
	}, nil
}

// Extract runs the job, passing its events to send, and returns its
// Result. A cancelled run is aborted (its part files removed) before the
// Result, which says how many were removed. After a complete run, the job
// file's upload.afterRun uploads it; the Result says how that went.
func (s *Server) Extract(ctx context.Context, req *extractorv1.ExtractRequest, send func(*extractorv1.ExtractResponse) error) (*extractorv1.Result, error) {
	return s.extract(ctx, req, "", send)
}

// ExtractSince runs the job as Extract does; with req.since ("auto" or
// DEST/RUN_ID) it builds on that base run as jira-extractor run --since
// does: the manifest names mode, reason and base_run, and the run writes
// its change set.
func (s *Server) ExtractSince(ctx context.Context, req *extractorv2.ExtractSinceRequest, send func(*extractorv1.ExtractResponse) error) (*extractorv1.Result, error) {
	return s.extract(ctx, req.GetExtract(), req.GetSince(), send)
}

// extract is Extract with an optional base run.
func (s *Server) extract(ctx context.Context, req *extractorv1.ExtractRequest, since string, send func(*extractorv1.ExtractResponse) error) (*extractorv1.Result, error) {
	runID := req.GetRunId()
	if runID == "" {
		runID = ulid.Make().String()
	}
	job, err := parseJob(req.GetJob())
	if err != nil {
		return &extractorv1.Result{
			RunId:    runID,
			Status:   manifest.StatusFailed,
			ExitCode: extractor.ExitUsage,
			Error:    err.Error(),
			Problems: problemsToProto(err),
		}, nil
	}
	resolved := job.Resolve()
	if since != "" {
		resolved.Job.Incremental = job.IncrementalFor(since)
	}

	base := NewHCLogHandler(s.logger.Named("extractor"))
	var handler slog.Handler = base
	if lvl, ok := slogLevel(req.GetLogLevel()); ok {
		handler = &streamLogHandler{level: lvl, fallback: base, send: send}
	}
	logger := slog.New(handler).With("run_id", runID)
	logger.Info("extraction started", "site", resolved.Job.Jira.SiteName, "destination", resolved.Job.Output.Destination.String())

	var cleanup *extractor.Cleanup
	run, runErr := s.run(ctx, resolved.Job, extractor.RunOptions{
		Logger: logger,
		RunID:  runID,
		OnEvent: func(ev extractor.Event) {
			if ev.Type == extractor.EventAborted {
				c := ev.Cleanup
				cleanup = &c
				return
			}
			resp := eventToProto(ev)
			if resp == nil {
				return
			}
			if err := send(resp); err != nil {
				logger.Debug("event not delivered", "error", err)
			}
		},
	})
	if run == nil {
		run = &extractor.Result{}
	}
	res := resultOf(ctx, runID, run.Location, run.Manifest, runErr)
	if cleanup != nil {
		res.RemovedFiles = int64(cleanup.Removed)
		if cleanup.Err != nil {
			res.CleanupError = cleanup.Err.Error()
		}
	}
	s.uploadAfterRun(ctx, resolved, run.Location, res, send, logger)
	logger.Info("extraction finished", "status", res.Status, "exit_code", res.ExitCode, "removed_files", res.RemovedFiles)
	return res, nil
}

// uploadAfterRun uploads a complete run when the job file says
// upload.afterRun, announcing it with an event and reporting the outcome in
// res; a failed upload makes the exit code 1.
func (s *Server) uploadAfterRun(ctx context.Context, job config.Resolved, loc location.Location, res *extractorv1.Result, send func(*extractorv1.ExtractResponse) error, logger *slog.Logger) {
	if job.Upload == nil || !job.UploadAfterRun || res.GetManifestLocation() == "" {
		return
	}
	out := &extractorv1.UploadOutcome{Location: res.GetLocation()}
	res.Upload = out
	if res.GetStatus() != manifest.StatusComplete {
		out.Status = "skipped"
		out.Error = fmt.Sprintf("the run is %s, and upload.afterRun uploads complete runs only; upload it with 'jira-extractor upload --from %s --config JOB.json'", res.GetStatus(), res.GetLocation())
		return
	}
	if err := send(&extractorv1.ExtractResponse{Event: &extractorv1.ExtractResponse_Upload{Upload: &extractorv1.UploadOutcome{Status: "started", Location: res.GetLocation()}}}); err != nil {
		logger.Debug("event not delivered", "error", err)
	}
	if err := s.upload(ctx, job.Upload, job.S3, loc, logger.With("phase", "upload")); err != nil {
		out.Status = "failed"
		out.Error = err.Error()
		res.ExitCode = extractor.ExitFailed
		logger.Error("upload after the run failed", "error", err.Error())
		return
	}
	out.Status = "uploaded"
}

// resultOf builds the final event of a run.
func resultOf(ctx context.Context, runID string, loc location.Location, m *manifest.Manifest, runErr error) *extractorv1.Result {
	res := &extractorv1.Result{
		RunId:    runID,
		Location: loc.String(),
		ExitCode: int32(extractor.ExitCode(m, runErr)),
	}
	switch {
	case m != nil && m.Status != "":
		res.Status = m.Status
	case ctx.Err() != nil || errors.Is(runErr, context.Canceled):
		res.Status = manifest.StatusCancelled
	default:
		res.Status = manifest.StatusFailed
	}
	if runErr != nil {
		res.Error = runErr.Error()
		if config.IsInvalid(runErr) {
			res.Problems = problemsToProto(runErr)
		}
	}
	if m == nil {
		return res
	}
	if m.RunID != "" {
		res.RunId = m.RunID
	}
	if runErr == nil && (m.Status == manifest.StatusComplete || m.Status == manifest.StatusPartial) {
		res.ManifestLocation = manifestLocation(loc)
	}
	res.Rows = map[string]int64{}
	for _, t := range m.Tables {
		res.Tables = append(res.Tables, TableToProto(t))
		res.Rows[t.Name] = t.Rows
	}
	for _, w := range m.Warnings {
		res.Warnings = append(res.Warnings, WarningToProto(w))
	}
	res.Requests = &extractorv1.Requests{Total: m.Requests.Total, ByEndpoint: m.Requests.ByEndpoint, Retries: m.Requests.Retries, Throttled: m.Requests.Throttled}
	if !m.StartedAt.IsZero() {
		res.StartedAt = timestamppb.New(m.StartedAt)
	}
	if !m.FinishedAt.IsZero() {
		res.FinishedAt = timestamppb.New(m.FinishedAt)
	}
	if b, err := json.Marshal(m); err == nil {
		res.ManifestJson = b
	}
	return res
}

// manifestLocation is where manifest.json of a run folder is.
func manifestLocation(loc location.Location) string {
	if loc.IsZero() {
		return ""
	}
	return loc.Join(manifest.FileName).String()
}

// eventToProto converts an extractor event; nil for unknown types.
func eventToProto(ev extractor.Event) *extractorv1.ExtractResponse {
	resp := &extractorv1.ExtractResponse{Time: timestamppb.Now()}
	switch ev.Type {
	case extractor.EventProgress:
		resp.Event = &extractorv1.ExtractResponse_Progress{Progress: ProgressToProto(ev.Progress)}
	case extractor.EventWarning:
		resp.Event = &extractorv1.ExtractResponse_Warning{Warning: WarningToProto(ev.Warning)}
	case extractor.EventTable:
		resp.Event = &extractorv1.ExtractResponse_Table{Table: TableToProto(ev.Table)}
	default:
		return nil
	}
	return resp
}
