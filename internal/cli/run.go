package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/progress/display"
)

type runFlags struct {
	*cmdFlags
	job        jobFlags
	log        logFlags
	out        string
	format     string
	noProgress bool
	since      string
}

func newRunFlags() *runFlags {
	f := &runFlags{cmdFlags: newCmdFlags("run", "run --config JOB.json [--out DEST] [--format parquet|csv] [flags]", `
Extracts the site of the job file: users, groups and their members, projects,
project roles and who holds them, product access and permission schemes (and,
with appConfig.orgId and orgApiKey, the organization's managed accounts), and
writes them as entity and relation tables to DEST/RUN_ID:

  DEST/RUN_ID/entities/source_type=KIND/part-00000.parquet
  DEST/RUN_ID/relations/relation=KIND/part-00000.parquet
  DEST/RUN_ID/manifest.json   (written last: a run without it is not complete)

Stdout gets one line after a complete or partial run: the run folder
(DEST/RUN_ID), so a script can write OUT=$(jira-extractor run ...).
Everything else goes to stderr: progress (redrawn in place on a terminal, a
line every 10 s otherwise), logs, warnings and the summary. Interrupt
(Ctrl-C) cancels the run cleanly.
With upload.afterRun in the job file, a complete run is then uploaded.`,
		"jira-extractor run --config job.json\njira-extractor run --config job.json --out s3://my-bucket/jira --format csv --log-level debug\njira-extractor run --config job.json --since auto")}
	f.job.register(f.fs)
	f.log.register(f.fs, "info")
	f.fs.StringVar(&f.out, "out", "", "where to write, `DEST`: a path, file:// URL or s3://bucket/prefix (replaces output.destination)")
	f.fs.StringVar(&f.format, "format", "", "file `FORMAT`: parquet or csv (replaces output.format)")
	f.fs.BoolVar(&f.noProgress, "no-progress", false, "do not show progress (warnings and the summary are still printed)")
	f.fs.StringVar(&f.since, "since", "", "incremental run: `auto` (the latest complete run of the site in DEST) or a base run DEST/RUN_ID; reads only what changed since, writes a complete run plus changes/")
	return f
}

func cmdRun(ctx context.Context, args []string, env Env) int {
	f := newRunFlags()
	pos, code, done := f.parse(args, env)
	if done {
		return code
	}
	if code, done := f.noArgs(pos, env); done {
		return code
	}
	if _, code, done := newLogger(env, "run", f.log, io.Discard); done {
		return code
	}
	job, code, done := loadJob(ctx, env, "run", f.job,
		override{flag: "--out", key: "output.destination", value: f.out},
		override{flag: "--format", key: "output.format", value: f.format})
	if done {
		return code
	}

	interactive := env.Interactive && !f.noProgress
	d := display.New(env.Err, interactive)
	var logOut io.Writer = env.Err
	if interactive {
		logOut = d // log lines are printed above the progress block
	}
	log, code, done := newLogger(env, "run", f.log, logOut)
	if done {
		return code
	}

	resolved := job.Resolve()
	if f.since != "" {
		resolved.Job.Incremental = job.IncrementalFor(f.since)
	}
	res, err := extractor.Run(ctx, resolved.Job, extractor.RunOptions{
		Logger: log,
		OnEvent: func(e extractor.Event) {
			switch e.Type {
			case extractor.EventProgress:
				if !f.noProgress {
					d.Update(e.Progress)
				}
			case extractor.EventWarning:
				d.Warn(e.Warning.Scope, e.Warning.Message)
			}
		},
	})
	m := res.Manifest
	code = extractor.ExitCode(m, err)
	location := ""
	if m != nil && (m.Status == manifest.StatusComplete || m.Status == manifest.StatusPartial) {
		location = res.Location.String()
	}
	d.Done(m, location)
	if err != nil {
		fmt.Fprintf(env.Err, "%s run: %v\n", Prog, err)
		return code
	}
	if location != "" {
		// The one line on stdout, for scripts: OUT=$(jira-extractor run ...).
		fmt.Fprintln(env.Out, location)
	}
	if code == ExitOK && resolved.Upload != nil && resolved.UploadAfterRun {
		fmt.Fprintf(env.Err, "upload.afterRun is set: uploading %s\n", location)
		// The upload's report goes to stderr too: stdout holds only the run folder.
		quiet := Env{Out: env.Err, Err: env.Err, Interactive: env.Interactive}
		if uc := uploadCommand(ctx, []string{"--from", location, "--config", f.job.config}, quiet); uc != 0 {
			fmt.Fprintf(env.Err, "%s run: the run is complete at %s but the upload failed (exit %d); retry with '%s upload --from %s --config %s'\n",
				Prog, location, uc, Prog, location, f.job.config)
			return ExitFailed
		}
	}
	return code
}
