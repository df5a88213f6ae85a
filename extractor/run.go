// Package extractor runs one Jira extraction job end to end: it detects the
// token kind, fetches every entity and relation kind concurrently under the
// rate limiter, streams the records into the output sink, and writes the
// manifest last.
package extractor

import (
	"errors"
	"log/slog"

	"github.com/govextract/jira-extractor/internal/access"
	"github.com/govextract/jira-extractor/internal/incremental"
	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/pipeline"
	"github.com/govextract/jira-extractor/internal/progress"
	"github.com/govextract/jira-extractor/internal/scim"
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

// Job is one extraction job, resolved from the job file by the command
// layer: the client, the output, the filter and effective access.
type Job struct {
	// Jira configures the client.
	Jira jira.Options
	// Output says where and how the run is written; its RunID, Site and
	// Logger are set by Run.
	Output output.Options
	// Filter says which rows the run keeps.
	Filter pipeline.Filter
	// Access says whether and how effective access is resolved.
	Access access.Options
	// SCIM, when set, reads a SCIM directory too (or alone, when Jira's
	// SiteName is empty); see scim.go.
	SCIM *scim.Options
	// SCIMExcludeInactive drops inactive SCIM users and their memberships.
	SCIMExcludeInactive bool
	// Incremental, if set, makes a --since run: a complete snapshot that
	// reads only what may have changed since a base run, with a change set.
	Incremental *incremental.Config
}

// Result is what a run reports: its manifest and where it was written.
type Result struct {
	// Manifest is the run's manifest; nil when the run did not start.
	Manifest *manifest.Manifest
	// Location is the run folder DEST/RUN_ID; zero when the run did not
	// start.
	Location location.Location
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

// usageError is an error that is the caller's to fix (a bad job file):
// the config package's InvalidError is one.
type usageError interface{ IsUsage() bool }

// IsUsage reports whether err is (or wraps) a usage or configuration
// error.
func IsUsage(err error) bool {
	var u usageError
	return errors.As(err, &u) && u.IsUsage()
}

// ExitCode maps a run's result to the process exit code.
func ExitCode(m *manifest.Manifest, err error) int {
	switch {
	case err != nil && IsUsage(err):
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
