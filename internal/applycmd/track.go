package applycmd

import (
	"context"
	"fmt"

	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/tickets"
)

// Track reads the actions table of the apply run at loc and the status of
// each of its tickets on the job's site, in plan order.
func Track(ctx context.Context, job *config.Job, loc location.Location) ([]tickets.Status, error) {
	resolved := job.Resolve()
	outs, err := ReadActions(ctx, loc, resolved.S3)
	if err != nil {
		return nil, err
	}
	client, err := jira.New(resolved.Job.Jira)
	if err != nil {
		return nil, err
	}
	if _, err := client.Detect(ctx); err != nil {
		return nil, fmt.Errorf("connect to the site: %w", err)
	}
	return tickets.Track(ctx, client, outs)
}

// AllDone reports whether every ticket is done (true for none).
func AllDone(sts []tickets.Status) bool {
	for _, s := range sts {
		if !s.Done {
			return false
		}
	}
	return true
}
