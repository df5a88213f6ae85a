package host

import (
	"context"

	"github.com/govextract/jira-extractor/plugin/extractorv1"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

// ExtractSince runs a job that may build on a base run (protocol version
// 2), as Extract does: every event but the last goes to onEvent, and a
// cancelled ctx cancels the run while the call waits for its Result. A
// plugin that speaks version 1 only gives an error wrapping
// plugin.ErrNeedsProtocolV2.
func (h *Host) ExtractSince(ctx context.Context, req *extractorv2.ExtractSinceRequest, onEvent func(*extractorv1.ExtractResponse)) (*extractorv1.Result, error) {
	res, err := h.ext.ExtractSince(ctx, req, forward(onEvent))
	if err != nil {
		return nil, h.applyError(ctx, "ExtractSince", err)
	}
	return res, nil
}

// Tickets asks the plugin for the tickets of an apply run (protocol
// version 2).
func (h *Host) Tickets(ctx context.Context, req *extractorv2.TicketsRequest) (*extractorv2.TicketsResponse, error) {
	resp, err := h.ext.Tickets(ctx, req)
	if err != nil {
		return nil, h.applyError(ctx, "Tickets", err)
	}
	return resp, nil
}

// Diff asks the plugin for the change set of two runs (protocol version
// 2); a cancelled ctx stops it and the plugin removes what it wrote.
func (h *Host) Diff(ctx context.Context, req *extractorv2.DiffRequest) (*extractorv2.DiffResult, error) {
	resp, err := h.ext.Diff(ctx, req)
	if err != nil {
		return nil, h.applyError(ctx, "Diff", err)
	}
	return resp, nil
}

// Access asks the plugin an effective-access question (protocol version
// 2), passing the answer's chunks and notes to onEvent, and returns the
// AccessResult.
func (h *Host) Access(ctx context.Context, req *extractorv2.AccessRequest, onEvent func(*extractorv2.AccessResponse)) (*extractorv2.AccessResult, error) {
	res, err := h.ext.Access(ctx, req, forward(onEvent))
	if err != nil {
		return nil, h.applyError(ctx, "Access", err)
	}
	return res, nil
}
