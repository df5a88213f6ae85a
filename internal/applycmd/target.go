package applycmd

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/applyjira"
	"github.com/govextract/jira-extractor/internal/applyscim"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/scim"
)

// connection is the target a plan is applied to: the Jira site, or the
// job's SCIM directory when it has a scim section.
type connection struct {
	target apply.Target
	// self is the job's own account ("" for SCIM, which has none: the
	// self-lockout guard does not apply).
	self  string
	kind  string
	stats func() manifest.Requests
	// jira is the Jira client tickets are opened with: the target's own
	// (nil for SCIM, whose actions open no tickets).
	jira *jira.Client
}

// connect builds the job's target and proves the credentials work.
func connect(ctx context.Context, job *config.Job, resolved extractor.Job, log *slog.Logger, version string) (connection, error) {
	if resolved.SCIM != nil {
		so := *resolved.SCIM
		so.Logger, so.UserAgent = log, "jira-extractor/"+version
		c, err := scim.New(so)
		if err != nil {
			return connection{}, fmt.Errorf("apply: %w", err)
		}
		if _, err := c.Capabilities(ctx); err != nil {
			return connection{}, fmt.Errorf("apply: connect to the SCIM directory: %w", err)
		}
		// A scim job opens no tickets (Check refuses ticket actions, and
		// the directory never asks for a person), so no Jira site is read.
		return connection{target: applyscim.New(c), kind: fmt.Sprintf("scim v%d", c.Version()), stats: c.Stats}, nil
	}
	client, id, err := connectJira(ctx, resolved, log, version)
	if err != nil {
		return connection{}, err
	}
	return connection{target: applyjira.New(client), self: id.Myself.AccountID, kind: "jira " + string(id.Kind), stats: client.Stats, jira: client}, nil
}

// connectJira builds the job's Jira client and proves the credentials work.
func connectJira(ctx context.Context, resolved extractor.Job, log *slog.Logger, version string) (*jira.Client, jira.Identity, error) {
	jopts := resolved.Jira
	jopts.Logger, jopts.Version = log, version
	client, err := jira.New(jopts)
	if err != nil {
		return nil, jira.Identity{}, fmt.Errorf("apply: %w", err)
	}
	id, err := client.Detect(ctx)
	if err != nil {
		return nil, jira.Identity{}, fmt.Errorf("apply: connect to the site: %w", err)
	}
	return client, id, nil
}
