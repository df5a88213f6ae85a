package pluginserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/applycmd"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/plan"
	"github.com/govextract/jira-extractor/plugin"
	"github.com/govextract/jira-extractor/plugin/extractorv1"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

// ApplyFunc applies a parsed plan that passed validation and
// applycmd.Check; applycmd.Apply in production (the apply engine, the Jira
// target, the actions table and manifest), a fake in tests. It is the seam
// between the protocol and the apply engine: onProgress gets every
// finished action (apply.Progress.Last), and the returned Result the
// summary, the run folder and the exit code.
type ApplyFunc func(ctx context.Context, job *config.Job, p *plan.Plan, opts applycmd.Options, onProgress func(apply.Progress)) (applycmd.Result, error)

var _ plugin.Applier = (*Server)(nil)

// progressEvery bounds how often an apply's progress event is sent (the
// last one, all actions done, always is); every action's result is sent.
const progressEvery = 200 * time.Millisecond

// checkPlan parses the job (with the host's overrides) and the plan, and
// collects every problem of both: the job's keys, the plan's action ids and
// fields, and what only the pair shows (applycmd.Check). job and p are nil
// when they could not be read.
func checkPlan(j *extractorv1.Job, data []byte, format string) (job *config.Job, p *plan.Plan, jobProblems []*extractorv1.Problem, planProblems []*extractorv2.PlanProblem) {
	job, err := parseJob(j)
	if err != nil {
		jobProblems = problemsToProto(err)
	}
	switch f := plan.Format(format); f {
	case plan.JSON, plan.CSV:
		if len(data) > plugin.MaxPlanBytes {
			planProblems = append(planProblems, &extractorv2.PlanProblem{Message: fmt.Sprintf("the plan is larger than %d MiB: split it into smaller ones", plugin.MaxPlanBytes>>20)})
			break
		}
		if p, err = plan.Parse(bytes.NewReader(data), f); err != nil {
			planProblems = planProblemsToProto(err)
		}
	default:
		planProblems = append(planProblems, &extractorv2.PlanProblem{Field: "plan_format",
			Message: fmt.Sprintf("plan format %q: use %q or %q (name the plan file .json or .csv)", format, plan.JSON, plan.CSV)})
	}
	if job != nil && p != nil {
		if err := applycmd.Check(job, p); err != nil {
			planProblems = append(planProblems, planProblemsToProto(err)...)
		}
	}
	return job, p, jobProblems, planProblems
}

// planProblemsToProto converts a plan error's problems; another error
// becomes one problem without an action.
func planProblemsToProto(err error) []*extractorv2.PlanProblem {
	var pe *plan.Error
	if !errors.As(err, &pe) {
		return []*extractorv2.PlanProblem{{Message: err.Error()}}
	}
	out := make([]*extractorv2.PlanProblem, len(pe.Problems))
	for i, p := range pe.Problems {
		out[i] = &extractorv2.PlanProblem{ActionId: p.ID, Where: p.Where, Field: p.Field, Message: p.Message}
	}
	return out
}

// ValidatePlan reports every problem of the job and the plan, reading
// neither the site nor the destination.
func (s *Server) ValidatePlan(_ context.Context, req *extractorv2.ValidatePlanRequest) (*extractorv2.ValidatePlanResponse, error) {
	job, p, jps, pps := checkPlan(req.GetJob(), req.GetPlan(), req.GetPlanFormat())
	resp := &extractorv2.ValidatePlanResponse{JobProblems: jps, PlanProblems: pps}
	if p != nil {
		resp.Actions = int64(len(p.Actions))
	}
	if job != nil {
		resp.Site, resp.Destination = job.AppConfig.Site(), job.Output.Destination
	}
	return resp, nil
}

// Apply checks the job and the plan (every problem at once: exit code 2,
// nothing read or written), then applies the plan with the apply engine,
// sending one ActionResult per finished action and progress events, and
// returns the summary. Cancelling ctx stops the apply: no action starts
// after it, and the actions table is still written.
func (s *Server) Apply(ctx context.Context, req *extractorv2.ApplyRequest, send func(*extractorv2.ApplyResponse) error) (*extractorv2.ApplyResult, error) {
	runID := req.GetRunId()
	if runID == "" {
		runID = ulid.Make().String()
	}
	job, p, jps, pps := checkPlan(req.GetJob(), req.GetPlan(), req.GetPlanFormat())
	if len(jps)+len(pps) > 0 {
		return &extractorv2.ApplyResult{
			RunId: runID, Status: manifest.StatusFailed, ExitCode: apply.ExitBadInput, DryRun: req.GetDryRun(),
			Error:       fmt.Sprintf("the job or the plan is invalid (%d problems); nothing was read or written", len(jps)+len(pps)),
			JobProblems: jps, PlanProblems: pps,
		}, nil
	}

	base := NewHCLogHandler(s.logger.Named("apply"))
	var handler slog.Handler = base
	if lvl, ok := slogLevel(req.GetLogLevel()); ok {
		handler = &streamLogHandler{level: lvl, fallback: base, send: func(ev *extractorv1.ExtractResponse) error {
			return send(&extractorv2.ApplyResponse{Event: &extractorv2.ApplyResponse_Log{Log: ev.GetLog()}})
		}}
	}
	logger := slog.New(handler).With("run_id", runID)

	index := make(map[string]int, len(p.Actions))
	for i, a := range p.Actions {
		index[a.ID] = i
	}
	prog := &progressSender{send: send, index: index, start: time.Now(), logger: logger}
	res, err := s.apply(ctx, job, p, applycmd.Options{
		DryRun:     req.GetDryRun(),
		MaxChanges: int(req.GetMaxChanges()),
		AllowSelf:  req.GetAllowSelf(),
		RunID:      runID,
		Version:    extractor.Version,
		Logger:     logger,
	}, prog.update)
	out := applyResultOf(ctx, runID, req.GetDryRun(), len(p.Actions), res, err)
	logger.Info("apply finished", "status", out.GetStatus(), "exit_code", out.GetExitCode(), "location", out.GetLocation())
	return out, nil
}

