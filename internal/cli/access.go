package cli

import (
	"context"
	"fmt"

	"github.com/govextract/jira-extractor/internal/accesscmd"
	"github.com/govextract/jira-extractor/internal/usageerr"
)

const accessAbout = `
Answers who can do what, and why, from a finished run (local or S3),
resolving on demand for any permission:

  access who   lists the users who hold a permission in a project
  access what  lists the project roles and permissions a user holds

Each answer names its path (the "via"): how the user gets there.

  user                               the permission scheme names the user
  group:GROUPID                      the scheme grants a group the user is in
  project_role:ROLEID                the user is a user actor of a role the scheme grants
  project_role:ROLEID/group:GROUPID  the user is in a group actor of that role
  project_lead                       the user leads the project
  application_role:KEY/group:GROUPID the scheme grants product access KEY and the user is
                                     in one of its groups (KEY empty: any logged-in user)
  anyone                             every user

Role rows of "access what" use user (a user actor) and group:GROUPID (a
member of a group actor). Inactive users are included; holders that depend
on an issue (reporter, assignee, custom fields, service desk customers) give
nothing.`

const accessExits = `Exit codes:
  0  answered (an empty answer too)
  1  the run cannot be read (missing, incomplete or unreadable)
  2  bad usage, or an unknown project, user or permission (the closest match is suggested)
`

// accessFlags are the flags of `access who` and `access what`.
type accessFlags struct {
	*cmdFlags
	run, project, user, permission, format, config string
	allowInsecure                                  bool
}

func newAccessFlags(sub string) *accessFlags {
	var f *accessFlags
	switch sub {
	case "who":
		f = &accessFlags{cmdFlags: newCmdFlags("access who", "access who --run DEST/RUN_ID --project KEY|ID [--permission KEY|*] [--format table|json|csv]",
			accessAbout+`

"access who" lists every user who holds --permission in --project, grouped
by path. --permission "*" lists every permission the project's scheme grants.`,
			"jira-extractor access who --run ./out/01J9Z3K4X8N7QH2R5V6W7Y8Z9A --project WEB\n"+
				"jira-extractor access who --run ./out/01J9Z3K4X8N7QH2R5V6W7Y8Z9A --project 10004 --permission BROWSE_PROJECTS --format csv")}
		f.fs.StringVar(&f.project, "project", "", "the project, by `KEY` or id (required)")
		f.fs.StringVar(&f.permission, "permission", "ADMINISTER_PROJECTS", "the permission `KEY`, or * for every permission")
	default:
		f = &accessFlags{cmdFlags: newCmdFlags("access what", "access what --run DEST/RUN_ID --user ACCOUNTID|EMAIL [--permission KEY|*] [--format table|json|csv]",
			accessAbout+`

"access what" lists, project by project, the project roles --user holds and
the permissions they hold (every permission unless --permission names one),
each with its path.`,
			"jira-extractor access what --run ./out/01J9Z3K4X8N7QH2R5V6W7Y8Z9A --user jane@example.com\n"+
				"jira-extractor access what --run s3://my-bucket/jira/01J9Z3K4X8N7QH2R5V6W7Y8Z9A --config job.json --user 557058:f1c2... --format json")}
		f.fs.StringVar(&f.user, "user", "", "the user, by `ACCOUNTID` or email (required)")
		f.fs.StringVar(&f.permission, "permission", "*", "only this permission `KEY`; * for every permission")
	}
	f.exits = accessExits
	f.fs.StringVar(&f.run, "run", "", "the run folder `DEST/RUN_ID`: a path, file:// URL or s3://bucket/prefix/RUN_ID (required)")
	f.fs.StringVar(&f.format, "format", "table", "output `FORMAT`: table (grouped by path), json (one object a line) or csv")
	f.fs.StringVar(&f.config, "config", "", "optional job file whose output.s3 options are used to reach an S3 run: `JOB.json`")
	f.fs.BoolVar(&f.allowInsecure, "allow-insecure", false, "accept appConfig.insecureSkipVerify and scim.insecureSkipVerify in the --config job file")
	return f
}

// newAccessHelpFlags is the help of `access` itself.
func newAccessHelpFlags() *cmdFlags {
	c := newCmdFlags("access", "access who|what --run DEST/RUN_ID ...", accessAbout+`

Run 'jira-extractor access who --help' or 'jira-extractor access what --help'
for their flags.`,
		"jira-extractor access who --run ./out/01J9Z3K4X8N7QH2R5V6W7Y8Z9A --project WEB\n"+
			"jira-extractor access what --run ./out/01J9Z3K4X8N7QH2R5V6W7Y8Z9A --user jane@example.com")
	c.exits = accessExits
	return c
}

func cmdAccess(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		return usageErr(env, "access", "name a question: access who or access what")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		newAccessHelpFlags().help(env.Out)
		return ExitOK
	case "who", "what":
	default:
		return usageErr(env, "access", fmt.Sprintf("unknown question %q: use access who or access what", args[0]))
	}
	sub := args[0]
	f := newAccessFlags(sub)
	pos, code, done := f.parse(args[1:], env)
	if done {
		return code
	}
	if code, done := f.noArgs(pos, env); done {
		return code
	}
	cmd := "access " + sub
	q := accesscmd.Query{Run: f.run, Question: sub, Project: f.project, User: f.user, Permission: f.permission, Format: f.format}
	if err := q.Validate(); err != nil {
		return usageErr(env, cmd, err.Error())
	}
	s3opts, code, done := readerS3Options(ctx, env, cmd, jobFlags{config: f.config, allowInsecure: f.allowInsecure})
	if done {
		return code
	}
	q.S3 = s3opts
	_, err := accesscmd.Answer(ctx, q, env.Out, func(scope, msg string) {
		fmt.Fprintf(env.Err, "note: %s: %s\n", scope, msg)
	})
	switch {
	case usageerr.Is(err):
		return usageErr(env, cmd, err.Error())
	case err != nil:
		fmt.Fprintf(env.Err, "%s %s: %v\n", Prog, cmd, err)
		return ExitFailed
	}
	return ExitOK
}
