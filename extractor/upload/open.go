package upload

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/govextract/jira-extractor/extractor/config"
	"github.com/govextract/jira-extractor/extractor/output"
)

// StateFileName is the state file's name inside a local run folder.
const StateFileName = ".upload-state.json"

// OpenRun opens the finished run at location (a path, file:// URL or
// s3://bucket/prefix/RUN_ID) for Upload. Its Verify ignores the upload's own
// state file in the run folder, which the manifest cannot list.
func OpenRun(ctx context.Context, location string, s3opts *config.S3Output) (Run, error) {
	rr, err := output.OpenRun(ctx, location, s3opts)
	if err != nil {
		return nil, err
	}
	return stateTolerantRun{rr}, nil
}

type stateTolerantRun struct{ *output.RunReader }

// Verify is output.RunReader.Verify less the complaints about the upload
// state file (and its temporary files) at the run folder's top level.
func (r stateTolerantRun) Verify(ctx context.Context) error {
	err := r.RunReader.Verify(ctx)
	var ve *output.VerifyError
	if !errors.As(err, &ve) {
		return err
	}
	var kept []string
	for _, p := range ve.Problems {
		name, rest, _ := strings.Cut(p, ": ")
		if isStateFile(name) && strings.Contains(rest, "not in the manifest") {
			continue
		}
		kept = append(kept, p)
	}
	if len(kept) == 0 {
		return nil
	}
	return &output.VerifyError{Location: ve.Location, Problems: kept}
}

func isStateFile(name string) bool {
	return name == StateFileName || (strings.HasPrefix(name, ".upload-state-") && strings.HasSuffix(name, ".tmp") && !strings.Contains(name, "/"))
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
