package plugin

import (
	"path/filepath"

	"github.com/govextract/jira-extractor/internal/location"
)

// RunLocation is the run folder of runID under a destination, as the
// plugin reports it: DEST/RUN_ID for a path or file:// URL (shown as the
// local path), s3://bucket/prefix/RUN_ID for S3. A host uses it only until
// the run's Result, which carries the location the plugin wrote to. A
// destination or run id that does not parse is joined as a path.
func RunLocation(destination, runID string) string {
	dest, err := location.Parse(destination)
	if err != nil || location.ValidName(runID) != nil {
		return filepath.Join(destination, runID)
	}
	return dest.Join(runID).String()
}
