package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/oklog/ulid/v2"

	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/progress"
	"github.com/govextract/jira-extractor/internal/progress/display"
	"github.com/govextract/jira-extractor/plugin"
	"github.com/govextract/jira-extractor/plugin/extractorv1"
)

const runHelp = `Usage: extraction-runner run --plugin PATH --config JOB.json [flags]

Starts the plugin, validates the job through it (exit 2 on problems, each
naming its key), runs it with a progress display on stderr, and prints a
summary (status, rows per kind, requests, throttling, duration, where the
output is). After a complete or partial run, stdout gets one line: the run
folder. With upload.afterRun in the job file, a complete run is then
uploaded.

SIGINT or SIGTERM cancels the run: the plugin stops within seconds, no
manifest is written, and the exit code is 1. So does --timeout.

Flags:
`

// runOptions are the run command's flags.
type runOptions struct {
	plugin        pluginFlags
	configPath    string
	out           string
	timeout       durationFlag
	allowInsecure bool
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var o runOptions
	o.plugin.register(fs)
	fs.StringVar(&o.configPath, "config", "", "path of the job file `JOB.json` (required)")
	fs.StringVar(&o.out, "out", "", "output destination `DEST` (a path, file:// URL or s3://bucket/prefix); replaces output.destination")
	fs.Var(&o.timeout, "timeout", "cancel the run after `DURATION` (e.g. 30m, 1h30m); unset: no limit")
	fs.BoolVar(&o.allowInsecure, "allow-insecure", false, "accept appConfig.insecureSkipVerify (turns off TLS certificate checks)")
	if err := parseFlags(fs, args, runHelp, stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return extractor.ExitComplete
		}
		printUsageError(stderr, "run", err)
		return extractor.ExitUsage
	}
	if err := o.plugin.check(); err != nil {
		printUsageError(stderr, "run", err)
		return extractor.ExitUsage
	}
	if o.configPath == "" {
		printUsageError(stderr, "run", &usageError{"--config is required: the path of the JSON job file"})
		return extractor.ExitUsage
	}
	data, err := os.ReadFile(o.configPath)
	if err != nil {
		fmt.Fprintf(stderr, "invalid job file:\n  --config: cannot read %s: %v (fix: pass the path of a readable JSON job file)\n", o.configPath, unwrapPathErr(err))
		return extractor.ExitUsage
	}
	r := &runner{opts: o, stdout: stdout, stderr: stderr, job: &extractorv1.Job{
		JobJson:   data,
		Overrides: &extractorv1.Overrides{OutputDestination: o.out, AllowInsecure: o.allowInsecure},
	}}
	return r.run(ctx)
}

// runner is one run command.
type runner struct {
	opts   runOptions
	stdout io.Writer
	stderr io.Writer
	job    *extractorv1.Job

	disp   *display.Display
	logger hclog.Logger
	last   progress.Snapshot
}

// interruptedError is the cancel cause when a signal arrives.
type interruptedError struct{ sig os.Signal }

func (e *interruptedError) Error() string { return "cancelled by " + signalName(e.sig) }

// timeoutError is the cancel cause when --timeout passes.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string { return "timed out after " + e.d.String() }

func (r *runner) run(parent context.Context) int {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func(done <-chan struct{}) {
		select {
		case s := <-sigs:
			cancel(&interruptedError{sig: s})
		case <-done:
		}
	}(ctx.Done())
	if d := r.opts.timeout.d; d > 0 {
		var cancelT context.CancelFunc
		ctx, cancelT = context.WithTimeoutCause(ctx, d, &timeoutError{d: d})
		defer cancelT()
	}

	r.disp = display.New(r.stderr, display.IsTerminal(r.stderr))
	cfg := r.opts.plugin.hostConfig(r.disp)
	r.logger = cfg.Logger
	host, err := plugin.Start(cfg)
	if err != nil {
		fmt.Fprintf(r.disp, "error: %v\n", err)
		return extractor.ExitFailed
	}
	// Kill stops the plugin process (gracefully, forcibly after 2 s) and
	// waits for it, on every path out of here.
	defer host.Kill()

	v, err := host.Validate(ctx, r.job)
	if err != nil {
		return r.failed(ctx, host, "", "", err)
	}
	if len(v.GetProblems()) > 0 {
		r.printProblems(v.GetProblems())
		return extractor.ExitUsage
	}

	runID := ulid.Make().String()
	location := plugin.RunLocation(v.GetDestination(), runID)
	started := false
	res, err := host.Extract(ctx, &extractorv1.ExtractRequest{Job: r.job, RunId: runID}, func(ev *extractorv1.ExtractResponse) {
		if !started {
			started = true
			fmt.Fprintf(r.disp, "run %s: extracting site %s into %s\n", runID, v.GetSite(), location)
		}
		r.event(ev)
	})
	if err != nil {
		return r.failed(ctx, host, runID, location, err)
	}
	return r.finished(ctx, res)
}

