package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/govextract/jira-extractor/plugin/extractorv1"
	"github.com/govextract/jira-extractor/plugin/host"
)

// session is a started plugin serving one request-and-answer command
// (tickets, diff, access): its context ends at the first SIGINT or
// SIGTERM, and a second one stops the plugin at once.
type session struct {
	h   *host.Host
	ctx context.Context
	end func()
}

// startSession starts the plugin of p, logging to w; onCancel says (on w)
// what a first signal does.
func startSession(parent context.Context, p pluginFlags, w io.Writer, onCancel string) (*session, error) {
	// Signals are caught from before the plugin starts: one that comes
	// while it starts cancels the command as soon as it is up.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	h, err := host.Start(p.hostConfig(w))
	if err != nil {
		signal.Stop(sigs)
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(parent)
	stop := make(chan struct{})
	s := &session{h: h, ctx: ctx}
	go watchSignals(w, sigs, cancel, h, stop, nil, onCancel)
	s.end = func() {
		signal.Stop(sigs)
		close(stop)
		cancel(nil)
		h.Kill()
	}
	return s, nil
}

// failed reports an RPC error: the cause when a signal ended the command.
func (s *session) failed(w io.Writer, cmd string, err error) int {
	if s.ctx.Err() != nil {
		err = context.Cause(s.ctx)
	}
	fmt.Fprintf(w, "extraction-runner %s: %v\n", cmd, err)
	return exitFailed
}

// readJobFile reads the job file at path for the plugin; an unreadable
// file is reported as a job-file problem (exit code 2).
func readJobFile(w io.Writer, path string, allowInsecure bool) (*extractorv1.Job, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(w, "invalid job file:\n  --config: cannot read %s: %v (fix: pass the path of a readable JSON job file)\n", path, unwrapPathErr(err))
		return nil, false
	}
	return &extractorv1.Job{JobJson: data, Overrides: &extractorv1.Overrides{AllowInsecure: allowInsecure}}, true
}

// printJobProblems lists a job's problems, each naming its key.
func printJobProblems(w io.Writer, path string, ps []*extractorv1.Problem) {
	fmt.Fprintf(w, "invalid job file %s:\n", path)
	for _, p := range ps {
		line := "  " + p.GetKey() + ": " + p.GetMessage()
		if p.GetFix() != "" {
			line += " (fix: " + p.GetFix() + ")"
		}
		fmt.Fprintln(w, line)
	}
}

// usageExit prints a command-line mistake and returns exit code 2.
func usageExit(w io.Writer, cmd string, err error) int {
	printUsageError(w, cmd, err)
	return exitUsage
}
