package plugin

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/govextract/jira-extractor/plugin/extractorv1"
)

// ErrCancelledByHost is the cancel cause of a run the host cancelled with
// the Cancel RPC.
var ErrCancelledByHost = errors.New("cancelled by the host")

// GRPCServer serves an Extractor as the ExtractorService of protocol
// version 1, and (see V2) of version 2. Besides passing calls through, it keeps the runs in progress
// so Cancel can reach them, cancels every run when the process is told to
// stop (see Serve), and can wait for runs to finish their cleanup.
type GRPCServer struct {
	extractorv1.UnimplementedExtractorServiceServer
	impl  Extractor
	crash crashPoint

	base context.Context // ends when the process must stop its runs

	mu       sync.Mutex
	runs     map[string]context.CancelCauseFunc
	inflight sync.WaitGroup
}

// NewGRPCServer returns the service for impl. Runs are cancelled when base
// ends (nil: never), with base's cause. crashPoint is a test hook (see
// ServeOptions.CrashPoint); empty in production.
func NewGRPCServer(base context.Context, impl Extractor, crash string) *GRPCServer {
	if base == nil {
		base = context.Background()
	}
	return &GRPCServer{impl: impl, crash: crashPoint(crash), base: base, runs: map[string]context.CancelCauseFunc{}}
}

// Describe passes the call to the extractor; protocol_version says 1.
func (s *GRPCServer) Describe(ctx context.Context, _ *extractorv1.DescribeRequest) (*extractorv1.DescribeResponse, error) {
	return s.describe(ctx, 1)
}

func (s *GRPCServer) describe(ctx context.Context, version uint32) (*extractorv1.DescribeResponse, error) {
	resp, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, err
	}
	resp.ProtocolVersion = version
	return resp, nil
}

// Validate passes the call to the extractor.
func (s *GRPCServer) Validate(ctx context.Context, req *extractorv1.ValidateRequest) (*extractorv1.ValidateResponse, error) {
	return s.impl.Validate(ctx, req.GetJob())
}

// Extract runs the job and streams its events, ending with the Result. The
// run's context ends when the host cancels the call, calls Cancel with the
// run's id, or the process is told to stop.
func (s *GRPCServer) Extract(req *extractorv1.ExtractRequest, stream extractorv1.ExtractorService_ExtractServer) error {
	s.crash.at(CrashExtractStart)
	s.inflight.Add(1)
	defer s.inflight.Done()

	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	stop := context.AfterFunc(s.base, func() { cancel(context.Cause(s.base)) })
	defer stop()
	if id := req.GetRunId(); id != "" {
		if err := s.register(id, cancel); err != nil {
			return err
		}
		defer s.unregister(id)
	}

	var mu sync.Mutex
	progressSent := 0
	send := func(ev *extractorv1.ExtractResponse) error {
		if ev.GetTime() == nil {
			ev.Time = timestamppb.Now()
		}
		if ev.GetProgress() != nil {
			// The test crash comes with the second progress event, so the
			// first one has had time to reach the host.
			mu.Lock()
			progressSent++
			n := progressSent
			mu.Unlock()
			if n == 2 {
				s.crash.at(CrashAfterProgress)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		return stream.Send(ev)
	}
	res, err := s.impl.Extract(ctx, req, send)
	if err != nil {
		return err
	}
	if err := send(&extractorv1.ExtractResponse{Event: &extractorv1.ExtractResponse_Result{Result: res}}); err != nil {
		return fmt.Errorf("send result of run %s: %w", res.GetRunId(), err)
	}
	return nil
}

// startRun registers a run (Extract or Apply) in progress: its context
// ends when the call's does, when Cancel names runID, or when the process
// is told to stop. Call end when the run is over.
func (s *GRPCServer) startRun(callCtx context.Context, runID string) (ctx context.Context, end func(), err error) {
	s.inflight.Add(1)
	ctx, cancel := context.WithCancelCause(callCtx)
	stop := context.AfterFunc(s.base, func() { cancel(context.Cause(s.base)) })
	if runID != "" {
		if err := s.register(runID, cancel); err != nil {
			stop()
			cancel(nil)
			s.inflight.Done()
			return nil, nil, err
		}
	}
	return ctx, func() {
		if runID != "" {
			s.unregister(runID)
		}
		stop()
		cancel(nil)
		s.inflight.Done()
	}, nil
}

// Cancel cancels the run with the given id; its Extract stream then ends
// with the run's Result once the extractor has cleaned up.
func (s *GRPCServer) Cancel(_ context.Context, req *extractorv1.CancelRequest) (*extractorv1.CancelResponse, error) {
	s.mu.Lock()
	cancel, ok := s.runs[req.GetRunId()]
	s.mu.Unlock()
	if ok {
		cancel(ErrCancelledByHost)
	}
	return &extractorv1.CancelResponse{Found: ok}, nil
}

func (s *GRPCServer) register(id string, cancel context.CancelCauseFunc) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.runs[id]; dup {
		return status.Errorf(codes.AlreadyExists, "run %s is already in progress", id)
	}
	s.runs[id] = cancel
	return nil
}

func (s *GRPCServer) unregister(id string) {
	s.mu.Lock()
	delete(s.runs, id)
	s.mu.Unlock()
}

// Wait waits up to d for every Extract and Apply call in progress to return (after
// its run's cleanup); it reports whether they all did.
func (s *GRPCServer) Wait(d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		s.inflight.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
