package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/oklog/ulid/v2"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/progress"
	"github.com/govextract/jira-extractor/internal/progress/display"
	"github.com/govextract/jira-extractor/plugin"
	"github.com/govextract/jira-extractor/plugin/extractorv1"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
	"github.com/govextract/jira-extractor/plugin/host"
)

const runHelp = `Usage: extraction-runner run --plugin PATH --config JOB.json [--since auto|DEST/RUN_ID] [flags]

Starts the plugin, validates the job through it (exit 2 on problems, each
naming its key), runs it with a progress display on stderr, and prints a
summary (status, rows per kind, requests, throttling, duration, where the
output is). After a complete or partial run, stdout gets one line: the run
folder.

--since makes an incremental run (the plugin must speak protocol version
2), as "jira-extractor run --since" does: a complete snapshot that reads
only what may have changed since the base run (auto: the latest complete
run of the same site in the destination; or DEST/RUN_ID), plus changes/
(the change set against the base run); the manifest names mode (incremental,
or full with the reason) and base_run.

With upload.afterRun in the job file, the plugin uploads a complete run as
part of the run (key from the environment or upload.keyId/keySecret); a
failed upload exits 1 with the run left complete, and
"jira-extractor upload --from RUN --config JOB.json" retries it.

SIGINT or SIGTERM (to the runner or to its whole process group) or
--timeout cancels the run: the plugin aborts it, removes the part files it
wrote and reports back, within --cancel-grace; the runner then says what was
removed, no manifest is written, and the exit code is 1. A second signal
stops the plugin at once (part files may then remain).

Flags:
`

// runOptions are the run command's flags.
type runOptions struct {
	plugin        pluginFlags
	configPath    string
	out           string
	timeout       durationFlag
	grace         durationFlag
	allowInsecure bool
	since         string
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	o := runOptions{grace: durationFlag{d: plugin.DefaultCancelGrace}}
	o.plugin.register(fs)
	fs.StringVar(&o.configPath, "config", "", "path of the job file `JOB.json` (required)")
	fs.StringVar(&o.out, "out", "", "output destination `DEST` (a path, file:// URL or s3://bucket/prefix); replaces output.destination")
	fs.Var(&o.timeout, "timeout", "cancel the run after `DURATION` (e.g. 30m, 1h30m); unset: no limit")
	fs.Var(&o.grace, "cancel-grace", "after a cancel, wait up to `DURATION` for the plugin to remove the run's part files")
	fs.BoolVar(&o.allowInsecure, "allow-insecure", false, "accept appConfig.insecureSkipVerify (turns off TLS certificate checks)")
	fs.StringVar(&o.since, "since", "", "incremental run: `auto` (the latest complete run of the site in DEST) or a base run DEST/RUN_ID; reads only what changed since, writes a complete run plus changes/")
	if err := parseFlags(fs, args, runHelp, stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitComplete
		}
		printUsageError(stderr, "run", err)
		return exitUsage
	}
	if err := o.plugin.check(); err != nil {
		printUsageError(stderr, "run", err)
		return exitUsage
	}
	if o.configPath == "" {
		printUsageError(stderr, "run", &usageError{"--config is required: the path of the JSON job file"})
		return exitUsage
	}
	data, err := os.ReadFile(o.configPath)
	if err != nil {
		fmt.Fprintf(stderr, "invalid job file:\n  --config: cannot read %s: %v (fix: pass the path of a readable JSON job file)\n", o.configPath, unwrapPathErr(err))
		return exitUsage
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
	forced atomic.Bool // a second signal stopped the plugin at once
}

// interruptedError is the cancel cause when a signal arrives.
type interruptedError struct{ sig os.Signal }

func (e *interruptedError) Error() string { return "cancelled by " + plugin.SignalName(e.sig) }

// timeoutError is the cancel cause when --timeout passes.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string { return "timed out after " + e.d.String() }

