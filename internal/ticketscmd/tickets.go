// Package ticketscmd reports the tickets of an apply run: it reads every
// ticket's issue from the job's site (applycmd.Track) and renders the
// report as a table, JSON lines or CSV. The CLI (jira-extractor tickets)
// and the plugin protocol (Tickets) both call it, so their output is the
// same bytes.
package ticketscmd

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/applycmd"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/termtext"
	"github.com/govextract/jira-extractor/internal/tickets"
	"github.com/govextract/jira-extractor/internal/usageerr"
)

// Exit codes of a report: the extractor's, with these meanings.
const (
	ExitDone    = extractor.ExitComplete // every ticket done, or the run has none
	ExitFailed  = extractor.ExitFailed   // the run or the site cannot be read
	ExitUsage   = extractor.ExitUsage    // bad usage: a bad run location or format, not an apply run
	ExitPartial = extractor.ExitPartial  // some tickets are not done yet
)

// Validate checks the run folder and the format without reading anything;
// its messages name the command-line flags.
func Validate(run, format string) error {
	switch {
	case run == "":
		return usageerr.New("--from DEST/RUN_ID is required: the folder of an apply run")
	case format != "table" && format != "json" && format != "csv":
		return usageerr.New(fmt.Sprintf("unknown --format %q: use table, json or csv", format))
	}
	if _, err := location.Parse(run); err != nil {
		return usageerr.New("--from: " + err.Error())
	}
	return nil
}

// Track reads the status of every ticket of the apply run at run (checked
// by Validate). A folder that is no apply run is a bad request (IsUsage).
func Track(ctx context.Context, job *config.Job, run string) ([]tickets.Status, error) {
	loc, err := location.Parse(run)
	if err != nil {
		return nil, usageerr.New("--from: " + err.Error())
	}
	sts, err := applycmd.Track(ctx, job, loc)
	if errors.Is(err, applycmd.ErrNotApplyRun) {
		return nil, usageerr.New(err.Error() + ": name the folder an apply wrote (jira-extractor apply prints it)")
	}
	return sts, err
}

// Hint is the advice that goes with a Track error, "" when there is none.
func Hint(err error) string {
	if errors.Is(err, output.ErrIncomplete) {
		return "The apply did not finish: run the same plan again, then track its new run."
	}
	return ""
}

// Summary is the closing line of a report.
func Summary(sts []tickets.Status) string {
	open := 0
	for _, s := range sts {
		if !s.Done {
			open++
		}
	}
	switch {
	case len(sts) == 0:
		return "The apply run has no tickets."
	case open == 0:
		return fmt.Sprintf("%d ticket(s), all done.", len(sts))
	}
	return fmt.Sprintf("%d ticket(s): %d done, %d not done yet.", len(sts), len(sts)-open, open)
}

// ExitCode is ExitDone when every ticket is done, else ExitPartial.
func ExitCode(sts []tickets.Status) int {
	if applycmd.AllDone(sts) {
		return ExitDone
	}
	return ExitPartial
}

// Write prints the report in format: table, json (one object a line) or
// csv.
func Write(w io.Writer, format string, sts []tickets.Status) error {
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
	clean := termtext.Clean
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
