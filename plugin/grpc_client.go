package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/govextract/jira-extractor/plugin/extractorv1"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

// DefaultCancelGrace is how long a host waits, after cancelling a run, for
// the plugin to clean up and report the run's Result.
const DefaultCancelGrace = 30 * time.Second

// cancelCallTimeout bounds the Cancel RPC itself.
const cancelCallTimeout = 10 * time.Second

// ErrNoResultInGrace is returned by GRPCClient.Extract when a cancelled run
// did not report its Result within the grace period: its part files may
// still be there.
var ErrNoResultInGrace = errors.New("the plugin did not report the cancelled run's result within the grace period")

// ErrNoResult is returned when the plugin ended a run's stream without a
// Result.
var ErrNoResult = errors.New("the plugin ended the run without a result")

// ErrNeedsProtocolV2 is returned by the calls of version 2 (ValidatePlan,
// Apply, ExtractSince, Tickets, Diff, Access) when the plugin speaks
// protocol version 1 only.
// Each call's error names the command ("apply needs plugin protocol version
// 2, ...") and wraps it.
var ErrNeedsProtocolV2 = errors.New("needs plugin protocol version 2")

// needsV2 is ErrNeedsProtocolV2 for one command.
type needsV2 string

func (n needsV2) Error() string {
	return string(n) + " needs plugin protocol version 2, and the plugin speaks version 1 only: use a newer plugin build"
}

func (n needsV2) Unwrap() error { return ErrNeedsProtocolV2 }

// GRPCClient is the host side of the protocol: an Extractor that calls a
// plugin process over gRPC and, when version 2 was negotiated, an Applier.
type GRPCClient struct {
	client extractorv1.ExtractorServiceClient
	v2     extractorv2.ExtractorServiceClient // nil under version 1
	// CancelGrace bounds the wait for a cancelled run's Result (see
	// Extract); 0 means DefaultCancelGrace.
	CancelGrace time.Duration
}

var _ Extractor = (*GRPCClient)(nil)

var _ Applier = (*GRPCClient)(nil)

var _ SinceExtractor = (*GRPCClient)(nil)

var _ Reporter = (*GRPCClient)(nil)

// NewGRPCClient returns the Extractor behind a version 1 service client;
// its ValidatePlan and Apply return ErrNeedsProtocolV2.
func NewGRPCClient(c extractorv1.ExtractorServiceClient) *GRPCClient {
	return &GRPCClient{client: c}
}

// NewGRPCClientV2 returns the Extractor and Applier behind a version 2
// service client (whose version 1 calls take the same messages).
func NewGRPCClientV2(c extractorv2.ExtractorServiceClient) *GRPCClient {
	return &GRPCClient{client: c, v2: c}
}

// ProtocolVersion is the protocol version the client speaks: 1 or 2.
func (c *GRPCClient) ProtocolVersion() int {
	if c.v2 != nil {
		return 2
	}
	return 1
}

// Describe calls Describe.
func (c *GRPCClient) Describe(ctx context.Context) (*extractorv1.DescribeResponse, error) {
	return c.client.Describe(ctx, &extractorv1.DescribeRequest{})
}

// Validate calls Validate.
func (c *GRPCClient) Validate(ctx context.Context, job *extractorv1.Job) (*extractorv1.ValidateResponse, error) {
	return c.client.Validate(ctx, &extractorv1.ValidateRequest{Job: job})
}

// Extract calls Extract and passes every event but the Result to send.
//
// When ctx ends, the run is cancelled without closing its stream: the
// client calls Cancel with the request's run id, so the plugin aborts the
// run, removes its part files and still sends the Result, which Extract
// returns. It waits CancelGrace for it; after that it closes the stream and
// returns ErrNoResultInGrace. A plugin without Cancel (or a request without
// a run id) gets its stream closed at once, as before Cancel existed.
func (c *GRPCClient) Extract(ctx context.Context, req *extractorv1.ExtractRequest, send func(*extractorv1.ExtractResponse) error) (*extractorv1.Result, error) {
	return runStream(ctx, c, req.GetRunId(),
		func(ctx context.Context) (grpc.ServerStreamingClient[extractorv1.ExtractResponse], error) {
			return c.client.Extract(ctx, req)
		},
		(*extractorv1.ExtractResponse).GetResult, send)
}

