package upload

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/output"
)

// StateFileName is the state file's name inside a local run folder.
const StateFileName = ".upload-state.json"

// OpenRun opens the finished run at location (a path, file:// URL or
// s3://bucket/prefix/RUN_ID) for Upload. The run's Verify ignores hidden
// files at the top of the run folder, so the state file can live there.
func OpenRun(ctx context.Context, location string, s3opts *config.S3Output) (Run, error) {
	rr, err := output.OpenRun(ctx, location, s3opts)
	if err != nil {
		return nil, err
	}
	return rr, nil
}

// DefaultStatePath is where the state file of the run at location lives
// unless --state says otherwise: inside a local run folder, or
// ./upload-state-RUNID.json for a run on S3.
func DefaultStatePath(location, runID string) string {
	switch {
	case strings.HasPrefix(location, "s3://"):
		return "upload-state-" + runID + ".json"
	case strings.HasPrefix(location, "file://"):
		if u, err := url.Parse(location); err == nil {
			return filepath.Join(filepath.FromSlash(u.Path), StateFileName)
		}
	}
	return filepath.Join(location, StateFileName)
}
