package upload

import (
	"context"
	"path/filepath"

	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/output/store"
)

// StateFileName is the state file's name inside a local run folder.
const StateFileName = ".upload-state.json"

// OpenRun opens the finished run at loc for Upload. The run's Verify
// ignores hidden files at the top of the run folder, so the state file can
// live there.
func OpenRun(ctx context.Context, loc location.Location, s3opts *store.S3Options) (Source, error) {
	rr, err := output.OpenRun(ctx, loc, s3opts)
	if err != nil {
		return nil, err
	}
	return rr, nil
}

// DefaultStatePath is where the state file of the run at loc lives unless
// --state says otherwise: inside a local run folder, or
// ./upload-state-RUNID.json for a run on S3.
func DefaultStatePath(loc location.Location, runID string) string {
	if loc.IsS3() {
		return "upload-state-" + runID + ".json"
	}
	return filepath.Join(loc.Path(), StateFileName)
}