// ValidatePlan calls ValidatePlan; ErrNeedsProtocolV2 when the plugin
// speaks version 1 only.
func (c *GRPCClient) ValidatePlan(ctx context.Context, req *extractorv2.ValidatePlanRequest) (*extractorv2.ValidatePlanResponse, error) {
	if c.v2 == nil {
		return nil, needsV2("apply")
	}
	return c.v2.ValidatePlan(ctx, req)
}

// Apply calls Apply and passes every event but the ApplyResult to send;
// ErrNeedsProtocolV2 when the plugin speaks version 1 only. Cancellation
// works as in Extract: when ctx ends, Cancel stops the apply (by the
// request's run id) and Apply waits up to CancelGrace for its result.
func (c *GRPCClient) Apply(ctx context.Context, req *extractorv2.ApplyRequest, send func(*extractorv2.ApplyResponse) error) (*extractorv2.ApplyResult, error) {
	if c.v2 == nil {
		return nil, needsV2("apply")
	}
	return runStream(ctx, c, req.GetRunId(),
		func(ctx context.Context) (grpc.ServerStreamingClient[extractorv2.ApplyResponse], error) {
			return c.v2.Apply(ctx, req)
		},
		(*extractorv2.ApplyResponse).GetResult, send)
}

// runStream opens a run's stream (Extract, Apply, ...) and reads it until its
// result, passing every other event to send.
//
// When ctx ends, the run is cancelled without closing its stream: Cancel is
// called with runID, so the plugin stops the run, cleans up and still sends
// the result. runStream waits CancelGrace for it; after that it closes the
// stream and returns ErrNoResultInGrace. A plugin without Cancel (or a run
// without an id) gets its stream closed at once.
func runStream[E any, R any](ctx context.Context, c *GRPCClient, runID string, open func(context.Context) (grpc.ServerStreamingClient[E], error), result func(*E) *R, send func(*E) error) (*R, error) {
	streamCtx, closeStream := context.WithCancelCause(context.WithoutCancel(ctx))
	defer closeStream(nil)
	stream, err := open(streamCtx)
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	defer close(done)
	go c.cancelOnDone(ctx, streamCtx, runID, closeStream, done)
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil, ErrNoResult
		}
		if err != nil {
			if cause := context.Cause(streamCtx); cause != nil && status.Code(err) == codes.Canceled {
				return nil, cause
			}
			return nil, err
		}
		if r := result(ev); r != nil {
			return r, nil
		}
		if send != nil {
			if err := send(ev); err != nil {
				return nil, fmt.Errorf("handle event: %w", err)
			}
		}
	}
}

// cancelOnDone waits for ctx to end while the run is in progress, then
// cancels the run and bounds the wait for its Result.
func (c *GRPCClient) cancelOnDone(ctx, streamCtx context.Context, runID string, closeStream context.CancelCauseFunc, done <-chan struct{}) {
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	if runID == "" {
		closeStream(ctx.Err())
		return
	}
	if !c.cancelRun(streamCtx, runID, done) {
		// A plugin older than Cancel aborts a run when its stream closes;
		// so does one that does not know the run.
		closeStream(ctx.Err())
		return
	}
	grace := c.CancelGrace
	if grace <= 0 {
		grace = DefaultCancelGrace
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		closeStream(fmt.Errorf("%w (%s): %w", ErrNoResultInGrace, grace, ctx.Err()))
	}
}

// cancelRun calls Cancel until the plugin knows the run (it registers it
// when its Extract handler starts, which may be just after the call), up to
// cancelCallTimeout. It reports whether the plugin is cancelling the run, or
// the run ended meanwhile (done).
func (c *GRPCClient) cancelRun(ctx context.Context, runID string, done <-chan struct{}) bool {
	deadline := time.Now().Add(cancelCallTimeout)
	for {
		cctx, cancel := context.WithDeadline(ctx, deadline)
		resp, err := c.client.Cancel(cctx, &extractorv1.CancelRequest{RunId: runID})
		cancel()
		switch {
		case err == nil && resp.GetFound():
			return true
		case err != nil && status.Code(err) != codes.DeadlineExceeded:
			// Unimplemented (an older plugin) or the plugin is gone, which
			// the stream reports.
			return false
		case time.Now().After(deadline):
			return false
		}
		select {
		case <-done:
			return true
		case <-time.After(50 * time.Millisecond):
		}
	}
}
