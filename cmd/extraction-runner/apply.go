package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/oklog/ulid/v2"

	"github.com/govextract/jira-extractor/internal/progress/display"
	"github.com/govextract/jira-extractor/plugin"
	"github.com/govextract/jira-extractor/plugin/extractorv1"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
	"github.com/govextract/jira-extractor/plugin/host"
)

const applyHelp = `Usage: extraction-runner apply --plugin PATH --config JOB.json --plan PLAN.json|PLAN.csv [flags]

Starts the plugin (it must speak plugin protocol version 2) and applies a
plan to the job's site through it: grants and revokes group memberships and
project role actors, invites, removes, suspends, restores, deactivates and
reactivates users. The plan is {"actions": [...]} (JSON) or a CSV with the
same fields as columns; its format comes from the file name. The runner
reads the plan and the job file and passes them to the plugin as they are.

The whole plan and the job are checked before the first write: every
problem is printed (the job's with its key, the plan's with its action id
and field) and the exit code is 2. Each action reads its target first: one
already as wanted comes out "unchanged", so applying the same plan again
changes nothing twice. Outcomes: applied, unchanged, ticketed, failed,
skipped.

Stderr shows a progress line (actions done of total, counts per status),
then a summary: counts per status, each failed or skipped action with its
message, and where the apply run is. The plugin writes the apply run to
DEST/RUN_ID: actions/part-00000.parquet (or .csv; one row per action: id,
op, relation, entity, from_type, from_id, to_type, to_id, status,
http_status, message, ticket_key, attempts, started_at, finished_at) and
manifest.json last (kind "apply", counts per status). Stdout gets one line:
the apply run folder.

SIGINT or SIGTERM (to the runner or its process group) or --timeout stops
the apply: no action starts after it, the actions under way finish, and the
actions table is still written (status "cancelled"); a second signal stops
the plugin at once. Running the same plan again resumes it.

Exit codes:
  0  every action applied, unchanged or ticketed (in a dry run: nothing failed)
  1  nothing could run: the plugin could not be started or speaks protocol
     version 1 only, credentials refused, site unreachable, output not
     writable
  2  bad usage, bad job file or bad plan (every problem at once)
  3  some actions failed, or were skipped by a guard (--max-changes,
     self-lockout) or an interruption

Flags:
`

// applyOptions are the apply command's flags.
type applyOptions struct {
	plugin        pluginFlags
	configPath    string
	planPath      string
	out           string
	dryRun        bool
	maxChanges    int
	allowSelf     bool
	allowInsecure bool
	noProgress    bool
	timeout       durationFlag
	grace         durationFlag
}

// defaultMaxChanges is the plugin's default --max-changes.
const defaultMaxChanges = 1000

// maxListed bounds the failed and skipped actions the summary lists.
const maxListed = 50

func applyCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	o := applyOptions{grace: durationFlag{d: plugin.DefaultCancelGrace}}
	o.plugin.register(fs)
	fs.StringVar(&o.configPath, "config", "", "path of the job file `JOB.json` (required)")
	fs.StringVar(&o.planPath, "plan", "", "the plan to apply, `PLAN`.json or PLAN.csv (required)")
	fs.StringVar(&o.out, "out", "", "where to write the apply run, `DEST`: a path, file:// URL or s3://bucket/prefix (replaces output.destination)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "read every target and report what would change; write nothing to the site")
	fs.IntVar(&o.maxChanges, "max-changes", defaultMaxChanges, "refuse a plan of more than `N` actions (-1: no limit)")
	fs.BoolVar(&o.allowSelf, "allow-self", false, "allow actions that take access away from the job's own account")
	fs.BoolVar(&o.allowInsecure, "allow-insecure", false, "accept appConfig.insecureSkipVerify (turns off TLS certificate checks)")
	fs.BoolVar(&o.noProgress, "no-progress", false, "do not show the progress line (the summary is still printed)")
	fs.Var(&o.timeout, "timeout", "stop the apply after `DURATION` (e.g. 30m); unset: no limit")
	fs.Var(&o.grace, "cancel-grace", "after a stop, wait up to `DURATION` for the plugin to finish the actions under way and report")
	if err := parseFlags(fs, args, applyHelp, stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitComplete
		}
		printUsageError(stderr, "apply", err)
		return exitUsage
	}
	if err := o.check(); err != nil {
		printUsageError(stderr, "apply", err)
		return exitUsage
	}
	job, err := os.ReadFile(o.configPath)
	if err != nil {
		fmt.Fprintf(stderr, "invalid job file:\n  --config: cannot read %s: %v (fix: pass the path of a readable JSON job file)\n", o.configPath, unwrapPathErr(err))
		return exitUsage
	}
	format, data, err := readPlan(o.planPath)
	if err != nil {
		fmt.Fprintf(stderr, "invalid plan:\n  --plan: %v\n", err)
		return exitUsage
	}
	a := &applyRun{opts: o, stdout: stdout, stderr: stderr, req: &extractorv2.ApplyRequest{
		Job:        &extractorv1.Job{JobJson: job, Overrides: &extractorv1.Overrides{OutputDestination: o.out, AllowInsecure: o.allowInsecure}},
		Plan:       data,
		PlanFormat: format,
		DryRun:     o.dryRun,
		MaxChanges: int64(o.maxChanges),
		AllowSelf:  o.allowSelf,
	}}
	return a.run(ctx)
}

