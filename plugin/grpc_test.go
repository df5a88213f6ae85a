package plugin

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/govextract/jira-extractor/plugin/extractorv1"
)

// fakeExtractor runs until its context ends, then reports a cancelled run
// after cleanup (unless it ignores cancels until release closes).
type fakeExtractor struct {
	started chan struct{} // closed when Extract runs
	cause   chan error    // receives the run context's cause
	release chan struct{} // when set, Extract ignores ctx until it closes
}

func newFake() *fakeExtractor {
	return &fakeExtractor{started: make(chan struct{}), cause: make(chan error, 1)}
}

func (f *fakeExtractor) Describe(context.Context) (*extractorv1.DescribeResponse, error) {
	return &extractorv1.DescribeResponse{Name: "fake"}, nil
}

func (f *fakeExtractor) Validate(context.Context, *extractorv1.Job) (*extractorv1.ValidateResponse, error) {
	return &extractorv1.ValidateResponse{}, nil
}

func (f *fakeExtractor) Extract(ctx context.Context, req *extractorv1.ExtractRequest, send func(*extractorv1.ExtractResponse) error) (*extractorv1.Result, error) {
	if err := send(&extractorv1.ExtractResponse{Event: &extractorv1.ExtractResponse_Progress{Progress: &extractorv1.Progress{Requests: 1}}}); err != nil {
		return nil, err
	}
	close(f.started)
	if f.release != nil {
		<-f.release
	}
	<-ctx.Done()
	f.cause <- context.Cause(ctx)
	return &extractorv1.Result{RunId: req.GetRunId(), Status: "cancelled", ExitCode: ExitFailed, RemovedFiles: 16}, nil
}

// serve serves impl through the gRPC glue on 127.0.0.1 and returns the
// host side.
func serve(t *testing.T, base context.Context, impl Extractor) (*GRPCClient, extractorv1.ExtractorServiceClient) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(ServerOptions(hclog.NewNullLogger())...)
	extractorv1.RegisterExtractorServiceServer(gs, NewGRPCServer(base, impl, ""))
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	raw := extractorv1.NewExtractorServiceClient(conn)
	return NewGRPCClient(raw), raw
}

type outcome struct {
	res *extractorv1.Result
	err error
}

// extract runs c.Extract in the background.
func extract(c *GRPCClient, ctx context.Context, runID string) <-chan outcome {
	done := make(chan outcome, 1)
	go func() {
		res, err := c.Extract(ctx, &extractorv1.ExtractRequest{RunId: runID}, nil)
		done <- outcome{res, err}
	}()
	return done
}

func await(t *testing.T, ch <-chan outcome) outcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(20 * time.Second):
		t.Fatal("Extract did not return")
	}
	return outcome{}
}

// TestCancelKeepsTheStreamForTheResult: cancelling the host's context
// cancels the run through the Cancel RPC, and the cleanup's Result still
// reaches the host (closing the stream instead would lose it).
func TestCancelKeepsTheStreamForTheResult(t *testing.T) {
	f := newFake()
	c, _ := serve(t, nil, f)
	ctx, cancel := context.WithCancel(context.Background())
	done := extract(c, ctx, "R1")
	<-f.started
	cancel()
	o := await(t, done)
	if o.err != nil || o.res.GetStatus() != "cancelled" || o.res.GetRemovedFiles() != 16 {
		t.Fatalf("Extract = %v, %v; want the cancelled run's result", o.res, o.err)
	}
	if cause := <-f.cause; !errors.Is(cause, ErrCancelledByHost) {
		t.Errorf("run cancelled with %v, want ErrCancelledByHost", cause)
	}
}

// TestCancelGraceBoundsTheWait: a plugin that does not finish its cleanup
// within the grace period gets its stream closed, and the host is told.
func TestCancelGraceBoundsTheWait(t *testing.T) {
	f := newFake()
	f.release = make(chan struct{})
	defer close(f.release)
	c, _ := serve(t, nil, f)
	c.CancelGrace = 200 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := extract(c, ctx, "R2")
	<-f.started
	start := time.Now()
	cancel()
	o := await(t, done)
	if !errors.Is(o.err, ErrNoResultInGrace) || !errors.Is(o.err, context.Canceled) {
		t.Fatalf("Extract = %v, %v; want ErrNoResultInGrace", o.res, o.err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("a 200ms grace took %s", took)
	}
}

// TestStopCancelsRuns: when the plugin process must stop (a signal, its
// host gone), its runs are cancelled with that cause and still report
// their Result to a host that did not cancel anything.
func TestStopCancelsRuns(t *testing.T) {
	f := newFake()
	base, stop := context.WithCancelCause(context.Background())
	c, _ := serve(t, base, f)
	done := extract(c, context.Background(), "R3")
	<-f.started
	stop(&SignalError{Signal: syscall.SIGTERM})
	o := await(t, done)
	if o.err != nil || o.res.GetStatus() != "cancelled" {
		t.Fatalf("Extract = %v, %v", o.res, o.err)
	}
	var se *SignalError
	if cause := <-f.cause; !errors.As(cause, &se) || se.Error() != "plugin received SIGTERM" {
		t.Errorf("run cancelled with %v, want the SIGTERM", cause)
	}
}

func TestCancelUnknownRunAndDuplicateRun(t *testing.T) {
	f := newFake()
	c, raw := serve(t, nil, f)
	resp, err := raw.Cancel(context.Background(), &extractorv1.CancelRequest{RunId: "nope"})
	if err != nil || resp.GetFound() {
		t.Errorf("cancel of an unknown run: %v, %v", resp, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := extract(c, ctx, "R4")
	<-f.started
	stream, err := raw.Extract(context.Background(), &extractorv1.ExtractRequest{RunId: "R4"})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.AlreadyExists {
		t.Errorf("a second run with the same id: %v, want AlreadyExists", err)
	}
	cancel()
	if o := await(t, done); o.err != nil {
		t.Errorf("first run: %v", o.err)
	}
}
