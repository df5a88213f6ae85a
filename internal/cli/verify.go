package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/govextract/jira-extractor/internal/config"
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
  2  bad usage or bad job file
`
	f.fs.StringVar(&f.config, "config", "", "optional job file whose output.s3 options are used to reach an S3 run: `JOB.json`")
	f.fs.BoolVar(&f.allowInsecure, "allow-insecure", false, "accept appConfig.insecureSkipVerify in the --config job file")
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
	var s3opts *config.S3Output
	if f.config != "" {
		job, code, done := loadJob(ctx, env, "verify", jobFlags{config: f.config, allowInsecure: f.allowInsecure})
		if done {
			return code
		}
		s3opts = job.Output.S3
	}
	rr, err := output.OpenRun(ctx, pos[0], s3opts)
	if err != nil {
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