// check validates the flags that need no file.
func (o *applyOptions) check() error {
	if err := o.plugin.check(); err != nil {
		return err
	}
	if o.configPath == "" {
		return &usageError{"--config is required: the path of the JSON job file"}
	}
	if o.planPath == "" {
		return &usageError{"--plan is required: the plan to apply, PLAN.json or PLAN.csv"}
	}
	if o.maxChanges == 0 || o.maxChanges < -1 {
		return &usageError{fmt.Sprintf("--max-changes %d: want a number of actions of at least 1, or -1 for no limit", o.maxChanges)}
	}
	return nil
}

// readPlan reads a plan file of at most plugin.MaxPlanBytes; its format
// comes from its name.
func readPlan(path string) (format string, data []byte, err error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		format = plugin.PlanJSON
	case ".csv":
		format = plugin.PlanCSV
	default:
		return "", nil, fmt.Errorf("%s: unknown plan format (fix: name the file .json or .csv)", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", nil, fmt.Errorf("cannot read %s: %v (fix: pass the path of a readable plan file)", path, unwrapPathErr(err))
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, plugin.MaxPlanBytes+1))
	if err != nil {
		return "", nil, fmt.Errorf("read %s: %v", path, err)
	}
	if len(data) > plugin.MaxPlanBytes {
		return "", nil, fmt.Errorf("%s is larger than %d MiB (fix: split the plan into smaller ones)", path, plugin.MaxPlanBytes>>20)
	}
	return format, data, nil
}

// applyRun is one apply command.
type applyRun struct {
	opts   applyOptions
	stdout io.Writer
	stderr io.Writer
	req    *extractorv2.ApplyRequest

	out    *lineWriter
	logger hclog.Logger
	forced atomic.Bool // a second signal stopped the plugin at once

	mu     sync.Mutex
	listed []*extractorv2.ActionResult // failed and skipped actions
}

func (a *applyRun) run(parent context.Context) int {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if d := a.opts.timeout.d; d > 0 {
		var cancelT context.CancelFunc
		ctx, cancelT = context.WithTimeoutCause(ctx, d, &timeoutError{d: d})
		defer cancelT()
	}

	a.out = newLineWriter(a.stderr, display.IsTerminal(a.stderr))
	cfg := a.opts.plugin.hostConfig(a.out)
	cfg.CancelGrace = a.opts.grace.d
	a.logger = cfg.Logger
	h, err := host.Start(cfg)
	if err != nil {
		fmt.Fprintf(a.out, "error: %v\n", err)
		return exitFailed
	}
	defer h.Kill()
	stopSignals := make(chan struct{})
	defer close(stopSignals)
	go a.onSignals(sigs, cancel, h, stopSignals)

	a.req.RunId = ulid.Make().String()
	res, err := h.Apply(ctx, a.req, a.event)
	a.out.endLine()
	if err != nil {
		return a.failed(ctx, err)
	}
	return a.finished(ctx, res)
}

