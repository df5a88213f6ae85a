// Package cli is the standalone jira-extractor command line: run, dry-run,
// check, schema, verify, upload and version, each with its own flags, a
// complete --help, and the documented exit codes (0 complete, 1 failed,
// 2 bad usage or bad config, 3 partial).
package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/govextract/jira-extractor/extractor"
)

// Prog is the program name used in help and messages.
const Prog = "jira-extractor"

// Exit codes.
const (
	ExitOK      = extractor.ExitComplete
	ExitFailed  = extractor.ExitFailed
	ExitUsage   = extractor.ExitUsage
	ExitPartial = extractor.ExitPartial
)

// Env is where a command writes and what it knows about its terminal.
type Env struct {
	Out io.Writer // results: plans, reports, schemas
	Err io.Writer // logs, progress, warnings, errors
	// Interactive is true when Err is a terminal: progress is redrawn in
	// place.
	Interactive bool
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	// flags returns the command's flag set (for help and tests).
	flags func() *cmdFlags
	run   func(ctx context.Context, args []string, env Env) int
}

// commands in help order.
func commands() []command {
	return []command{
		{name: "run", summary: "extract a site into Parquet or CSV files", flags: func() *cmdFlags { return newRunFlags().cmdFlags }, run: cmdRun},
		{name: "dry-run", summary: "print what a run would fetch; nothing is written", flags: func() *cmdFlags { return newDryRunFlags().cmdFlags }, run: cmdDryRun},
		{name: "apply", summary: "change access as a plan says (grant, revoke, create, remove, ...)", flags: func() *cmdFlags { return newApplyFlags().cmdFlags }, run: cmdApply},
		{name: "tickets", summary: "report the status of the Jira issues an apply opened", flags: func() *cmdFlags { return newTicketsFlags().cmdFlags }, run: cmdTickets},
		{name: "check", summary: "check credentials, token kind and permissions", flags: func() *cmdFlags { return newCheckFlags().cmdFlags }, run: cmdCheck},
		{name: "schema", summary: "print the job-file schema and the output schema", flags: func() *cmdFlags { return newSchemaFlags().cmdFlags }, run: cmdSchema},
		{name: "diff", summary: "write the change set between two runs of one site", flags: func() *cmdFlags { return newDiffFlags().cmdFlags }, run: cmdDiff},
		{name: "verify", summary: "re-read a run's files and check them against its manifest", flags: func() *cmdFlags { return newVerifyFlags().cmdFlags }, run: cmdVerify},
		{name: "upload", summary: "bulk-upload a run to a platform's entity APIs", flags: nil, run: cmdUpload},
		{name: "access", summary: "who can do what in which project, and why (from a run)", flags: newAccessHelpFlags, run: cmdAccess},
		{name: "version", summary: "print the version", flags: func() *cmdFlags { return newVersionFlags().cmdFlags }, run: cmdVersion},
	}
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// Main runs the command line args (without the program name) and returns
// the process exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		writeMainHelp(env.Err)
		return ExitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help", "help":
		if name == "help" && len(rest) > 0 {
			c, ok := lookup(rest[0])
			if !ok {
				return usageErr(env, "", fmt.Sprintf("unknown command %q", rest[0]))
			}
			return c.run(ctx, []string{"--help"}, env)
		}
		writeMainHelp(env.Out)
		return ExitOK
	case "-version", "--version", "-v":
		return cmdVersion(ctx, nil, env)
	}
	c, ok := lookup(name)
	if !ok {
		if strings.HasPrefix(name, "-") {
			return usageErr(env, "", fmt.Sprintf("unknown flag %s before the command", name))
		}
		return usageErr(env, "", fmt.Sprintf("unknown command %q", name))
	}
	return c.run(ctx, rest, env)
}

// usageErr prints a usage error and the way to help; it returns ExitUsage.
func usageErr(env Env, cmd, msg string) int {
	prefix, helpCmd := Prog, Prog+" --help"
	if cmd != "" {
		prefix, helpCmd = Prog+" "+cmd, Prog+" "+cmd+" --help"
	}
	fmt.Fprintf(env.Err, "%s: %s\nRun '%s' for usage.\n", prefix, msg, helpCmd)
	return ExitUsage
}

func writeMainHelp(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s extracts who has access to what in a Jira Cloud site (users, groups,\n", Prog)
	b.WriteString("projects, roles, product access, permission schemes) into Parquet or CSV files.\n\n")
	fmt.Fprintf(&b, "Usage:\n  %s COMMAND [flags]\n\nCommands:\n", Prog)
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(&b, "\nRun '%s help COMMAND' or '%s COMMAND --help' for a command's flags.\n\n", Prog, Prog)
	b.WriteString(exitCodesHelp)
	fmt.Fprintf(&b, "\nExample:\n  %s check --config job.json\n  %s run --config job.json --out ./out\n", Prog, Prog)
	b.WriteString("\nA go-plugin host (the extraction runner) starts the same binary as a plugin.\n")
	_, _ = io.WriteString(w, b.String())
}

const exitCodesHelp = `Exit codes:
  0  complete
  1  failed (including credentials refused, or check found something unreadable)
  2  bad usage or bad job file (every problem is printed with its key and the fix)
  3  partial: finished, but some scope could not be read (see the manifest's warnings)
`
