package plugin

import (
	"context"

	"github.com/govextract/jira-extractor/plugin/extractorv1"
)

// Extractor is what an extractor plugin implements and what a host calls:
// the plugin side serves an implementation with Serve, and the host side
// gets one (a GRPCClient) from the plugin process.
type Extractor interface {
	// Describe names the extractor, its kinds and its job-file schema.
	Describe(ctx context.Context) (*extractorv1.DescribeResponse, error)
	// Validate checks a job without contacting the source or the
	// destination; the response lists its problems.
	Validate(ctx context.Context, job *extractorv1.Job) (*extractorv1.ValidateResponse, error)
	// Extract runs a job, passing each event to send in order, and returns
	// the run's Result. Cancelling ctx cancels the run: the extractor
	// aborts it, removes what it wrote, and still returns a Result (status
	// "cancelled") once the cleanup is done. An error means the run could
	// not report a Result at all.
	Extract(ctx context.Context, req *extractorv1.ExtractRequest, send func(*extractorv1.ExtractResponse) error) (*extractorv1.Result, error)
}

// Exit codes of a run, as carried in Result.exit_code.
const (
	ExitComplete = 0 // the run is complete
	ExitFailed   = 1 // the run failed or was cancelled
	ExitUsage    = 2 // bad usage or an invalid job file
	ExitPartial  = 3 // finished, but some scope could not be read
)
