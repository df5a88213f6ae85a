package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/plugin/extractorv1"
)

// RunFunc runs one job; extractor.Run in production, a fake in tests.
type RunFunc func(ctx context.Context, job *config.Job, opts extractor.RunOptions) (*manifest.Manifest, error)

// Server is the plugin side of protocol version 1: it serves the extractor
// over gRPC.
type Server struct {
	extractorv1.UnimplementedExtractorServiceServer
	logger hclog.Logger
	run    RunFunc
	crash  crashPoint
}

// NewServer returns a server that runs jobs with run (extractor.Run when
// nil) and logs to logger.
func NewServer(logger hclog.Logger, run RunFunc) *Server {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	if run == nil {
		run = extractor.Run
	}
	return &Server{logger: logger, run: run, crash: crashPointFromEnv()}
}

// Describe names the extractor, its kinds and the job-file schema.
func (s *Server) Describe(_ context.Context, _ *extractorv1.DescribeRequest) (*extractorv1.DescribeResponse, error) {
	resp := &extractorv1.DescribeResponse{
		Name:            extractor.Name,
		Version:         extractor.Version,
		ProtocolVersion: ProtocolVersion,
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
func (s *Server) Validate(_ context.Context, req *extractorv1.ValidateRequest) (*extractorv1.ValidateResponse, error) {
	job, err := parseJob(req.GetJob())
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

// Extract runs the job and streams its events, ending with a Result.
func (s *Server) Extract(req *extractorv1.ExtractRequest, stream extractorv1.ExtractorService_ExtractServer) error {
	s.crash.at(crashExtractStart)
	ctx := stream.Context()
	out := &eventSender{stream: stream}

	runID := req.GetRunId()
	if runID == "" {
		runID = ulid.Make().String()
	}
	job, err := parseJob(req.GetJob())
	if err != nil {
		return out.send(&extractorv1.ExtractResponse{Event: &extractorv1.ExtractResponse_Result{Result: &extractorv1.Result{
			RunId:    runID,
			Status:   manifest.StatusFailed,
			ExitCode: extractor.ExitUsage,
			Error:    err.Error(),
			Problems: problemsToProto(err),
		}}})
	}
	location := RunLocation(job.Output.Destination, runID)

	base := NewHCLogHandler(s.logger.Named("extractor"))
	var handler slog.Handler = base
	if lvl, ok := slogLevel(req.GetLogLevel()); ok {
		handler = &streamLogHandler{level: lvl, fallback: base, out: out}
	}
	logger := slog.New(handler).With("run_id", runID)
	logger.Info("extraction started", "site", job.AppConfig.Site(), "location", location)

	progressSent := 0
	m, runErr := s.run(ctx, job, extractor.RunOptions{
		Logger: logger,
		RunID:  runID,
		OnEvent: func(ev extractor.Event) {
			resp := eventToProto(ev)
			if resp == nil {
				return
			}
			if ev.Type == extractor.EventProgress {
				// The test crash comes with the second progress event, so
				// the first one has had time to reach the host.
				if progressSent++; progressSent == 2 {
					s.crash.at(crashAfterProgress)
				}
			}
			if err := out.send(resp); err != nil {
				logger.Debug("event not delivered", "error", err)
			}
		},
	})
	res := resultOf(ctx, runID, location, m, runErr)
	logger.Info("extraction finished", "status", res.Status, "exit_code", res.ExitCode)
	if err := out.send(&extractorv1.ExtractResponse{Event: &extractorv1.ExtractResponse_Result{Result: res}}); err != nil {
		return fmt.Errorf("send result of run %s: %w", runID, err)
	}
	return nil
}

// resultOf builds the final event of a run.
func resultOf(ctx context.Context, runID, location string, m *manifest.Manifest, runErr error) *extractorv1.Result {
	res := &extractorv1.Result{
		RunId:    runID,
		Location: location,
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
		res.ManifestLocation = manifestLocation(res.Location)
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
func manifestLocation(location string) string {
	if strings.HasPrefix(location, "s3://") {
		return location + "/" + manifest.FileName
	}
	return filepath.Join(location, manifest.FileName)
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

// eventSender serialises Sends on a stream (log lines come from any
// goroutine, events from the run's event goroutine).
type eventSender struct {
	mu     sync.Mutex
	stream extractorv1.ExtractorService_ExtractServer
}

func (e *eventSender) send(resp *extractorv1.ExtractResponse) error {
	if resp.Time == nil {
		resp.Time = timestamppb.Now()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stream.Send(resp)
}
