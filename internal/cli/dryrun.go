package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/govextract/jira-extractor/extractor"
)

func newDryRunFlags() *jobCmdFlags {
	f := newJobCmdFlags(newCmdFlags("dry-run", "dry-run --config JOB.json [--format text|json] [flags]", `
Connects to the site, detects the token kind, reads the cheap list endpoints
(the user count, the group count, every project and each project's roles)
and prints what a run would fetch: a table of each endpoint a run reads, the
entity and relation kinds it feeds, the requests a run makes to it and the
number of items where the site tells them, then the total requests and
roughly how long they take. Nothing is written.

The total equals the requests of a run (retries aside), except where a row
says "≥": a group of more than 50 members takes one more member page per 50,
and a site of 1,000 users or more may take a few read-ahead users pages.
A scope that cannot be read (a 403, a 404) is named on stderr and in the
report.

With a scim section the plan also lists the SCIM endpoints a run reads:
discovery (unless scim.readSchema is false) and one request per page of
users and of groups at the page size the directory declares, with its
totals; a job with only scim plans only that.`,
		"jira-extractor dry-run --config job.json\njira-extractor dry-run --config job.json --format json"))
	f.exits = `Exit codes:
  0  every scope can be read
  1  nothing could be read: credentials refused, site unreachable, or every scope failed
  2  bad usage or bad job file (every problem is printed with its key and the fix)
  3  some scope could not be read (a run would be partial): see the problems
`
	return f
}

func cmdDryRun(ctx context.Context, args []string, env Env) int {
	f := newDryRunFlags()
	log, job, code, done := f.start(ctx, args, env)
	if done {
		return code
	}
	plan, err := extractor.DryRun(ctx, job.Resolve().Job, extractor.RunOptions{Logger: log})
	if err != nil {
		fmt.Fprintf(env.Err, "%s dry-run: %v\n", Prog, err)
		return extractor.ExitCode(nil, err)
	}
	if f.format == "json" {
		err = plan.WriteJSON(env.Out)
	} else {
		err = plan.Print(env.Out)
	}
	if err != nil {
		fmt.Fprintf(env.Err, "%s dry-run: print the plan: %v\n", Prog, err)
		return ExitFailed
	}
	code = plan.ExitCode()
	if code != ExitOK {
		scopes := make([]string, len(plan.Problems))
		for i, p := range plan.Problems {
			scopes[i] = p.Scope
		}
		fmt.Fprintf(env.Err, "%s dry-run: %d scope(s) could not be read: %s (exit %d)\n",
			Prog, len(plan.Problems), strings.Join(scopes, ", "), code)
	}
	return code
}
