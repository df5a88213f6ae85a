package plugin

import (
	"context"

	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

// Applier is the write side of an extractor, protocol version 2: an
// Extractor that also implements it serves ValidatePlan and Apply, and the
// host side of version 2 (a GRPCClient) is one.
type Applier interface {
	// ValidatePlan checks a job and a plan without contacting the site or
	// the destination; the response lists every problem.
	ValidatePlan(ctx context.Context, req *extractorv2.ValidatePlanRequest) (*extractorv2.ValidatePlanResponse, error)
	// Apply applies a plan, passing each event (progress, one ActionResult
	// per finished action, warnings, logs) to send in order, and returns
	// the ApplyResult. Cancelling ctx stops the apply: no action starts
	// after it, the actions under way finish, and the result (status
	// "cancelled") still comes. An error means no result could be made.
	Apply(ctx context.Context, req *extractorv2.ApplyRequest, send func(*extractorv2.ApplyResponse) error) (*extractorv2.ApplyResult, error)
}

// ActionStatuses are the outcomes of an action, in report order.
var ActionStatuses = []string{"applied", "unchanged", "ticketed", "failed", "skipped"}

// Plan formats, as in ApplyRequest.plan_format.
const (
	PlanJSON = "json"
	PlanCSV  = "csv"
)

// MaxPlanBytes is the largest plan a host sends and a plugin accepts (the
// gRPC message limit of the plugin's server is raised to fit it).
const MaxPlanBytes = 32 << 20