// onSignals stops the apply at the first SIGINT or SIGTERM, and the plugin
// at once at the second.
func (a *applyRun) onSignals(sigs <-chan os.Signal, cancel context.CancelCauseFunc, h *host.Host, stop <-chan struct{}) {
	watchSignals(a.out, sigs, cancel, h, stop, &a.forced,
		fmt.Sprintf("stopping the apply; waiting up to %s for the actions under way to finish", a.opts.grace.d))
}

// event shows one event of the apply.
func (a *applyRun) event(ev *extractorv2.ApplyResponse) {
	switch e := ev.GetEvent().(type) {
	case *extractorv2.ApplyResponse_Progress:
		if !a.opts.noProgress {
			p := e.Progress
			a.out.progress(fmt.Sprintf("apply: %d/%d actions done (%s)", p.GetDone(), p.GetTotal(), countsLine(p.GetCounts())), p.GetDone() >= p.GetTotal())
		}
	case *extractorv2.ApplyResponse_Action:
		if s := e.Action.GetStatus(); s == "failed" || s == "skipped" {
			a.mu.Lock()
			a.listed = append(a.listed, e.Action)
			a.mu.Unlock()
		}
	case *extractorv2.ApplyResponse_Warning:
		fmt.Fprintf(a.out, "warning: %s: %s\n", e.Warning.GetScope(), e.Warning.GetMessage())
	case *extractorv2.ApplyResponse_Log:
		args := make([]interface{}, 0, 2*len(e.Log.GetAttrs()))
		for _, at := range e.Log.GetAttrs() {
			args = append(args, at.GetKey(), at.GetValue())
		}
		a.logger.Named("apply").Log(hclog.LevelFromString(e.Log.GetLevel()), e.Log.GetMessage(), args...)
	}
}

// failed reports an apply that ended without a result.
func (a *applyRun) failed(ctx context.Context, err error) int {
	switch {
	case ctx.Err() != nil && a.forced.Load():
		fmt.Fprintf(a.out, "error: apply %s %v and the plugin was stopped at once: the actions table may be missing; running the same plan again resumes it\n", a.req.GetRunId(), context.Cause(ctx))
	case errors.Is(err, plugin.ErrNoResultInGrace):
		fmt.Fprintf(a.out, "error: apply %s %v, but the plugin did not report within %s (--cancel-grace); running the same plan again resumes it\n", a.req.GetRunId(), context.Cause(ctx), a.opts.grace.d)
	default:
		fmt.Fprintf(a.out, "error: %v\n", err)
	}
	return exitFailed
}

// finished prints the problems or the summary of the plugin's result and
// returns its exit code.
func (a *applyRun) finished(ctx context.Context, res *extractorv2.ApplyResult) int {
	if len(res.GetJobProblems())+len(res.GetPlanProblems()) > 0 {
		a.printProblems(res)
		return exitUsage
	}
	if res.GetTotal() > 0 && (res.GetLocation() != "" || sum(res.GetCounts()) > 0) {
		a.writeSummary(res)
	}
	if res.GetError() != "" {
		why := res.GetError()
		if ctx.Err() != nil {
			why = context.Cause(ctx).Error() + ": " + why
		}
		fmt.Fprintf(a.out, "error: %s\n", why)
	}
	if res.GetLocation() != "" {
		fmt.Fprintln(a.stdout, res.GetLocation())
	}
	switch c := int(res.GetExitCode()); c {
	case exitComplete, exitFailed, exitUsage, exitPartial:
		return c
	}
	return exitFailed
}