func (r *runner) run(parent context.Context) int {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if d := r.opts.timeout.d; d > 0 {
		var cancelT context.CancelFunc
		ctx, cancelT = context.WithTimeoutCause(ctx, d, &timeoutError{d: d})
		defer cancelT()
	}

	r.disp = display.New(r.stderr, display.IsTerminal(r.stderr))
	cfg := r.opts.plugin.hostConfig(r.disp)
	cfg.CancelGrace = r.opts.grace.d
	r.logger = cfg.Logger
	h, err := host.Start(cfg)
	if err != nil {
		fmt.Fprintf(r.disp, "error: %v\n", err)
		return exitFailed
	}
	// Kill stops the plugin process (gracefully, forcibly after 2 s) and
	// waits for it, on every path out of here: after a cancel, only once
	// the plugin has reported that it cleaned up (or the grace ran out).
	defer h.Kill()
	stopSignals := make(chan struct{})
	defer close(stopSignals)
	go r.onSignals(sigs, cancel, h, stopSignals)

	v, err := h.Validate(ctx, r.job)
	if err != nil {
		return r.failed(ctx, "", "", err)
	}
	if len(v.GetProblems()) > 0 {
		r.printProblems(v.GetProblems())
		return exitUsage
	}

	runID := ulid.Make().String()
	location := plugin.RunLocation(v.GetDestination(), runID)
	started := false
	onEvent := func(ev *extractorv1.ExtractResponse) {
		if !started {
			started = true
			fmt.Fprintf(r.disp, "run %s: extracting site %s into %s\n", runID, v.GetSite(), location)
		}
		r.event(ev)
	}
	req := &extractorv1.ExtractRequest{Job: r.job, RunId: runID}
	var res *extractorv1.Result
	if r.opts.since == "" {
		res, err = h.Extract(ctx, req, onEvent)
	} else {
		res, err = h.ExtractSince(ctx, &extractorv2.ExtractSinceRequest{Extract: req, Since: r.opts.since}, onEvent)
	}
	if err != nil {
		return r.failed(ctx, runID, location, err)
	}
	return r.finished(ctx, res)
}

// onSignals cancels the run at the first SIGINT or SIGTERM, and stops the
// plugin at once at the second.
func (r *runner) onSignals(sigs <-chan os.Signal, cancel context.CancelCauseFunc, h *host.Host, stop <-chan struct{}) {
	watchSignals(r.disp, sigs, cancel, h, stop, &r.forced,
		fmt.Sprintf("cancelling the run; waiting up to %s for the plugin to remove its part files", r.opts.grace.d))
}

// watchSignals cancels ctx (through cancel) at the first SIGINT or SIGTERM,
// saying what happens next (first), and kills the plugin at the second,
// setting forced (when not nil). It returns when stop is closed.
func watchSignals(w io.Writer, sigs <-chan os.Signal, cancel context.CancelCauseFunc, h *host.Host, stop <-chan struct{}, forced *atomic.Bool, first string) {
	select {
	case s := <-sigs:
		fmt.Fprintf(w, "%s: %s (signal again to stop it at once)\n", plugin.SignalName(s), first)
		cancel(&interruptedError{sig: s})
	case <-stop:
		return
	}
	select {
	case s := <-sigs:
		fmt.Fprintf(w, "%s again: stopping the plugin now\n", plugin.SignalName(s))
		if forced != nil {
			forced.Store(true)
		}
		h.Kill()
	case <-stop:
	}
}

// event shows one event of the run.
func (r *runner) event(ev *extractorv1.ExtractResponse) {
	switch e := ev.GetEvent().(type) {
	case *extractorv1.ExtractResponse_Progress:
		r.last = progressFromProto(e.Progress)
		r.disp.Update(r.last)
	case *extractorv1.ExtractResponse_Warning:
		r.disp.Warn(e.Warning.GetScope(), e.Warning.GetMessage())
	case *extractorv1.ExtractResponse_Table:
		r.logger.Debug("table finished", "table", e.Table.GetName(), "kind", e.Table.GetKind(), "rows", e.Table.GetRows(), "files", len(e.Table.GetFiles()))
	case *extractorv1.ExtractResponse_Upload:
		fmt.Fprintf(r.disp, "uploading %s (upload.afterRun)\n", e.Upload.GetLocation())
	case *extractorv1.ExtractResponse_Log:
		args := make([]interface{}, 0, 2*len(e.Log.GetAttrs()))
		for _, a := range e.Log.GetAttrs() {
			args = append(args, a.GetKey(), a.GetValue())
		}
		r.logger.Named("run").Log(hclog.LevelFromString(e.Log.GetLevel()), e.Log.GetMessage(), args...)
	}
}

