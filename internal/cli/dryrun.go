package cli

import (
	"context"
	"fmt"

	"github.com/govextract/jira-extractor/extractor"
)

func newDryRunFlags() *jobCmdFlags {
	return newJobCmdFlags(newCmdFlags("dry-run", "dry-run --config JOB.json [flags]", `
Connects to the site, detects the token kind, and prints what a run would
fetch: each entity and relation kind, the endpoints, and the number of
requests and rows where the site tells them (page totals). Nothing is written.`,
		"jira-extractor dry-run --config job.json"))
}

func cmdDryRun(ctx context.Context, args []string, env Env) int {
	log, job, code, done := newDryRunFlags().start(ctx, args, env)
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
