package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/output"
)

type verifyFlags struct {
	*cmdFlags
	config        string
	allowInsecure bool
}

func newVerifyFlags() *verifyFlags {
	f := &verifyFlags{cmdFlags: newCmdFlags("verify", "verify [--config JOB.json] DEST/RUN_ID", `
Re-reads every file of a finished run and checks it against the run's
manifest.json: size, sha256, row count and columns; it also reports tables
missing from the manifest and files the manifest does not list. DEST/RUN_ID is
a path, a file:// URL or s3://bucket/prefix/RUN_ID; for S3, --config gives the
output.s3 options (region, endpoint, path style) of a job file.`,
		"jira-extractor verify ./out/01J9Z3K4X8N7QH2R5V6W7Y8Z9A\njira-extractor verify --config job.json s3://my-bucket/jira/01J9Z3K4X8N7QH2R5V6W7Y8Z9A")}
	f.exits = `Exit codes:
  0  every file matches the manifest
  1  a file is missing, changed or unreadable (each problem names its file), or the run has no manifest
  2  bad usage or bad job file, or a destination given instead of one of its runs (its latest runs are listed)
`
	f.fs.StringVar(&f.config, "config", "", "optional job file whose output.s3 options are used to reach an S3 run: `JOB.json`")
	f.fs.BoolVar(&f.allowInsecure, "allow-insecure", false, "accept appConfig.insecureSkipVerify and scim.insecureSkipVerify in the --config job file")
	return f
}

func cmdVerify(ctx context.Context, args []string, env Env) int {
	f := newVerifyFlags()
	pos, code, done := f.parse(args, env)
	if done {
		return code
	}
	if len(pos) != 1 {
		return usageErr(env, "verify", "give exactly one run folder: DEST/RUN_ID")
	}
	run, err := location.Parse(pos[0])
	if err != nil {
		return usageErr(env, "verify", "the run folder "+err.Error())
	}
	s3opts, code, done := readerS3Options(ctx, env, "verify", jobFlags{config: f.config, allowInsecure: f.allowInsecure})
	if done {
		return code
	}
	rr, err := output.OpenRun(ctx, run, s3opts)
	if err != nil {
		if errors.Is(err, output.ErrIncomplete) {
			if runs := listRuns(run); len(runs) > 0 {
				writeRunList(env, run, runs)
				return ExitUsage
			}
		}
		fmt.Fprintf(env.Err, "%s verify: %v\n", Prog, err)
		return ExitFailed
	}
	if err := rr.Verify(ctx); err != nil {
		var ve *output.VerifyError
		if errors.As(err, &ve) {
			fmt.Fprintf(env.Out, "FAILED: %s: %d problem(s):\n", rr.Location(), len(ve.Problems))
			for _, p := range ve.Problems {
				fmt.Fprintf(env.Out, "  %s\n", p)
			}
		} else {
			fmt.Fprintf(env.Err, "%s verify: %v\n", Prog, err)
		}
		return ExitFailed
	}
	m := rr.Manifest()
	var files int
	var rows int64
	for _, t := range m.Tables {
		files += len(t.Files)
		rows += t.Rows
	}
	fmt.Fprintf(env.Out, "OK: %s: %d tables, %d files, %d rows match the manifest (run %s, status %s)\n",
		rr.Location(), len(m.Tables), files, rows, m.RunID, m.Status)
	return ExitOK
}

// runEntry is one run folder found in a destination.
type runEntry struct {
	id, status string
}

// listRuns returns the run folders in a local destination, newest first
// (run ids sort by time): folders with a manifest.json, with its status,
// and folders of tables without one ("incomplete").
func listRuns(dest location.Location) []runEntry {
	if !dest.IsLocal() {
		return nil
	}
	dir := dest.Path()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var runs []runEntry
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		if data, err := os.ReadFile(filepath.Join(sub, manifest.FileName)); err == nil {
			var m struct {
				Status string `json:"status"`
			}
			status := "unreadable manifest"
			if json.Unmarshal(data, &m) == nil && m.Status != "" {
				status = m.Status
			}
			runs = append(runs, runEntry{id: e.Name(), status: status})
			continue
		}
		for _, part := range []string{"entities", "relations"} {
			if fi, err := os.Stat(filepath.Join(sub, part)); err == nil && fi.IsDir() {
				runs = append(runs, runEntry{id: e.Name(), status: "incomplete (no manifest.json)"})
				break
			}
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].id > runs[j].id })
	return runs
}

// listedRuns is how many runs writeRunList shows.
const listedRuns = 5

// writeRunList says that dest is a destination, not a run, lists its latest
// runs and shows how to verify one.
func writeRunList(env Env, dest location.Location, runs []runEntry) {
	fmt.Fprintf(env.Err, "%s verify: %s holds runs (it is a destination, not a run folder): give one run, DEST/RUN_ID.\n", Prog, dest)
	fmt.Fprintf(env.Err, "The latest of its %d run(s):\n", len(runs))
	for _, r := range runs[:min(len(runs), listedRuns)] {
		fmt.Fprintf(env.Err, "  %s  %s\n", r.id, r.status)
	}
	fmt.Fprintf(env.Err, "Verify one with: %s verify %s\n", Prog, filepath.Join(dest.Path(), runs[0].id))
}
