// Package extractor runs one Jira extraction job end to end: it detects the
// token kind, fetches every entity and relation kind concurrently under the
// rate limiter, streams the records into the output sink, and writes the
// manifest last.
package extractor

import (
	"log/slog"

	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/progress"
)

// Name is the extractor's name in manifests and plugin descriptions.
const Name = "jira-extractor"

// Version is set at build time with -ldflags "-X .../extractor.Version=...".
var Version = "dev"

// EventType says what an Event carries.
type EventType int

// Event types.
const (
	EventProgress EventType = iota + 1 // Progress is set
	EventWarning                       // Warning is set
	EventTable                         // Table is set: a table was finished
	EventAborted                       // Cleanup is set: a failed or cancelled run removed its output
)

// Cleanup is what aborting a failed or cancelled run did to its output.
type Cleanup struct {
	// Location is the run folder.
	Location string
	// Removed is how many part files (local files or S3 objects) were
	// written and then removed.
	Removed int
	// Err is why the removal failed; nil when it succeeded.
	Err error
}

// Event is something a caller of Run may show: progress, a warning, a
// finished table. Events are delivered from one goroutine, in order.
type Event struct {
	Type     EventType
	Progress progress.Snapshot
	Warning  manifest.Warning
	Table    manifest.Table
	Cleanup  Cleanup
}

// RunOptions are the caller's side of a run.
type RunOptions struct {
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// RunID names the run folder; empty makes a new ULID.
	RunID string
	// OnEvent, if set, receives progress (about 4 times a second), warnings,
	// finished tables, and what aborting a failed or cancelled run removed.
	OnEvent func(Event)
}

// Exit codes of a run (plugin.Exit* carries the same values over the wire).
const (
	ExitComplete = 0
	ExitFailed   = 1
	ExitUsage    = 2
	ExitPartial  = 3
)

// ExitCode maps a run's result to the process exit code.
func ExitCode(m *manifest.Manifest, err error) int {
	switch {
	case err != nil && config.IsInvalid(err):
		return ExitUsage
	case err != nil:
		return ExitFailed
	case m != nil && m.Status == manifest.StatusPartial:
		return ExitPartial
	case m != nil && m.Status == manifest.StatusComplete:
		return ExitComplete
	}
	return ExitFailed
}