// event shows one event of the run.
func (r *runner) event(ev *extractorv1.ExtractResponse) {
	switch e := ev.GetEvent().(type) {
	case *extractorv1.ExtractResponse_Progress:
		r.last = plugin.ProgressFromProto(e.Progress)
		r.disp.Update(r.last)
	case *extractorv1.ExtractResponse_Warning:
		r.disp.Warn(e.Warning.GetScope(), e.Warning.GetMessage())
	case *extractorv1.ExtractResponse_Table:
		r.logger.Debug("table finished", "table", e.Table.GetName(), "kind", e.Table.GetKind(), "rows", e.Table.GetRows(), "files", len(e.Table.GetFiles()))
	case *extractorv1.ExtractResponse_Log:
		args := make([]interface{}, 0, 2*len(e.Log.GetAttrs()))
		for _, a := range e.Log.GetAttrs() {
			args = append(args, a.GetKey(), a.GetValue())
		}
		r.logger.Named("run").Log(hclog.LevelFromString(e.Log.GetLevel()), e.Log.GetMessage(), args...)
	}
}

// failed reports a run that ended without a result: cancelled, timed out,
// the plugin gone, or an RPC error. The plugin is stopped before returning.
func (r *runner) failed(ctx context.Context, host *plugin.Host, runID, location string, err error) int {
	if ctx.Err() != nil {
		cause := context.Cause(ctx)
		// Let the plugin wind down (it aborts the run: no manifest) and exit.
		host.Kill()
		if runID != "" {
			m := &manifest.Manifest{RunID: runID, Status: manifest.StatusCancelled, Requests: manifest.Requests{Total: r.last.Requests, Retries: r.last.Retries, Throttled: r.last.Throttled}}
			m.FinishedAt = time.Now()
			m.StartedAt = m.FinishedAt.Add(-r.last.Elapsed)
			r.disp.Done(m, "")
			fmt.Fprintf(r.disp, "error: run %s %v; no manifest was written, so %s is not a complete run\n", runID, cause, location)
		} else {
			r.disp.Done(nil, "")
			fmt.Fprintf(r.disp, "error: %v before the run started\n", cause)
		}
		return extractor.ExitFailed
	}
	r.disp.Done(nil, "")
	if errors.Is(err, plugin.ErrPluginExited) && runID != "" {
		fmt.Fprintf(r.disp, "error: run %s failed: %v\nno manifest was written, so %s is not a complete run\n", runID, err, location)
		return extractor.ExitFailed
	}
	fmt.Fprintf(r.disp, "error: %v\n", err)
	return extractor.ExitFailed
}

// finished reports the plugin's result and returns its exit code.
func (r *runner) finished(ctx context.Context, res *extractorv1.Result) int {
	if len(res.GetProblems()) > 0 {
		r.disp.Done(nil, "")
		r.printProblems(res.GetProblems())
		return extractor.ExitUsage
	}
	m := plugin.ManifestFromResult(res)
	if b := res.GetManifestJson(); len(b) > 0 {
		var full manifest.Manifest
		if err := json.Unmarshal(b, &full); err == nil {
			m = &full
		}
	}
	written := res.GetManifestLocation() != ""
	if written {
		r.disp.Done(m, res.GetLocation())
	} else {
		r.disp.Done(m, "")
	}
	if res.GetError() != "" {
		fmt.Fprintf(r.disp, "error: %s\n", res.GetError())
	}
	if !written {
		fmt.Fprintf(r.disp, "no manifest was written, so %s is not a complete run\n", res.GetLocation())
		return exitCodeOf(res)
	}
	fmt.Fprintln(r.stdout, res.GetLocation())
	if res.GetStatus() == manifest.StatusComplete {
		if err := r.uploadIfAsked(ctx, res.GetLocation()); err != nil {
			fmt.Fprintf(r.disp, "error: upload after run: %v\n", err)
			return extractor.ExitFailed
		}
	}
	return exitCodeOf(res)
}

// exitCodeOf is the result's exit code, 1 for a code outside the contract.
func exitCodeOf(res *extractorv1.Result) int {
	switch c := int(res.GetExitCode()); c {
	case extractor.ExitComplete, extractor.ExitFailed, extractor.ExitUsage, extractor.ExitPartial:
		return c
	}
	return extractor.ExitFailed
}

// uploadIfAsked uploads the run when the job file says upload.afterRun.
func (r *runner) uploadIfAsked(ctx context.Context, location string) error {
	job, err := plugin.ParseJob(r.job)
	if err != nil {
		return fmt.Errorf("read job file for upload: %w", err)
	}
	if job.Upload == nil || !job.Upload.AfterRun {
		return nil
	}
	fmt.Fprintf(r.disp, "uploading %s (upload.afterRun)\n", location)
	logger := slog.New(plugin.NewHCLogHandler(r.logger.Named("upload")))
	return uploadAfterRun(ctx, job, location, logger)
}

// printProblems lists a job's problems, each naming its key.
func (r *runner) printProblems(ps []*extractorv1.Problem) {
	fmt.Fprintf(r.disp, "invalid job file %s:\n", r.opts.configPath)
	for _, p := range ps {
		line := "  " + p.GetKey() + ": " + p.GetMessage()
		if p.GetFix() != "" {
			line += " (fix: " + p.GetFix() + ")"
		}
		fmt.Fprintln(r.disp, line)
	}
}

func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}