// writeSummary prints counts per status, each failed or skipped action
// with its message (in plan order), and where the apply run is.
func (a *applyRun) writeSummary(res *extractorv2.ApplyResult) {
	var b strings.Builder
	kind := "apply"
	if res.GetDryRun() {
		kind = "dry-run"
	}
	fmt.Fprintf(&b, "%s: %d actions: %s", kind, res.GetTotal(), countsLine(res.GetCounts()))
	if n := res.GetResumed(); n > 0 {
		fmt.Fprintf(&b, " (%d from the journal of an earlier apply)", n)
	}
	b.WriteString("\n")
	a.mu.Lock()
	listed := append([]*extractorv2.ActionResult(nil), a.listed...)
	a.mu.Unlock()
	sort.SliceStable(listed, func(i, j int) bool { return listed[i].GetIndex() < listed[j].GetIndex() })
	for i, o := range listed {
		if i == maxListed {
			fmt.Fprintf(&b, "  ... and %d more: see the actions table\n", len(listed)-maxListed)
			break
		}
		fmt.Fprintf(&b, "  %-9s %q: %s\n", o.GetStatus(), o.GetId(), o.GetMessage())
	}
	if res.GetLocation() != "" {
		fmt.Fprintf(&b, "actions table and manifest: %s\n", res.GetLocation())
	}
	if res.GetJournalKept() {
		fmt.Fprintf(&b, "the apply was interrupted; journal kept at %s: run the same plan again to finish it (done actions are not repeated)\n", res.GetJournal())
	}
	_, _ = io.WriteString(a.out, b.String())
}

// printProblems lists every problem of the job and the plan.
func (a *applyRun) printProblems(res *extractorv2.ApplyResult) {
	if ps := res.GetJobProblems(); len(ps) > 0 {
		printJobProblems(a.out, a.opts.configPath, ps)
	}
	if ps := res.GetPlanProblems(); len(ps) > 0 {
		fmt.Fprintf(a.out, "invalid plan %s:\n", a.opts.planPath)
		for _, p := range ps {
			fmt.Fprintf(a.out, "  %s\n", planProblemLine(p))
		}
	}
	fmt.Fprintln(a.out, "Fix them and run again; nothing was read or written.")
}

// planProblemLine renders a plan problem as the CLI does: the action (id
// quoted, and where it is), the field, the message.
func planProblemLine(p *extractorv2.PlanProblem) string {
	var b strings.Builder
	switch {
	case p.GetActionId() != "" && p.GetWhere() != "":
		fmt.Fprintf(&b, "action %q (%s)", p.GetActionId(), p.GetWhere())
	case p.GetActionId() != "":
		fmt.Fprintf(&b, "action %q", p.GetActionId())
	case p.GetWhere() != "":
		fmt.Fprintf(&b, "action at %s", p.GetWhere())
	default:
		b.WriteString("plan")
	}
	if p.GetField() != "" {
		fmt.Fprintf(&b, ": field %s", p.GetField())
	}
	b.WriteString(": " + p.GetMessage())
	return b.String()
}

// countsLine renders counts per status in report order:
// "applied 3, unchanged 1, ticketed 0, failed 0, skipped 2".
func countsLine(counts map[string]int64) string {
	parts := make([]string, len(plugin.ActionStatuses))
	for i, s := range plugin.ActionStatuses {
		parts[i] = fmt.Sprintf("%s %d", s, counts[s])
	}
	return strings.Join(parts, ", ")
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// lineWriter is stderr with a progress line: on a terminal the line is
// redrawn in place (at most 10 times a second) and other output goes above
// it; elsewhere a progress line is printed every 10 seconds and when all
// actions are done.
type lineWriter struct {
	w           io.Writer
	interactive bool
	every       time.Duration

	mu    sync.Mutex
	line  string // drawn in place, "" when none
	last  time.Time
	final bool
}

func newLineWriter(w io.Writer, interactive bool) *lineWriter {
	every := 10 * time.Second
	if interactive {
		every = 100 * time.Millisecond
	}
	return &lineWriter{w: w, interactive: interactive, every: every}
}

// Write writes p above the progress line.
func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.line != "" {
		fmt.Fprint(l.w, "\r\033[K")
	}
	n, err := l.w.Write(p)
	if l.line != "" {
		fmt.Fprint(l.w, l.line)
	}
	return n, err
}

// progress shows line; done marks the last one, which is always shown.
func (l *lineWriter) progress(line string, done bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if l.final || (!done && now.Sub(l.last) < l.every) {
		return
	}
	l.last, l.final = now, done
	if l.interactive {
		fmt.Fprintf(l.w, "\r\033[K%s", line)
		l.line = line
		return
	}
	fmt.Fprintln(l.w, line)
}

// endLine ends a line drawn in place, so what follows starts on its own.
func (l *lineWriter) endLine() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.line != "" {
		fmt.Fprintln(l.w)
		l.line = ""
	}
}
