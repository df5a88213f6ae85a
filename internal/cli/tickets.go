package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/govextract/jira-extractor/internal/applycmd"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/tickets"
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
	switch {
	case f.from == "":
		return usageErr(env, "tickets", "--from DEST/RUN_ID is required: the folder of an apply run")
	case f.format != "table" && f.format != "json" && f.format != "csv":
		return usageErr(env, "tickets", fmt.Sprintf("unknown --format %q: use table, json or csv", f.format))
	}
	run, err := location.Parse(f.from)
	if err != nil {
		return usageErr(env, "tickets", "--from: "+err.Error())
	}
	job, code, done := loadJob(ctx, env, "tickets", f.job)
	if done {
		return code
	}
	sts, err := applycmd.Track(ctx, job, run)
	if errors.Is(err, applycmd.ErrNotApplyRun) {
		return usageErr(env, "tickets", err.Error()+": name the folder an apply wrote (jira-extractor apply prints it)")
	}
	if err != nil {
		fmt.Fprintf(env.Err, "%s tickets: %v\n", Prog, err)
		if errors.Is(err, output.ErrIncomplete) {
			fmt.Fprintln(env.Err, "The apply did not finish: run the same plan again, then track its new run.")
		}
		return ExitFailed
	}
	if err := writeTickets(env.Out, f.format, sts); err != nil {
		fmt.Fprintf(env.Err, "%s tickets: write the report: %v\n", Prog, err)
		return ExitFailed
	}
	open := 0
	for _, s := range sts {
		if !s.Done {
			open++
		}
	}
	switch {
	case len(sts) == 0:
		fmt.Fprintln(env.Err, "The apply run has no tickets.")
	case open == 0:
		fmt.Fprintf(env.Err, "%d ticket(s), all done.\n", len(sts))
	default:
		fmt.Fprintf(env.Err, "%d ticket(s): %d done, %d not done yet.\n", len(sts), len(sts)-open, open)
	}
	if !applycmd.AllDone(sts) {
		return ExitPartial
	}
	return ExitOK
}

// writeTickets prints the report in the chosen format.
func writeTickets(w io.Writer, format string, sts []tickets.Status) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, s := range sts {
			if err := enc.Encode(s); err != nil {
				return err
			}
		}
		return nil
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"action", "op", "key", "status", "category", "done", "summary", "error", "run_status"})
		for _, s := range sts {
			_ = cw.Write([]string{s.Action, s.Op, s.Key, s.Status, s.Category, strconv.FormatBool(s.Done), s.Summary, s.Error, s.RunStatus})
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTION\tOP\tKEY\tSTATUS\tCATEGORY\tDONE\tSUMMARY")
	for _, s := range sts {
		status, summary := s.Status, s.Summary
		if s.Error != "" {
			status, summary = "?", s.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", clean(strconv.Quote(s.Action)), s.Op, clean(s.Key), clean(or(status, "-")),
			clean(or(s.Category, "-")), yesNo(s.Done), clean(summary))
	}
	return tw.Flush()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
