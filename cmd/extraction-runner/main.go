// Command extraction-runner is the go-plugin host of extractor plugins: it
// starts a plugin binary, asks it to describe itself or validate a job, runs
// extraction jobs through it with a live progress display, and, under
// protocol version 2, runs incremental jobs (run --since), applies plans,
// tracks tickets, diffs runs and answers access questions through it; it
// maps the outcome to the extractor's exit codes (0 complete, 1 failed, 2
// bad usage or config, 3 partial).
//
// It links only the plugin protocol (plugin, plugin/host) and the progress
// display: parsing the job file and the plan, reading and writing runs,
// uploading and applying changes are the plugin's work.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/govextract/jira-extractor/plugin"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes of the runner: the extractor's.
const (
	exitComplete = plugin.ExitComplete
	exitFailed   = plugin.ExitFailed
	exitUsage    = plugin.ExitUsage
	exitPartial  = plugin.ExitPartial
)

const usage = `extraction-runner loads an extractor plugin (hashicorp/go-plugin over gRPC,
protocol version 2, or 1 for an older plugin; automatic mTLS) and runs
extraction jobs and plans through it.

Usage:
  extraction-runner run      --plugin PATH --config JOB.json [flags]
  extraction-runner run      --plugin PATH --config JOB.json --since auto|DEST/RUN_ID [flags]
  extraction-runner apply    --plugin PATH --config JOB.json --plan PLAN [flags]
  extraction-runner tickets  --plugin PATH --config JOB.json --from DEST/RUN_ID [--format table|json|csv]
  extraction-runner diff     --plugin PATH OLD_RUN NEW_RUN [--out DEST] [--format parquet|csv] [--config JOB.json]
  extraction-runner access   who|what --plugin PATH --run DEST/RUN_ID ...
  extraction-runner describe --plugin PATH [--json] [--plugin-sha256 HEX]
  extraction-runner version
  extraction-runner help [COMMAND]

Commands:
  run       validate the job through the plugin, run it with a progress
            display, print a summary; after a complete run the plugin
            uploads it when the job file says upload.afterRun (to upload a
            run again, or a partial one: jira-extractor upload --from RUN);
            --since builds on an earlier run (protocol version 2)
  apply     apply a plan (grant, revoke, create, remove, ...) to the job's
            site through the plugin (protocol version 2), with a progress
            line and a summary; --dry-run says what would change
  tickets   report the status of the Jira issues an apply run opened
            (protocol version 2)
  diff      write the change set between two runs of one site (protocol
            version 2)
  access    answer who holds a permission in a project (access who), or
            what a user holds (access what), from a finished run
            (protocol version 2)
  describe  print the plugin's name, version, entity and relation kinds and
            its job-file JSON Schema
  version   print the runner's version

Exit codes of run (the others': "extraction-runner help COMMAND"):
  0  complete
  1  failed: the run failed, was cancelled (SIGINT, SIGTERM) or timed out,
     the upload after the run failed, or the plugin could not be started
     or crashed
  2  bad usage or an invalid job file (each problem names its key)
  3  partial: finished, but some scopes could not be read (see warnings)

Run "extraction-runner help run" for the flags of a command.
`

func main() {
	os.Exit(runMain(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// commands are the commands of the runner that take flags, by name.
var commands = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) int{
	"run":      runCommand,
	"apply":    applyCommand,
	"describe": describeCommand,
	"tickets":  ticketsCommand,
	"diff":     diffCommand,
	"access":   accessCommand,
}

// runMain dispatches a command line and returns the exit code.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	if c, ok := commands[cmd]; ok {
		return c(ctx, rest, stdout, stderr)
	}
	switch cmd {
	case "version", "--version":
		fmt.Fprintf(stdout, "extraction-runner %s\n", version)
		return exitComplete
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			if c, ok := commands[rest[0]]; ok {
				help := []string{"--help"}
				if rest[0] == "access" {
					// help access who: the question comes first.
					help = append(rest[1:], "--help")
				}
				return c(ctx, help, stdout, stderr)
			}
		}
		fmt.Fprint(stdout, usage)
		return exitComplete
	default:
		fmt.Fprintf(stderr, "extraction-runner: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}

// usageError is a command-line mistake: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }
