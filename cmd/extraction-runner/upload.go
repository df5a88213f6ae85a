package main

import (
	"context"
	"log/slog"

	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/upload"
)

// uploadAfterRun uploads a complete run at location to the platform named in
// the job file's upload section. A variable so tests can observe the call.
var uploadAfterRun = func(ctx context.Context, job *config.Job, location string, logger *slog.Logger) error {
	return upload.FromJob(ctx, job, location, logger)
}
