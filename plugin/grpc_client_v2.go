package plugin

import (
	"context"

	"google.golang.org/grpc"

	"github.com/govextract/jira-extractor/plugin/extractorv1"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

// ExtractSince calls ExtractSince and passes every event but the Result to
// send; ErrNeedsProtocolV2 when the plugin speaks version 1 only.
// Cancellation works as in Extract (by the request's run id).
func (c *GRPCClient) ExtractSince(ctx context.Context, req *extractorv2.ExtractSinceRequest, send func(*extractorv1.ExtractResponse) error) (*extractorv1.Result, error) {
	if c.v2 == nil {
		return nil, needsV2("run --since")
	}
	return runStream(ctx, c, req.GetExtract().GetRunId(),
		func(ctx context.Context) (grpc.ServerStreamingClient[extractorv1.ExtractResponse], error) {
			return c.v2.ExtractSince(ctx, req)
		},
		(*extractorv1.ExtractResponse).GetResult, send)
}

// Tickets calls Tickets; ErrNeedsProtocolV2 when the plugin speaks
// version 1 only.
func (c *GRPCClient) Tickets(ctx context.Context, req *extractorv2.TicketsRequest) (*extractorv2.TicketsResponse, error) {
	if c.v2 == nil {
		return nil, needsV2("tickets")
	}
	return c.v2.Tickets(ctx, req)
}

// Diff calls Diff; ErrNeedsProtocolV2 when the plugin speaks version 1
// only. Ending ctx cancels the call, and the plugin removes what it wrote.
func (c *GRPCClient) Diff(ctx context.Context, req *extractorv2.DiffRequest) (*extractorv2.DiffResult, error) {
	if c.v2 == nil {
		return nil, needsV2("diff")
	}
	return c.v2.Diff(ctx, req)
}

// Access calls Access and passes every event but the AccessResult to send;
// ErrNeedsProtocolV2 when the plugin speaks version 1 only. An answer has
// no run id, so ending ctx closes its stream at once.
func (c *GRPCClient) Access(ctx context.Context, req *extractorv2.AccessRequest, send func(*extractorv2.AccessResponse) error) (*extractorv2.AccessResult, error) {
	if c.v2 == nil {
		return nil, needsV2("access")
	}
	return runStream(ctx, c, "",
		func(ctx context.Context) (grpc.ServerStreamingClient[extractorv2.AccessResponse], error) {
			return c.v2.Access(ctx, req)
		},
		(*extractorv2.AccessResponse).GetResult, send)
}
