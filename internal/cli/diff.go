package cli

import (
	"context"
	"fmt"

	"github.com/govextract/jira-extractor/internal/diffcmd"
	"github.com/govextract/jira-extractor/internal/diffcmd/summary"
	"github.com/govextract/jira-extractor/internal/usageerr"
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

func cmdDiff(ctx context.Context, args []string, env Env) int {
	f := newDiffFlags()
	pos, code, done := f.parse(args, env)
	if done {
		return code
	}
	if len(pos) != 2 {
		return usageErr(env, "diff", "give exactly two runs: OLD_RUN NEW_RUN (each DEST/RUN_ID)")
	}
	req := diffcmd.Request{OldRun: pos[0], NewRun: pos[1], Out: f.out, Format: f.format}
	if err := req.Validate(); err != nil {
		return usageErr(env, "diff", err.Error())
	}
	s3opts, code, done := readerS3Options(ctx, env, "diff", jobFlags{config: f.config, allowInsecure: f.allowInsecure})
	if done {
		return code
	}
	req.S3 = s3opts
	loc, m, err := diffcmd.Diff(ctx, req)
	if usageerr.Is(err) {
		return usageErr(env, "diff", err.Error())
	}
	if err != nil {
		fmt.Fprintf(env.Err, "%s diff: %v\n", Prog, err)
		return ExitFailed
	}
	summary.Write(env.Err, m.Changes.Rows, m.Changes.Counts, m.OldRun, m.NewRun, m.FinishedAt.Sub(m.StartedAt), diffcmd.PeakRSS())
	fmt.Fprintln(env.Out, loc)
	return ExitOK
}