// failed reports a run that ended without a result: the plugin gone or
// stopped, no result within the cancel grace, or an RPC error.
func (r *runner) failed(ctx context.Context, runID, location string, err error) int {
	if ctx.Err() != nil {
		cause := context.Cause(ctx)
		if runID == "" {
			r.disp.Done(nil, "")
			fmt.Fprintf(r.disp, "error: %v before the run started\n", cause)
			return exitFailed
		}
		r.disp.Done(r.cancelledManifest(runID), "")
		switch {
		case r.forced.Load():
			fmt.Fprintf(r.disp, "error: run %s %v and stopped at once: part files may remain in %s; no manifest was written, so it is not a complete run\n", runID, cause, location)
		case errors.Is(err, plugin.ErrNoResultInGrace):
			fmt.Fprintf(r.disp, "error: run %s %v, but the plugin did not finish removing its part files within %s (--cancel-grace): some may remain in %s; no manifest was written, so it is not a complete run\n", runID, cause, r.opts.grace.d, location)
		case errors.Is(err, host.ErrPluginExited):
			fmt.Fprintf(r.disp, "error: run %s %v, but the plugin exited before reporting its cleanup: part files may remain in %s; no manifest was written\n%v\n", runID, cause, location, err)
		default:
			fmt.Fprintf(r.disp, "error: run %s %v; no manifest was written, so %s is not a complete run\n", runID, cause, location)
		}
		return exitFailed
	}
	r.disp.Done(nil, "")
	if errors.Is(err, host.ErrPluginExited) && runID != "" {
		fmt.Fprintf(r.disp, "error: run %s failed: %v\nno manifest was written, so %s is not a complete run\n", runID, err, location)
		return exitFailed
	}
	fmt.Fprintf(r.disp, "error: %v\n", err)
	return exitFailed
}

// cancelledManifest is the summary of a run cancelled before the plugin
// could report it.
func (r *runner) cancelledManifest(runID string) *manifest.Manifest {
	m := &manifest.Manifest{RunID: runID, Status: manifest.StatusCancelled, Requests: manifest.Requests{Total: r.last.Requests, Retries: r.last.Retries, Throttled: r.last.Throttled}}
	m.FinishedAt = time.Now()
	m.StartedAt = m.FinishedAt.Add(-r.last.Elapsed)
	return m
}

// finished reports the plugin's result and returns its exit code.
func (r *runner) finished(ctx context.Context, res *extractorv1.Result) int {
	if len(res.GetProblems()) > 0 {
		r.disp.Done(nil, "")
		r.printProblems(res.GetProblems())
		return exitUsage
	}
	m := manifestFromResult(res)
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
	if !written {
		r.reportUnfinished(ctx, res)
		return exitCodeOf(res)
	}
	if res.GetError() != "" {
		fmt.Fprintf(r.disp, "error: %s\n", res.GetError())
	}
	fmt.Fprintln(r.stdout, res.GetLocation())
	switch u := res.GetUpload(); u.GetStatus() {
	case "uploaded":
		fmt.Fprintf(r.disp, "uploaded %s (upload.afterRun)\n", u.GetLocation())
	case "failed":
		fmt.Fprintf(r.disp, "error: upload after run: %s\nthe run is complete at %s; retry the upload with 'jira-extractor upload --from %s --config %s'\n", u.GetError(), u.GetLocation(), u.GetLocation(), r.opts.configPath)
	case "skipped":
		fmt.Fprintf(r.disp, "upload.afterRun skipped: %s\n", u.GetError())
	}
	return exitCodeOf(res)
}

// reportUnfinished explains a run that wrote no manifest: why, and what
// became of its part files.
func (r *runner) reportUnfinished(ctx context.Context, res *extractorv1.Result) {
	why := res.GetStatus()
	if res.GetStatus() == manifest.StatusCancelled && ctx.Err() != nil {
		why = context.Cause(ctx).Error()
	} else if res.GetError() != "" {
		fmt.Fprintf(r.disp, "error: %s\n", res.GetError())
	}
	files := "part files"
	if res.GetRemovedFiles() == 1 {
		files = "part file"
	}
	if res.GetCleanupError() != "" {
		fmt.Fprintf(r.disp, "run %s %s, but removing its part files failed: %s; remove %s by hand. No manifest was written.\n", res.GetRunId(), why, res.GetCleanupError(), res.GetLocation())
		return
	}
	fmt.Fprintf(r.disp, "run %s %s: removed %d %s from %s; no manifest was written, so it is not a complete run\n", res.GetRunId(), why, res.GetRemovedFiles(), files, res.GetLocation())
}

// exitCodeOf is the result's exit code, 1 for a code outside the contract.
func exitCodeOf(res *extractorv1.Result) int {
	switch c := int(res.GetExitCode()); c {
	case exitComplete, exitFailed, exitUsage, exitPartial:
		return c
	}
	return exitFailed
}

// printProblems lists a job's problems, each naming its key.
func (r *runner) printProblems(ps []*extractorv1.Problem) {
	printJobProblems(r.disp, r.opts.configPath, ps)
}
