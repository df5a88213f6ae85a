package cli

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/changes"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/progress"
)

type diffFlags struct {
	*cmdFlags
	out, format, config string
	allowInsecure       bool
}

func newDiffFlags() *diffFlags {
	f := &diffFlags{cmdFlags: newCmdFlags("diff", "diff OLD_RUN NEW_RUN [--out DEST] [--format parquet|csv] [--config JOB.json]", `
Writes the change set between two complete runs of one site: every entity
and relation added, removed or updated from OLD_RUN to NEW_RUN, effective
access included (who gained access and who lost it), as

  DEST/RUN_ID/changes/part-00000.parquet
  DEST/RUN_ID/manifest.json   (written last)

with the columns change (added, removed, updated), record (entity or
relation), kind, source_id, from_type, from_id, to_type, to_id, before and
after (the row's attributes as JSON). It is the same change set an
incremental run (run --since) writes into its own changes/ folder. Both runs
are streamed: memory does not grow with the size of the site (stderr
gives the change counts, the time taken and the peak RSS). The runs are
paths, file:// URLs or s3://bucket/prefix/RUN_ID; for S3, --config gives
the output.s3 options of a job file. Stdout gets the change set's folder.`,
		"jira-extractor diff ./out/01J9Z3K4X8N7QH2R5V6W7Y8Z9A ./out/01J9Z5M2B7C4D1E8F3G6H9J0K2 --out ./changes --format csv")}
	f.exits = `Exit codes:
  0  the change set is written
  1  a run cannot be read (incomplete, missing) or the change set cannot be written
  2  bad usage, or runs of two different sites
`
	f.fs.StringVar(&f.out, "out", "./out", "where to write the change set, `DEST`: a path, file:// URL or s3://bucket/prefix")
	f.fs.StringVar(&f.format, "format", "parquet", "file `FORMAT`: parquet or csv")
	f.fs.StringVar(&f.config, "config", "", "optional job file whose output.s3 options reach S3 runs and destinations: `JOB.json`")
	f.fs.BoolVar(&f.allowInsecure, "allow-insecure", false, "accept appConfig.insecureSkipVerify and scim.insecureSkipVerify in the --config job file")
	return f
}

// DiffManifest is the manifest.json of a change set written by diff.
type DiffManifest struct {
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

func cmdDiff(ctx context.Context, args []string, env Env) int {
	f := newDiffFlags()
	pos, code, done := f.parse(args, env)
	if done {
		return code
	}
	if len(pos) != 2 {
		return usageErr(env, "diff", "give exactly two runs: OLD_RUN NEW_RUN (each DEST/RUN_ID)")
	}
	if f.format != "parquet" && f.format != "csv" {
		return usageErr(env, "diff", fmt.Sprintf("--format %q: use parquet or csv", f.format))
	}
	dest, err := location.Parse(f.out)
	if err != nil {
		return usageErr(env, "diff", "--out "+err.Error())
	}
	s3opts, code, done := readerS3Options(ctx, env, "diff", jobFlags{config: f.config, allowInsecure: f.allowInsecure})
	if done {
		return code
	}
	var runs [2]*output.RunReader
	for i, p := range pos {
		loc, err := location.Parse(p)
		if err != nil {
			return usageErr(env, "diff", "run "+err.Error())
		}
		if runs[i], err = output.OpenRun(ctx, loc, s3opts); err != nil {
			fmt.Fprintf(env.Err, "%s diff: %v\n", Prog, err)
			return ExitFailed
		}
	}
	old, cur := runs[0], runs[1]
	if old.Manifest().Site != cur.Manifest().Site {
		return usageErr(env, "diff", fmt.Sprintf("the runs are of different sites (%q and %q): compare two runs of one site", old.Manifest().Site, cur.Manifest().Site))
	}
	m := DiffManifest{SchemaVersion: manifest.SchemaVersion, Kind: "changes", RunID: extractor.NewRunID(),
		Extractor: manifest.Extractor{Name: extractor.Name, Version: extractor.Version}, Site: cur.Manifest().Site,
		OldRun: old.Location().String(), NewRun: cur.Location().String(), StartedAt: time.Now().UTC()}
	tw, err := output.OpenTables(ctx, output.Options{Destination: dest, Format: f.format, RunID: m.RunID, OwnerOnly: true, S3: s3opts})
	if err != nil {
		fmt.Fprintf(env.Err, "%s diff: %v\n", Prog, err)
		return ExitFailed
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
		fmt.Fprintf(env.Err, "%s diff: %v\n", Prog, err)
		return ExitFailed
	}
	keys := make([]string, 0, len(m.Changes.Counts))
	for k := range m.Changes.Counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(env.Err, "%d changes from %s to %s in %s%s\n", m.Changes.Rows, m.OldRun, m.NewRun,
		m.FinishedAt.Sub(m.StartedAt).Round(time.Millisecond), peakNote())
	for _, k := range keys {
		fmt.Fprintf(env.Err, "  %-50s %d\n", k, m.Changes.Counts[k])
	}
	fmt.Fprintln(env.Out, tw.Location())
	return ExitOK
}

// peakNote is ", peak RSS N MiB" where the platform reports it, else "".
func peakNote() string {
	if peak, ok := progress.PeakRSS(); ok {
		return fmt.Sprintf(", peak RSS %.1f MiB", float64(peak)/(1<<20))
	}
	return ""
}
