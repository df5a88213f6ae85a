package cli

import (
	"context"
	"fmt"

	"github.com/govextract/jira-extractor/internal/ticketscmd"
	"github.com/govextract/jira-extractor/internal/usageerr"
)

type ticketsFlags struct {
	*cmdFlags
	job    jobFlags
	from   string
	format string
}

const ticketsExits = `Exit codes:
  0  every ticket of the apply run is done (status category "done"), or the run has none
  1  the run or the site cannot be read (missing or incomplete run, credentials refused, site unreachable)
  2  bad usage or bad job file
  3  some tickets are not done yet (or could not be read)
`

func newTicketsFlags() *ticketsFlags {
	f := &ticketsFlags{cmdFlags: newCmdFlags("tickets", "tickets --config JOB.json --from DEST/RUN_ID [--format table|json|csv]", `
Reports the Jira issues an apply opened: for every action of the apply run
DEST/RUN_ID with a ticket key (actions with mode "ticket", and changes the
API refused as ones only a person can make), it reads the issue from the
job's site and prints the action's id and op, the issue key, its status,
its status category (new, indeterminate or done) and whether it is done.
An action is done when its issue's status category is "done".

--format table prints aligned columns; json prints one object a line
({"action","op","key","status","category","done","summary","error",
"run_status"}); csv prints the same fields with a header row. An issue
that cannot be read (deleted, no permission) is listed with its error and
counts as not done. Stdout gets the report; errors go to stderr.`,
		"jira-extractor tickets --config job.json --from ./out/01J9Z3K4X8N7QH2R5V6W7Y8Z9A\n"+
			"jira-extractor tickets --config job.json --from s3://my-bucket/jira/01J9Z3K4X8N7QH2R5V6W7Y8Z9A --format json")}
	f.exits = ticketsExits
	f.job.register(f.fs)
	f.fs.StringVar(&f.from, "from", "", "the apply run folder `DEST/RUN_ID`: a path, file:// URL or s3://bucket/prefix/RUN_ID (required)")
	f.fs.StringVar(&f.format, "format", "table", "output `FORMAT`: table, json (one object a line) or csv")
	return f
}

func cmdTickets(ctx context.Context, args []string, env Env) int {
	f := newTicketsFlags()
	pos, code, done := f.parse(args, env)
	if done {
		return code
	}
	if code, done := f.noArgs(pos, env); done {
		return code
	}
	if err := ticketscmd.Validate(f.from, f.format); err != nil {
		return usageErr(env, "tickets", err.Error())
	}
	job, code, done := loadJob(ctx, env, "tickets", f.job)
	if done {
		return code
	}
	sts, err := ticketscmd.Track(ctx, job, f.from)
	if usageerr.Is(err) {
		return usageErr(env, "tickets", err.Error())
	}
	if err != nil {
		fmt.Fprintf(env.Err, "%s tickets: %v\n", Prog, err)
		if h := ticketscmd.Hint(err); h != "" {
			fmt.Fprintln(env.Err, h)
		}
		return ExitFailed
	}
	if err := ticketscmd.Write(env.Out, f.format, sts); err != nil {
		fmt.Fprintf(env.Err, "%s tickets: write the report: %v\n", Prog, err)
		return ExitFailed
	}
	fmt.Fprintln(env.Err, ticketscmd.Summary(sts))
	return ticketscmd.ExitCode(sts)
}
