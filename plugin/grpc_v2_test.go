package plugin

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/govextract/jira-extractor/plugin/extractorv1"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

// fakeApplier is a fakeExtractor with the write side: it emits a progress
// event and one action result per status, then (when block is set) waits
// for its context to end before it reports a cancelled apply.
type fakeApplier struct {
	*fakeExtractor
	block bool
	got   chan *extractorv2.ApplyRequest
}

func (f *fakeApplier) ValidatePlan(_ context.Context, req *extractorv2.ValidatePlanRequest) (*extractorv2.ValidatePlanResponse, error) {
	return &extractorv2.ValidatePlanResponse{
		Actions:      int64(len(req.GetPlan())),
		PlanProblems: []*extractorv2.PlanProblem{{ActionId: "a1", Field: "to_id", Message: "format " + req.GetPlanFormat()}},
	}, nil
}

func (f *fakeApplier) Apply(ctx context.Context, req *extractorv2.ApplyRequest, send func(*extractorv2.ApplyResponse) error) (*extractorv2.ApplyResult, error) {
	f.got <- req
	for i, st := range ActionStatuses {
		ev := &extractorv2.ApplyResponse{Event: &extractorv2.ApplyResponse_Action{Action: &extractorv2.ActionResult{Id: st, Status: st, Index: int64(i)}}}
		if err := send(ev); err != nil {
			return nil, err
		}
		if err := send(&extractorv2.ApplyResponse{Event: &extractorv2.ApplyResponse_Progress{Progress: &extractorv2.ApplyProgress{Done: int64(i + 1), Total: int64(len(ActionStatuses))}}}); err != nil {
			return nil, err
		}
	}
	if !f.block {
		return &extractorv2.ApplyResult{RunId: req.GetRunId(), Status: "partial", ExitCode: ExitPartial, Total: 5}, nil
	}
	close(f.started)
	<-ctx.Done()
	f.cause <- context.Cause(ctx)
	return &extractorv2.ApplyResult{RunId: req.GetRunId(), Status: "cancelled", ExitCode: ExitPartial}, nil
}

// serveV2 serves impl as the version 2 service on 127.0.0.1 and returns
// the host side.
func serveV2(t *testing.T, impl Extractor) *GRPCClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(ServerOptions(hclog.NewNullLogger())...)
	extractorv2.RegisterExtractorServiceServer(gs, NewGRPCServer(nil, impl, "").V2())
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return NewGRPCClientV2(extractorv2.NewExtractorServiceClient(conn))
}

func newFakeApplier() *fakeApplier {
	return &fakeApplier{fakeExtractor: newFake(), got: make(chan *extractorv2.ApplyRequest, 1)}
}

