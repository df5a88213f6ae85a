package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/govextract/jira-extractor/internal/access"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/output"
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
	switch {
	case f.run == "":
		return usageErr(env, cmd, "--run DEST/RUN_ID is required: the folder of a finished run")
	case sub == "who" && f.project == "":
		return usageErr(env, cmd, "--project KEY|ID is required")
	case sub == "what" && f.user == "":
		return usageErr(env, cmd, "--user ACCOUNTID|EMAIL is required")
	case f.format != "table" && f.format != "json" && f.format != "csv":
		return usageErr(env, cmd, fmt.Sprintf("unknown --format %q: use table, json or csv", f.format))
	case f.permission == "":
		return usageErr(env, cmd, `--permission is empty: give a key such as ADMINISTER_PROJECTS, or "*"`)
	}
	run, err := location.Parse(f.run)
	if err != nil {
		return usageErr(env, cmd, "--run: "+err.Error())
	}
	s3opts, code, done := readerS3Options(ctx, env, cmd, jobFlags{config: f.config, allowInsecure: f.allowInsecure})
	if done {
		return code
	}
	rr, err := output.OpenRun(ctx, run, s3opts)
	if err != nil {
		fmt.Fprintf(env.Err, "%s %s: %v\n", Prog, cmd, err)
		return ExitFailed
	}
	ix, err := access.Load(ctx, rr)
	if err != nil {
		fmt.Fprintf(env.Err, "%s %s: %v\n", Prog, cmd, err)
		return ExitFailed
	}
	notFound := func(err error) int {
		var nf *access.NotFoundError
		if errors.As(err, &nf) {
			return usageErr(env, cmd, err.Error())
		}
		fmt.Fprintf(env.Err, "%s %s: %v\n", Prog, cmd, err)
		return ExitFailed
	}
	if err := ix.CheckPermission(f.permission); err != nil {
		return notFound(err)
	}
	var perms []string
	if f.permission != "*" {
		perms = []string{f.permission}
	}
	for _, n := range rr.Manifest().Notes {
		fmt.Fprintf(env.Err, "note: %s: %s\n", n.Scope, n.Message)
	}
	aw := newAccessWriter(env.Out, f.format, sub)
	if sub == "who" {
		p, err := ix.FindProject(f.project)
		if err != nil {
			return notFound(err)
		}
		aw.title(fmt.Sprintf("Project %s (id %s, %s): %s", p.Key, p.ID, clean(strconvQuote(p.Name)), f.permission))
		err = ix.Who(p, perms, aw.row)
	} else {
		u, err := ix.FindUser(f.user)
		if err != nil {
			return notFound(err)
		}
		aw.title(fmt.Sprintf("User %s (%s)", u.AccountID, clean(describeUser(u))))
		err = ix.What(u, perms, aw.row)
	}
	if err == nil {
		err = aw.close()
	}
	if err != nil {
		fmt.Fprintf(env.Err, "%s %s: write answer: %v\n", Prog, cmd, err)
		return ExitFailed
	}
	return ExitOK
}

func describeUser(u access.UserInfo) string {
	parts := []string{fmt.Sprintf("%q", u.DisplayName)}
	if u.Email != "" {
		parts = append(parts, u.Email)
	}
	if !u.Active {
		parts = append(parts, "inactive")
	}
	return strings.Join(parts, ", ")
}

// accessLine is the JSON form of a row.
type accessLine struct {
	User       string `json:"user"`
	Project    string `json:"project"`
	ProjectKey string `json:"project_key"`
	Permission string `json:"permission,omitempty"`
	Role       string `json:"role,omitempty"`
	Via        string `json:"via"`
}

// accessWriter prints rows as they come: a table grouped by path (who) or
// by project (what), JSON lines or CSV.
type accessWriter struct {
	w      *bufio.Writer
	format string
	sub    string
	csv    *csv.Writer
	json   *json.Encoder
	group  string
	n, all int
	err    error
}

func newAccessWriter(w io.Writer, format, sub string) *accessWriter {
	a := &accessWriter{w: bufio.NewWriterSize(w, 64<<10), format: format, sub: sub}
	switch format {
	case "json":
		a.json = json.NewEncoder(a.w)
		a.json.SetEscapeHTML(false)
	case "csv":
		a.csv = csv.NewWriter(a.w)
		header := []string{"user", "project", "project_key", "permission", "via"}
		if sub == "what" {
			header = []string{"user", "project", "project_key", "permission", "role", "via"}
		}
		a.err = a.csv.Write(header)
	}
	return a
}

func (a *accessWriter) title(s string) {
	if a.format == "table" {
		fmt.Fprintln(a.w, s)
	}
}

func (a *accessWriter) row(r access.Row) error {
	if a.err != nil {
		return a.err
	}
	a.all++
	switch a.format {
	case "json":
		a.err = a.json.Encode(accessLine{User: r.User.AccountID, Project: r.ProjectID, ProjectKey: r.ProjectKey, Permission: r.Permission, Role: r.Role, Via: r.Via})
	case "csv":
		rec := []string{r.User.AccountID, r.ProjectID, r.ProjectKey, r.Permission, r.Via}
		if a.sub == "what" {
			rec = []string{r.User.AccountID, r.ProjectID, r.ProjectKey, r.Permission, r.Role, r.Via}
		}
		a.err = a.csv.Write(rec)
	default:
		a.tableRow(r)
	}
	return a.err
}

func (a *accessWriter) tableRow(r access.Row) {
	key := "project " + r.ProjectKey + " (id " + r.ProjectID + ")"
	if a.sub == "who" {
		key = r.Permission + " via " + r.Via
	}
	if key != a.group {
		a.endGroup()
		a.group = key
		if a.sub == "who" && r.ViaName != "" {
			key += "  [" + clean(r.ViaName) + "]"
		}
		fmt.Fprintf(a.w, "\n%s\n", key)
	}
	a.n++
	if a.sub == "who" {
		fmt.Fprintf(a.w, "  %-44s %s\n", r.User.AccountID, clean(describeUser(r.User)))
		return
	}
	what := "permission " + r.Permission
	if r.Role != "" {
		what = "role " + r.Role + " " + clean(strconvQuote(r.RoleName))
	}
	via := r.Via
	if r.ViaName != "" {
		via += "  [" + clean(r.ViaName) + "]"
	}
	fmt.Fprintf(a.w, "  %-44s via %s\n", what, via)
}

func (a *accessWriter) endGroup() {
	if a.group != "" && a.sub == "who" {
		fmt.Fprintf(a.w, "  (%d %s)\n", a.n, map[bool]string{true: "user", false: "users"}[a.n == 1])
	}
	a.n = 0
}

func (a *accessWriter) close() error {
	if a.err != nil {
		return a.err
	}
	switch a.format {
	case "csv":
		a.csv.Flush()
		if err := a.csv.Error(); err != nil {
			return err
		}
	case "table":
		a.endGroup()
		if a.all == 0 && a.sub == "who" {
			fmt.Fprintln(a.w, "\n(no one)")
		} else if a.all == 0 {
			fmt.Fprintln(a.w, "\n(nothing)")
		}
	}
	return a.w.Flush()
}

func strconvQuote(s string) string { return strconv.Quote(s) }

// clean keeps control characters of names out of the table.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
