// Package diffcmd writes the change set between two complete runs of one
// site into a folder of its own (DEST/RUN_ID/changes/ and manifest.json),
// streaming both runs. The CLI (jira-extractor diff) and the plugin
// protocol (Diff) both call it.
package diffcmd

import (
	"context"
	"fmt"
	"time"

	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/changes"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/output/store"
	"github.com/govextract/jira-extractor/internal/progress"
	"github.com/govextract/jira-extractor/internal/usageerr"
)

// Request is one diff, as its command line gives it.
type Request struct {
	// OldRun and NewRun are DEST/RUN_ID each.
	OldRun, NewRun string
	// Out is where the change set goes (DEST).
	Out string
	// Format is "parquet" or "csv".
	Format string
	// S3 reaches S3 runs and destinations; nil uses the AWS SDK's chain.
	S3 *store.S3Options
	// RunID names the change set's folder; empty makes one.
	RunID string
}

// Manifest is the manifest.json of a change set.
type Manifest struct {
	SchemaVersion int                 `json:"schema_version"`
	Kind          string              `json:"kind"` // "changes"
	RunID         string              `json:"run_id"`
	Extractor     manifest.Extractor  `json:"extractor"`
	Site          string              `json:"site"`
	OldRun        string              `json:"old_run"`
	NewRun        string              `json:"new_run"`
	StartedAt     time.Time           `json:"started_at"`
	FinishedAt    time.Time           `json:"finished_at"`
	Format        string              `json:"format"`
	Compression   string              `json:"compression"`
	Changes       *manifest.ChangeSet `json:"changes"`
}

// Validate checks the request without reading anything; its messages name
// the command-line flags.
func (r Request) Validate() error {
	_, err := r.locations()
	return err
}

// locations checks r and returns its parsed --out, old run and new run.
func (r Request) locations() ([3]location.Location, error) {
	var locs [3]location.Location
	if r.Format != "parquet" && r.Format != "csv" {
		return locs, usageerr.New(fmt.Sprintf("--format %q: use parquet or csv", r.Format))
	}
	var err error
	if locs[0], err = location.Parse(r.Out); err != nil {
		return locs, usageerr.New("--out " + err.Error())
	}
	for i, p := range []string{r.OldRun, r.NewRun} {
		if locs[i+1], err = location.Parse(p); err != nil {
			return locs, usageerr.New("run " + err.Error())
		}
	}
	return locs, nil
}

// Diff validates r, reads both runs and writes their change set, then its
// manifest, and returns the change set's folder. On an error nothing is left behind (what was written is
// removed), and cancelling ctx stops it so.
func Diff(ctx context.Context, r Request) (string, *Manifest, error) {
	locs, err := r.locations()
	if err != nil {
		return "", nil, err
	}
	dest := locs[0]
	var runs [2]*output.RunReader
	for i, loc := range locs[1:] {
		if runs[i], err = output.OpenRun(ctx, loc, r.S3); err != nil {
			return "", nil, err
		}
	}
	old, cur := runs[0], runs[1]
	if old.Manifest().Site != cur.Manifest().Site {
		return "", nil, usageerr.New(fmt.Sprintf("the runs are of different sites (%q and %q): compare two runs of one site", old.Manifest().Site, cur.Manifest().Site))
	}
	if r.RunID == "" {
		r.RunID = extractor.NewRunID()
	}
	m := &Manifest{SchemaVersion: manifest.SchemaVersion, Kind: "changes", RunID: r.RunID,
		Extractor: manifest.Extractor{Name: extractor.Name, Version: extractor.Version}, Site: cur.Manifest().Site,
		OldRun: old.Location().String(), NewRun: cur.Location().String(), StartedAt: time.Now().UTC()}
	tw, err := output.OpenTables(ctx, output.Options{Destination: dest, Format: r.Format, RunID: m.RunID, OwnerOnly: true, S3: r.S3})
	if err != nil {
		return "", nil, err
	}
	cw := tw.Changes()
	err = changes.Diff(ctx, old, cur, cw, changes.Options{})
	if err == nil {
		m.Changes, err = cw.Close(ctx, m.OldRun)
	}
	if err == nil {
		m.Format, m.Compression, m.FinishedAt = tw.Format(), tw.Compression(), time.Now().UTC()
		err = tw.Commit(ctx, m)
	}
	if err != nil {
		_ = tw.Abort(context.WithoutCancel(ctx))
		return "", nil, err
	}
	return tw.Location(), m, nil
}

// PeakRSS is the process's peak RSS in bytes, 0 where the platform does
// not report it.
func PeakRSS() int64 {
	if peak, ok := progress.PeakRSS(); ok {
		return peak
	}
	return 0
}
