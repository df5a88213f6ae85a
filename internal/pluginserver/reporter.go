package pluginserver

import (
	"bytes"
	"context"
	"encoding/json"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/accesscmd"
	"github.com/govextract/jira-extractor/internal/diffcmd"
	"github.com/govextract/jira-extractor/internal/output/store"
	"github.com/govextract/jira-extractor/internal/tickets"
	"github.com/govextract/jira-extractor/internal/ticketscmd"
	"github.com/govextract/jira-extractor/internal/usageerr"
	"github.com/govextract/jira-extractor/plugin/extractorv1"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

// Tickets reads the tickets of an apply run from the job's site and
// renders the report as jira-extractor tickets does.
func (s *Server) Tickets(ctx context.Context, req *extractorv2.TicketsRequest) (*extractorv2.TicketsResponse, error) {
	format := orDefault(req.GetFormat(), "table")
	if err := ticketscmd.Validate(req.GetRun(), format); err != nil {
		return &extractorv2.TicketsResponse{ExitCode: ticketscmd.ExitUsage, Error: err.Error()}, nil
	}
	job, err := parseJob(req.GetJob())
	if err != nil {
		return &extractorv2.TicketsResponse{ExitCode: ticketscmd.ExitUsage, Error: "invalid job file", JobProblems: problemsToProto(err)}, nil
	}
	sts, err := ticketscmd.Track(ctx, job, req.GetRun())
	switch {
	case usageerr.Is(err):
		return &extractorv2.TicketsResponse{ExitCode: ticketscmd.ExitUsage, Error: err.Error()}, nil
	case err != nil:
		return &extractorv2.TicketsResponse{ExitCode: ticketscmd.ExitFailed, Error: err.Error(), Hint: ticketscmd.Hint(err)}, nil
	}
	var report bytes.Buffer
	if err := ticketscmd.Write(&report, format, sts); err != nil {
		return &extractorv2.TicketsResponse{ExitCode: ticketscmd.ExitFailed, Error: "write the report: " + err.Error()}, nil
	}
	resp := &extractorv2.TicketsResponse{Report: report.Bytes(), Summary: ticketscmd.Summary(sts), ExitCode: int32(ticketscmd.ExitCode(sts))}
	for _, st := range sts {
		resp.Tickets = append(resp.Tickets, ticketToProto(st))
	}
	return resp, nil
}

// ticketToProto converts one line of the report.
func ticketToProto(st tickets.Status) *extractorv2.TicketStatus {
	return &extractorv2.TicketStatus{Action: st.Action, Op: st.Op, Key: st.Key, Status: st.Status, Category: st.Category,
		Done: st.Done, Summary: st.Summary, Error: st.Error, RunStatus: st.RunStatus}
}

// readerS3 is the output.s3 options of the request's optional job file;
// nil without one. A job file with problems gives them.
func readerS3(j *extractorv1.Job) (*store.S3Options, []*extractorv1.Problem) {
	if len(j.GetJobJson()) == 0 {
		return nil, nil
	}
	job, err := parseJob(j)
	if err != nil {
		return nil, problemsToProto(err)
	}
	return job.Output.S3Options(), nil
}

// Diff writes the change set of two runs as jira-extractor diff does.
func (s *Server) Diff(ctx context.Context, req *extractorv2.DiffRequest) (*extractorv2.DiffResult, error) {
	r := diffcmd.Request{OldRun: req.GetOldRun(), NewRun: req.GetNewRun(), Out: orDefault(req.GetOut(), "./out"),
		Format: orDefault(req.GetFormat(), "parquet"), RunID: req.GetRunId()}
	if err := r.Validate(); err != nil {
		return &extractorv2.DiffResult{ExitCode: extractor.ExitUsage, Error: err.Error()}, nil
	}
	var ps []*extractorv1.Problem
	if r.S3, ps = readerS3(req.GetJob()); len(ps) > 0 {
		return &extractorv2.DiffResult{ExitCode: extractor.ExitUsage, Error: "invalid job file", JobProblems: ps}, nil
	}
	loc, m, err := diffcmd.Diff(ctx, r)
	switch {
	case usageerr.Is(err):
		return &extractorv2.DiffResult{ExitCode: extractor.ExitUsage, Error: err.Error()}, nil
	case err != nil:
		return &extractorv2.DiffResult{ExitCode: extractor.ExitFailed, Error: err.Error()}, nil
	}
	s.logger.Info("change set written", "location", loc, "changes", m.Changes.Rows)
	res := &extractorv2.DiffResult{RunId: m.RunID, Location: loc, OldRun: m.OldRun, NewRun: m.NewRun,
		Rows: m.Changes.Rows, Counts: m.Changes.Counts, Duration: durationpb.New(m.FinishedAt.Sub(m.StartedAt)),
		PeakRssBytes: diffcmd.PeakRSS()}
	if b, err := json.Marshal(m); err == nil {
		res.ManifestJson = b
	}
	return res, nil
}

// Access answers an effective-access question as jira-extractor access
// does, sending the rendered answer in chunks and the run's notes.
func (s *Server) Access(ctx context.Context, req *extractorv2.AccessRequest, send func(*extractorv2.AccessResponse) error) (*extractorv2.AccessResult, error) {
	q := accesscmd.Query{Run: req.GetRun(), Question: req.GetQuestion(), Project: req.GetProject(), User: req.GetUser(),
		Permission: req.GetPermission(), Format: orDefault(req.GetFormat(), "table")}
	if err := q.Validate(); err != nil {
		return &extractorv2.AccessResult{ExitCode: extractor.ExitUsage, Error: err.Error()}, nil
	}
	var ps []*extractorv1.Problem
	if q.S3, ps = readerS3(req.GetJob()); len(ps) > 0 {
		return &extractorv2.AccessResult{ExitCode: extractor.ExitUsage, Error: "invalid job file", JobProblems: ps}, nil
	}
	var sendErr error
	note := func(scope, msg string) {
		if err := send(&extractorv2.AccessResponse{Event: &extractorv2.AccessResponse_Note{Note: scope + ": " + msg}}); err != nil && sendErr == nil {
			sendErr = err
		}
	}
	rows, err := accesscmd.Answer(ctx, q, chunkWriter(send), note)
	switch {
	case sendErr != nil:
		return nil, sendErr
	case usageerr.Is(err):
		return &extractorv2.AccessResult{ExitCode: extractor.ExitUsage, Error: err.Error()}, nil
	case err != nil:
		return &extractorv2.AccessResult{ExitCode: extractor.ExitFailed, Error: err.Error(), Rows: int64(rows)}, nil
	}
	return &extractorv2.AccessResult{Rows: int64(rows)}, nil
}

// chunkWriter sends every write as an output event (the answer's writer
// buffers, so a chunk is up to 64 KiB).
type chunkWriter func(*extractorv2.AccessResponse) error

func (w chunkWriter) Write(p []byte) (int, error) {
	chunk := bytes.Clone(p)
	if err := w(&extractorv2.AccessResponse{Event: &extractorv2.AccessResponse_Output{Output: chunk}}); err != nil {
		return 0, err
	}
	return len(p), nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