// TestApplyStreamsEventsInOrder: every event the applier sends reaches the
// host in order, the ApplyResult ends the call, and the request's fields
// arrive as sent (a plan larger than gRPC's default 4 MiB message too).
func TestApplyStreamsEventsInOrder(t *testing.T) {
	f := newFakeApplier()
	c := serveV2(t, f)
	if c.ProtocolVersion() != 2 {
		t.Fatalf("ProtocolVersion = %d", c.ProtocolVersion())
	}
	bigPlan := []byte(strings.Repeat("x", 6<<20))
	var got []string
	res, err := c.Apply(context.Background(), &extractorv2.ApplyRequest{RunId: "A1", Plan: bigPlan, PlanFormat: PlanJSON, DryRun: true, MaxChanges: -1, AllowSelf: true},
		func(ev *extractorv2.ApplyResponse) error {
			if ev.GetTime() == nil {
				t.Error("event without a time")
			}
			switch e := ev.GetEvent().(type) {
			case *extractorv2.ApplyResponse_Action:
				got = append(got, "action:"+e.Action.GetStatus())
			case *extractorv2.ApplyResponse_Progress:
				got = append(got, "progress")
			default:
				t.Errorf("unexpected event %T", e)
			}
			return nil
		})
	if err != nil || res.GetRunId() != "A1" || res.GetExitCode() != ExitPartial {
		t.Fatalf("Apply = %v, %v", res, err)
	}
	want := "action:applied progress action:unchanged progress action:ticketed progress action:failed progress action:skipped progress"
	if strings.Join(got, " ") != want {
		t.Errorf("events:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	req := <-f.got
	if len(req.GetPlan()) != len(bigPlan) || !req.GetDryRun() || req.GetMaxChanges() != -1 || !req.GetAllowSelf() || req.GetPlanFormat() != PlanJSON {
		t.Errorf("request arrived as dry_run=%v max_changes=%d allow_self=%v format=%q plan=%d bytes", req.GetDryRun(), req.GetMaxChanges(), req.GetAllowSelf(), req.GetPlanFormat(), len(req.GetPlan()))
	}
	vp, err := c.ValidatePlan(context.Background(), &extractorv2.ValidatePlanRequest{Plan: []byte("abc"), PlanFormat: PlanCSV})
	if err != nil || vp.GetActions() != 3 || len(vp.GetPlanProblems()) != 1 || vp.GetPlanProblems()[0].GetMessage() != "format csv" {
		t.Errorf("ValidatePlan = %v, %v", vp, err)
	}
}

// TestApplyCancelKeepsTheStreamForTheResult: cancelling the host's context
// cancels the apply through Cancel (the run id), and the apply's result
// still reaches the host.
func TestApplyCancelKeepsTheStreamForTheResult(t *testing.T) {
	f := newFakeApplier()
	f.block = true
	c := serveV2(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	type out struct {
		res *extractorv2.ApplyResult
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := c.Apply(ctx, &extractorv2.ApplyRequest{RunId: "A2"}, nil)
		done <- out{res, err}
	}()
	<-f.started
	cancel()
	o := <-done
	if o.err != nil || o.res.GetStatus() != "cancelled" {
		t.Fatalf("Apply = %v, %v; want the cancelled apply's result", o.res, o.err)
	}
	if cause := <-f.cause; !errors.Is(cause, ErrCancelledByHost) {
		t.Errorf("apply cancelled with %v, want ErrCancelledByHost", cause)
	}
}

// TestV2ServesVersion1Calls: the version 2 service answers version 1's
// calls (Describe says version 2), and an extractor without the write side
// answers Apply Unimplemented.
func TestV2ServesVersion1Calls(t *testing.T) {
	c := serveV2(t, newFake())
	d, err := c.Describe(context.Background())
	if err != nil || d.GetName() != "fake" || d.GetProtocolVersion() != 2 {
		t.Errorf("Describe = %v, %v", d, err)
	}
	if _, err := c.Validate(context.Background(), &extractorv1.Job{}); err != nil {
		t.Errorf("Validate: %v", err)
	}
	_, err = c.Apply(context.Background(), &extractorv2.ApplyRequest{}, nil)
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("Apply on an extractor without Applier: %v, want Unimplemented", err)
	}
}

// TestV1ClientHasNoApply: a client of version 1 says apply needs version 2
// without calling the plugin, and its Describe says version 1.
func TestV1ClientHasNoApply(t *testing.T) {
	c, _ := serve(t, nil, newFakeApplier())
	if c.ProtocolVersion() != 1 {
		t.Errorf("ProtocolVersion = %d", c.ProtocolVersion())
	}
	if _, err := c.Apply(context.Background(), &extractorv2.ApplyRequest{}, nil); !errors.Is(err, ErrNeedsProtocolV2) {
		t.Errorf("Apply = %v, want ErrNeedsProtocolV2", err)
	}
	if _, err := c.ValidatePlan(context.Background(), &extractorv2.ValidatePlanRequest{}); !errors.Is(err, ErrNeedsProtocolV2) {
		t.Errorf("ValidatePlan = %v, want ErrNeedsProtocolV2", err)
	}
	if d, err := c.Describe(context.Background()); err != nil || d.GetProtocolVersion() != 1 {
		t.Errorf("Describe = %v, %v; want protocol version 1", d, err)
	}
}

// TestVersionedPluginsServesBoth: the plugin serves versions 1 and 2, a
// host limited to version 1 gets only that set.
func TestVersionedPluginsServesBoth(t *testing.T) {
	all := VersionedPlugins(nil)
	if _, ok := all[1]; !ok {
		t.Error("version 1 not served")
	}
	if _, ok := all[2][PluginName].(*GRPCPluginV2); !ok {
		t.Errorf("version 2 set = %v", all[2])
	}
	if only := VersionedPlugins(nil, 1); len(only) != 1 || only[1] == nil {
		t.Errorf("VersionedPlugins(nil, 1) = %v", only)
	}
}
