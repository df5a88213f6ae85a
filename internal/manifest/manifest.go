// Package manifest defines manifest.json, the last file of a run: what tables
// and files it holds with their rows, bytes and sha256, how many requests it
// took, and what could not be read. A run without a manifest is not complete.
package manifest

import "time"

// SchemaVersion is the version of the manifest format written by this code.
const SchemaVersion = 1

// FileName is the manifest's name inside a run folder.
const FileName = "manifest.json"

// Run statuses.
const (
	StatusComplete  = "complete"
	StatusPartial   = "partial"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

// Table kinds.
const (
	KindEntity   = "entity"
	KindRelation = "relation"
)

// Manifest is the content of manifest.json.
type Manifest struct {
	SchemaVersion int       `json:"schema_version"`
	RunID         string    `json:"run_id"`
	Extractor     Extractor `json:"extractor"`
	Site          string    `json:"site"`
	StartedAt     time.Time `json:"started_at"`
	FinishedAt    time.Time `json:"finished_at"`
	Status        string    `json:"status"`
	Format        string    `json:"format"`
	Compression   string    `json:"compression"`
	Tables        []Table   `json:"tables"`
	Requests      Requests  `json:"requests"`
	Warnings      []Warning `json:"warnings"`
	// Notes say what a complete run left out by the job's choice (e.g.
	// effective-access paths a filter made unresolvable); they do not make
	// the run partial.
	Notes []Warning `json:"notes,omitempty"`

	// Mode is how the run read the site: ModeFull or ModeIncremental
	// (empty in runs made before incremental runs existed).
	Mode string `json:"mode,omitempty"`
	// BaseRun is the run an incremental run (or a --since run that fell
	// back to a full read) started from: its location.
	BaseRun string `json:"base_run,omitempty"`
	// Reason says why the run read what it read (why a --since run fell
	// back to a full read).
	Reason string `json:"reason,omitempty"`
	// Scope fingerprints the job's filters: an incremental run only builds
	// on a base run of the same scope.
	Scope string `json:"scope,omitempty"`
	// RunsSinceFull counts the incremental runs since the last full read
	// (0 for a full run).
	RunsSinceFull int `json:"runs_since_full,omitempty"`
	// Changes is the change set against BaseRun (incremental runs).
	Changes *ChangeSet `json:"changes,omitempty"`
}

// Run modes.
const (
	ModeFull        = "full"
	ModeIncremental = "incremental"
)

// ChangeSet describes the changes/ folder of a run: what changed since its
// base run.
type ChangeSet struct {
	// Base is the run the changes are counted from.
	Base string `json:"base"`
	// Rows is the number of changes; Counts breaks it down by
	// "change record kind" ("added entity user": 3).
	Rows   int64            `json:"rows"`
	Counts map[string]int64 `json:"counts"`
	Files  []File           `json:"files"`
}

// Extractor names the program that wrote the run.
type Extractor struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Table is one entity kind or relation kind.
type Table struct {
	// Name is the kind: "user", "member_of", ...
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Source says where the rows came from ("jira" or "scim") in a run
	// that reads more than one source; empty otherwise.
	Source string `json:"source,omitempty"`
	Rows   int64  `json:"rows"`
	Files  []File `json:"files"`
}

// File is one part file, its path relative to the run folder.
type File struct {
	Path   string `json:"path"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Requests counts the HTTP requests of a run.
type Requests struct {
	Total      int64            `json:"total"`
	ByEndpoint map[string]int64 `json:"by_endpoint"`
	Retries    int64            `json:"retries"`
	Throttled  int64            `json:"throttled"`
}

// Warning is a scope that could not be read; the run is then partial.
type Warning struct {
	Scope   string `json:"scope"`
	Message string `json:"message"`
}

// Table returns the table with the given name, or nil.
func (m *Manifest) Table(name string) *Table {
	for i := range m.Tables {
		if m.Tables[i].Name == name {
			return &m.Tables[i]
		}
	}
	return nil
}
