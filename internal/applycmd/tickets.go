package applycmd

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"

	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/plan"
	"github.com/govextract/jira-extractor/internal/tickets"
)

// PlanID identifies a plan by its content: 24 hex digits of the SHA-256 of
// its actions. The same plan has the same id in every apply (the manifest's
// plan_id, and every ticket's description).
func PlanID(p *plan.Plan) string {
	b, _ := json.Marshal(p.Actions)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:12])
}

// checkTickets names every "ticket" action of a job without a tickets
// section.
func checkTickets(job *config.Job, p *plan.Plan) []plan.Problem {
	if job.Tickets != nil {
		return nil
	}
	var ps []plan.Problem
	for _, a := range p.Actions {
		if a.Mode == plan.ModeTicket {
			ps = append(ps, plan.Problem{ID: a.ID, Where: a.Where(), Field: "mode",
				Message: `"ticket" opens a Jira issue, but the job file has no tickets section: add "tickets": {"projectKey": "KEY"} to the job file, or leave mode empty to call the API`})
		}
	}
	return ps
}

// newTicketer checks the job's tickets section against the site and
// returns the Ticketer of this apply; nil (and no request) when the job
// has no tickets section or is a scim job. c is the job's Jira client
// (connect gives every job without scim one). A *tickets.ConfigError
// names a project or issue type the site does not have.
func newTicketer(ctx context.Context, job *config.Job, c *jira.Client, p *plan.Plan, runID string, log *slog.Logger) (apply.Ticketer, error) {
	tc := job.Tickets
	switch {
	case tc == nil:
		return nil, nil
	case job.SCIM != nil:
		log.Warn("the tickets section is not used by a scim job: its actions act on the SCIM directory and none opens a ticket")
		return nil, nil
	}
	issueType, err := tickets.Check(ctx, c, tc.ProjectKey, tc.IssueType)
	if err != nil {
		return nil, err
	}
	return tickets.New(c, tickets.Options{ProjectKey: tc.ProjectKey, IssueType: issueType, Labels: tc.Labels,
		PlanID: PlanID(p), RunID: runID, Logger: log}), nil
}
