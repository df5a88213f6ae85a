package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/check"
	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/scim"
)

// checkMaxRetries bounds retries during a check so it answers in seconds.
const checkMaxRetries = 2

func newCheckFlags() *jobCmdFlags {
	f := newJobCmdFlags(newCmdFlags("check", "check --config JOB.json [--format text|json] [flags]", `
Checks the job's credentials: prints the token kind (unscoped or scoped) and
the account, then makes one cheap request per kind (users, groups, members,
projects, project roles, project permission schemes, global roles,
application roles, permission schemes, and org users and groups when orgId is
set) and says for each whether it can be read and, if not, which Jira
permission (unscoped tokens: Browse users and groups, Browse projects,
Administer Jira) or token scope (scoped tokens: read:jira-user,
read:jira-work, manage:jira-configuration) is missing. With a scim section
it also checks the SCIM credential, reads the directory's discovery
endpoints (unless scim.readSchema is false) and counts its users and groups;
a job with only scim checks only that. Requests are retried at most twice so
the answer comes quickly. With --format json the report is one JSON
document: token kind, account, each probe with its result, and "scim".`,
		"jira-extractor check --config job.json\njira-extractor check --config job.json --format json"))
	f.exits = `Exit codes:
  0  the credentials work and every kind can be read
  1  the credentials were refused, the site or SCIM directory could not be reached, or some kind cannot be read
  2  bad usage or bad job file (every problem is printed with its key and the fix)
`
	return f
}

func cmdCheck(ctx context.Context, args []string, env Env) int {
	f := newCheckFlags()
	log, job, code, done := f.start(ctx, args, env)
	if done {
		return code
	}
	rj := job.Resolve().Job
	rep, err := checkJira(ctx, job.HasJira(), rj.Jira, log)
	if err == nil && rj.SCIM != nil {
		rep.SCIM, err = checkSCIM(ctx, *rj.SCIM, log)
	}
	if err != nil {
		fmt.Fprintf(env.Err, "%s check: %v\n", Prog, err)
		return ExitFailed
	}
	if f.format == "json" {
		if err := rep.WriteJSON(env.Out); err != nil {
			fmt.Fprintf(env.Err, "%s check: %v\n", Prog, err)
			return ExitFailed
		}
	} else {
		rep.Print(env.Out)
	}
	if !rep.OK() {
		return ExitFailed
	}
	return ExitOK
}

// checkJira checks the Jira site; a job without one gets an empty
// report for the SCIM part.
func checkJira(ctx context.Context, has bool, app jira.Options, log *slog.Logger) (*check.Report, error) {
	if !has {
		return &check.Report{SCIMOnly: true}, nil
	}
	app.MaxRetries = min(app.MaxRetries, checkMaxRetries)
	app.Logger, app.Version = log, extractor.Version
	client, err := jira.New(app)
	if err != nil {
		return nil, err
	}
	return check.Run(ctx, client, app)
}

// checkSCIM checks the SCIM directory with retries capped like Jira's.
func checkSCIM(ctx context.Context, so scim.Options, log *slog.Logger) (*check.SCIMReport, error) {
	so.MaxRetries = min(so.MaxRetries, checkMaxRetries)
	so.Logger, so.UserAgent = log, extractor.Name+"/"+extractor.Version
	c, err := scim.New(so)
	if err != nil {
		return nil, err
	}
	return check.RunSCIM(ctx, c)
}
