package cli

import (
	"context"
	"fmt"

	"github.com/govextract/jira-extractor/extractor"
)

type dryRunFlags struct {
	*cmdFlags
	job jobFlags
	log logFlags
}

func newDryRunFlags() *dryRunFlags {
	f := &dryRunFlags{cmdFlags: newCmdFlags("dry-run", "dry-run --config JOB.json [flags]", `
Connects to the site, detects the token kind, and prints what a run would
fetch: each entity and relation kind, the endpoints, and the number of
requests and rows where the site tells them (page totals). Nothing is written.`,
		"jira-extractor dry-run --config job.json")}
	f.job.register(f.fs)
	f.log.register(f.fs, "warn")
	return f
}

func cmdDryRun(ctx context.Context, args []string, env Env) int {
	f := newDryRunFlags()
	pos, code, done := f.parse(args, env)
	if done {
		return code
	}
	if code, done := f.noArgs(pos, env); done {
		return code
	}
	log, code, done := newLogger(env, "dry-run", f.log, env.Err)
	if done {
		return code
	}
	job, code, done := loadJob(env, "dry-run", f.job)
	if done {
		return code
	}
	plan, err := extractor.DryRun(ctx, job, extractor.RunOptions{Logger: log})
	if err != nil {
		fmt.Fprintf(env.Err, "%s dry-run: %v\n", Prog, err)
		return extractor.ExitCode(nil, err)
	}
	if err := plan.Print(env.Out); err != nil {
		fmt.Fprintf(env.Err, "%s dry-run: print the plan: %v\n", Prog, err)
		return ExitFailed
	}
	return ExitOK
}
