package plugin

import (
	"context"

	"github.com/govextract/jira-extractor/plugin/extractorv1"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

// SinceExtractor runs extractions that build on a base run (protocol
// version 2's ExtractSince): an Extractor that also implements it serves
// the call, and the host side of version 2 (a GRPCClient) is one.
type SinceExtractor interface {
	// ExtractSince runs a job as Extract does; with req.since set it reads
	// only what may have changed since the base run and also writes the
	// change set. Cancelling ctx cancels the run as for Extract.
	ExtractSince(ctx context.Context, req *extractorv2.ExtractSinceRequest, send func(*extractorv1.ExtractResponse) error) (*extractorv1.Result, error)
}

// Reporter answers questions about finished runs (protocol version 2's
// Tickets, Diff and Access): an Extractor that also implements it serves
// them, and the host side of version 2 (a GRPCClient) is one.
type Reporter interface {
	// Tickets reads the status of every ticket an apply run opened.
	Tickets(ctx context.Context, req *extractorv2.TicketsRequest) (*extractorv2.TicketsResponse, error)
	// Diff writes the change set between two runs of one site. Cancelling
	// ctx stops it, and what it wrote is removed.
	Diff(ctx context.Context, req *extractorv2.DiffRequest) (*extractorv2.DiffResult, error)
	// Access answers an effective-access question, passing the rendered
	// answer's chunks and the run's notes to send in order, and returns
	// the AccessResult.
	Access(ctx context.Context, req *extractorv2.AccessRequest, send func(*extractorv2.AccessResponse) error) (*extractorv2.AccessResult, error)
}

// Access questions, as in AccessRequest.question.
const (
	AccessWho  = "who"
	AccessWhat = "what"
)
