package plugin

import (
	"context"
	"fmt"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/govextract/jira-extractor/plugin/extractorv1"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

// GRPCServerV2 serves the ExtractorService of protocol version 2: the
// version 1 calls go to the same GRPCServer (so Cancel reaches runs of
// either version), ValidatePlan and Apply to the extractor's Applier,
// ExtractSince to its SinceExtractor, and Tickets, Diff and Access to its
// Reporter. An extractor that does not implement one answers its calls
// Unimplemented.
type GRPCServerV2 struct {
	extractorv2.UnimplementedExtractorServiceServer
	s *GRPCServer
}

// V2 returns the version 2 service of the server.
func (s *GRPCServer) V2() *GRPCServerV2 { return &GRPCServerV2{s: s} }

// Describe passes the call to the extractor; protocol_version says 2.
func (v *GRPCServerV2) Describe(ctx context.Context, _ *extractorv1.DescribeRequest) (*extractorv1.DescribeResponse, error) {
	return v.s.describe(ctx, 2)
}

// Validate is version 1's.
func (v *GRPCServerV2) Validate(ctx context.Context, req *extractorv1.ValidateRequest) (*extractorv1.ValidateResponse, error) {
	return v.s.Validate(ctx, req)
}

// Extract is version 1's.
func (v *GRPCServerV2) Extract(req *extractorv1.ExtractRequest, stream extractorv2.ExtractorService_ExtractServer) error {
	return v.s.Extract(req, stream)
}

// Cancel cancels an Extract or Apply run by its id.
func (v *GRPCServerV2) Cancel(ctx context.Context, req *extractorv1.CancelRequest) (*extractorv1.CancelResponse, error) {
	return v.s.Cancel(ctx, req)
}

func (v *GRPCServerV2) applier() (Applier, error) {
	a, ok := v.s.impl.(Applier)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this extractor plugin does not implement apply")
	}
	return a, nil
}

// ValidatePlan passes the call to the extractor's Applier.
func (v *GRPCServerV2) ValidatePlan(ctx context.Context, req *extractorv2.ValidatePlanRequest) (*extractorv2.ValidatePlanResponse, error) {
	a, err := v.applier()
	if err != nil {
		return nil, err
	}
	return a.ValidatePlan(ctx, req)
}

// Apply runs the apply and streams its events, ending with the
// ApplyResult. Its context ends when the host cancels the call, calls
// Cancel with the run's id, or the process is told to stop.
func (v *GRPCServerV2) Apply(req *extractorv2.ApplyRequest, stream extractorv2.ExtractorService_ApplyServer) error {
	a, err := v.applier()
	if err != nil {
		return err
	}
	ctx, end, err := v.s.startRun(stream.Context(), req.GetRunId())
	if err != nil {
		return err
	}
	defer end()
	send := lockedSend(stream.Send, func(ev *extractorv2.ApplyResponse) {
		if ev.GetTime() == nil {
			ev.Time = timestamppb.Now()
		}
	})
	res, err := a.Apply(ctx, req, send)
	if err != nil {
		return err
	}
	if err := send(&extractorv2.ApplyResponse{Event: &extractorv2.ApplyResponse_Result{Result: res}}); err != nil {
		return fmt.Errorf("send result of apply %s: %w", res.GetRunId(), err)
	}
	return nil
}

func (v *GRPCServerV2) sinceExtractor() (SinceExtractor, error) {
	a, ok := v.s.impl.(SinceExtractor)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this extractor plugin does not implement incremental runs (--since)")
	}
	return a, nil
}

func (v *GRPCServerV2) reporter() (Reporter, error) {
	r, ok := v.s.impl.(Reporter)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this extractor plugin does not implement tickets, diff or access")
	}
	return r, nil
}

// ExtractSince runs the job as Extract does, building on the request's
// base run, and streams its events, ending with the Result. Cancel takes
// its run id.
func (v *GRPCServerV2) ExtractSince(req *extractorv2.ExtractSinceRequest, stream extractorv2.ExtractorService_ExtractSinceServer) error {
	x, err := v.sinceExtractor()
	if err != nil {
		return err
	}
	ctx, end, err := v.s.startRun(stream.Context(), req.GetExtract().GetRunId())
	if err != nil {
		return err
	}
	defer end()
	send := lockedSend(stream.Send, func(ev *extractorv1.ExtractResponse) {
		if ev.GetTime() == nil {
			ev.Time = timestamppb.Now()
		}
	})
	res, err := x.ExtractSince(ctx, req, send)
	if err != nil {
		return err
	}
	if err := send(&extractorv1.ExtractResponse{Event: &extractorv1.ExtractResponse_Result{Result: res}}); err != nil {
		return fmt.Errorf("send result of run %s: %w", res.GetRunId(), err)
	}
	return nil
}

// Tickets passes the call to the extractor's Reporter.
func (v *GRPCServerV2) Tickets(ctx context.Context, req *extractorv2.TicketsRequest) (*extractorv2.TicketsResponse, error) {
	r, err := v.reporter()
	if err != nil {
		return nil, err
	}
	return r.Tickets(ctx, req)
}

// Diff passes the call to the extractor's Reporter; it counts as a run in
// progress (Cancel takes its run id, and a stopping plugin waits for it
// to remove what it wrote).
func (v *GRPCServerV2) Diff(ctx context.Context, req *extractorv2.DiffRequest) (*extractorv2.DiffResult, error) {
	r, err := v.reporter()
	if err != nil {
		return nil, err
	}
	ctx, end, err := v.s.startRun(ctx, req.GetRunId())
	if err != nil {
		return nil, err
	}
	defer end()
	return r.Diff(ctx, req)
}

// Access streams the answer's chunks and notes, ending with the
// AccessResult.
func (v *GRPCServerV2) Access(req *extractorv2.AccessRequest, stream extractorv2.ExtractorService_AccessServer) error {
	r, err := v.reporter()
	if err != nil {
		return err
	}
	res, err := r.Access(stream.Context(), req, stream.Send)
	if err != nil {
		return err
	}
	if err := stream.Send(&extractorv2.AccessResponse{Event: &extractorv2.AccessResponse_Result{Result: res}}); err != nil {
		return fmt.Errorf("send result of access %s: %w", req.GetQuestion(), err)
	}
	return nil
}

// lockedSend returns a send that stamps each event and sends it, one at a
// time (a gRPC stream's Send is not safe for concurrent use).
func lockedSend[E any](send func(*E) error, stamp func(*E)) func(*E) error {
	var mu sync.Mutex
	return func(ev *E) error {
		stamp(ev)
		mu.Lock()
		defer mu.Unlock()
		return send(ev)
	}
}
