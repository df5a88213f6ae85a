package plugin

import (
	"path/filepath"
	"strings"
)

// RunLocation is the run folder of runID under a destination as the user
// wrote it: DEST/RUN_ID for a path or file:// URL, s3://bucket/prefix/RUN_ID
// for S3.
func RunLocation(destination, runID string) string {
	switch {
	case strings.HasPrefix(destination, "s3://"):
		return strings.TrimRight(destination, "/") + "/" + runID
	case strings.HasPrefix(destination, "file://"):
		return filepath.Join(filepath.FromSlash(strings.TrimPrefix(destination, "file://")), runID)
	default:
		return filepath.Join(destination, runID)
	}
}
