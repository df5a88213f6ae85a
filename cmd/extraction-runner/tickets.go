package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

const ticketsHelp = `Usage: extraction-runner tickets --plugin PATH --config JOB.json --from DEST/RUN_ID [--format table|json|csv]

Reports, through the plugin (protocol version 2), the Jira issues an apply
opened: for every action of the apply run DEST/RUN_ID with a ticket key, the
plugin reads the issue from the job's site; the runner prints the action's
id and op, the issue key, its status, its status category (new,
indeterminate or done) and whether it is done, exactly as
"jira-extractor tickets" does. An action is done when its issue's status
category is "done".

--format table prints aligned columns; json prints one object a line
({"action","op","key","status","category","done","summary","error",
"run_status"}); csv prints the same fields with a header row. Stdout gets
the report; the closing line and errors go to stderr. SIGINT or SIGTERM
stops it (exit 1).

Exit codes:
  0  every ticket of the apply run is done, or the run has none
  1  the run or the site cannot be read, the plugin could not be started
     or speaks protocol version 1 only, or a signal stopped it
  2  bad usage or bad job file
  3  some tickets are not done yet (or could not be read)

Flags:
`

func ticketsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tickets", flag.ContinueOnError)
	var p pluginFlags
	var configPath, from, format string
	var allowInsecure bool
	p.register(fs)
	fs.StringVar(&configPath, "config", "", "the job file to read, `JOB.json` (required)")
	fs.BoolVar(&allowInsecure, "allow-insecure", false, "accept appConfig.insecureSkipVerify and scim.insecureSkipVerify (turns off TLS certificate checks)")
	fs.StringVar(&from, "from", "", "the apply run folder `DEST/RUN_ID`: a path, file:// URL or s3://bucket/prefix/RUN_ID (required)")
	fs.StringVar(&format, "format", "table", "output `FORMAT`: table, json (one object a line) or csv")
	if err := parseFlags(fs, args, ticketsHelp, stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitComplete
		}
		return usageExit(stderr, "tickets", err)
	}
	if err := p.check(); err != nil {
		return usageExit(stderr, "tickets", err)
	}
	switch {
	case from == "":
		return usageExit(stderr, "tickets", &usageError{"--from DEST/RUN_ID is required: the folder of an apply run"})
	case format != "table" && format != "json" && format != "csv":
		return usageExit(stderr, "tickets", &usageError{fmt.Sprintf("unknown --format %q: use table, json or csv", format)})
	case configPath == "":
		return usageExit(stderr, "tickets", &usageError{"--config JOB.json is required: the job file with appConfig and output"})
	}
	job, ok := readJobFile(stderr, configPath, allowInsecure)
	if !ok {
		return exitUsage
	}
	s, err := startSession(ctx, p, stderr, "stopping tickets")
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return exitFailed
	}
	defer s.end()
	resp, err := s.h.Tickets(s.ctx, &extractorv2.TicketsRequest{Job: job, Run: from, Format: format})
	if err != nil {
		return s.failed(stderr, "tickets", err)
	}
	switch {
	case len(resp.GetJobProblems()) > 0:
		printJobProblems(stderr, configPath, resp.GetJobProblems())
		return exitUsage
	case resp.GetExitCode() == exitUsage:
		return usageExit(stderr, "tickets", &usageError{resp.GetError()})
	case resp.GetError() != "":
		fmt.Fprintf(stderr, "extraction-runner tickets: %s\n", resp.GetError())
		if h := resp.GetHint(); h != "" {
			fmt.Fprintln(stderr, h)
		}
		return exitOf(resp.GetExitCode())
	}
	if _, err := stdout.Write(resp.GetReport()); err != nil {
		fmt.Fprintf(stderr, "extraction-runner tickets: write the report: %v\n", err)
		return exitFailed
	}
	fmt.Fprintln(stderr, resp.GetSummary())
	return exitOf(resp.GetExitCode())
}

// exitOf is a plugin's exit code, 1 for one outside the contract.
func exitOf(c int32) int {
	switch c := int(c); c {
	case exitComplete, exitFailed, exitUsage, exitPartial:
		return c
	}
	return exitFailed
}