// progressSender turns the engine's progress callbacks into stream events.
type progressSender struct {
	send   func(*extractorv2.ApplyResponse) error
	index  map[string]int
	start  time.Time
	logger *slog.Logger

	mu   sync.Mutex
	last time.Time
}

// update sends the finished action, and a progress event at most every
// progressEvery (and always for the last action).
func (ps *progressSender) update(p apply.Progress) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ar := ActionResultToProto(p.Last)
	ar.Index = int64(ps.index[p.Last.ID])
	if err := ps.send(&extractorv2.ApplyResponse{Event: &extractorv2.ApplyResponse_Action{Action: ar}}); err != nil {
		ps.logger.Debug("event not delivered", "error", err)
	}
	now := time.Now()
	if p.Done < p.Total && now.Sub(ps.last) < progressEvery {
		return
	}
	ps.last = now
	ev := &extractorv2.ApplyProgress{Done: int64(p.Done), Total: int64(p.Total), Counts: countsToProto(p.Counts), Elapsed: durationpb.New(now.Sub(ps.start))}
	if err := ps.send(&extractorv2.ApplyResponse{Event: &extractorv2.ApplyResponse_Progress{Progress: ev}}); err != nil {
		ps.logger.Debug("event not delivered", "error", err)
	}
}

// countsToProto converts counts per status, every status present.
func countsToProto(c map[apply.Status]int) map[string]int64 {
	out := make(map[string]int64, len(apply.Statuses))
	for _, s := range apply.Statuses {
		out[string(s)] = int64(c[s])
	}
	return out
}

// ActionResultToProto converts one action's outcome (a row of the actions
// table).
func ActionResultToProto(o apply.Outcome) *extractorv2.ActionResult {
	ar := &extractorv2.ActionResult{
		Id: o.ID, Op: o.Op, Relation: o.Relation, Entity: o.Entity,
		FromType: o.FromType, FromId: o.FromID, ToType: o.ToType, ToId: o.ToID,
		Status: string(o.Status), HttpStatus: int32(o.HTTPStatus), Message: o.Message, TicketKey: o.TicketKey,
		Attempts: int32(o.Attempts), Reason: string(o.Reason), Resumed: o.Resumed,
	}
	if !o.StartedAt.IsZero() {
		ar.StartedAt = timestamppb.New(o.StartedAt)
	}
	if !o.FinishedAt.IsZero() {
		ar.FinishedAt = timestamppb.New(o.FinishedAt)
	}
	return ar
}

// applyResultOf builds the last event of an apply.
func applyResultOf(ctx context.Context, runID string, dryRun bool, total int, res applycmd.Result, err error) *extractorv2.ApplyResult {
	out := &extractorv2.ApplyResult{
		RunId: runID, Location: res.Location, ExitCode: int32(res.ExitCode), DryRun: dryRun,
		Total: int64(total), Counts: countsToProto(res.Apply.Summary.Counts), Resumed: int64(res.Apply.Summary.Resumed),
		Journal: res.Journal, JournalKept: res.JournalKept,
	}
	if err != nil {
		out.Error = err.Error()
		var pe *plan.Error
		if errors.As(err, &pe) {
			out.PlanProblems = planProblemsToProto(err)
		}
	}
	m := res.Manifest
	switch {
	case m != nil && m.Status != "":
		out.Status = m.Status
	case ctx.Err() != nil:
		out.Status = manifest.StatusCancelled
	default:
		out.Status = manifest.StatusFailed
	}
	if m == nil {
		return out
	}
	if m.RunID != "" {
		out.RunId = m.RunID
	}
	if loc, err := location.Parse(res.Location); res.Location != "" && err == nil {
		out.ManifestLocation = manifestLocation(loc)
	}
	out.Requests = &extractorv1.Requests{Total: m.Requests.Total, ByEndpoint: m.Requests.ByEndpoint, Retries: m.Requests.Retries, Throttled: m.Requests.Throttled}
	if !m.StartedAt.IsZero() {
		out.StartedAt = timestamppb.New(m.StartedAt)
	}
	if !m.FinishedAt.IsZero() {
		out.FinishedAt = timestamppb.New(m.FinishedAt)
	}
	if b, err := json.Marshal(m); err == nil {
		out.ManifestJson = b
	}
	return out
}
