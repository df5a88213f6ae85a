package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/applycmd"
	"github.com/govextract/jira-extractor/internal/plan"
)

type applyFlags struct {
	*cmdFlags
	job        jobFlags
	log        logFlags
	plan       string
	out        string
	format     string
	dryRun     bool
	maxChanges int
	allowSelf  bool
	journal    string
	noProgress bool
}

const applyExits = `Exit codes:
  0  every action applied, unchanged (already as wanted) or ticketed; in a dry run, nothing failed
  1  nothing could run: credentials refused, site unreachable, output not writable, journal damaged
  2  bad usage, bad job file or bad plan (every problem at once, each with its action id and field)
  3  some actions failed, or were skipped by a guard (--max-changes, self-lockout) or an interruption
`

func newApplyFlags() *applyFlags {
	f := &applyFlags{cmdFlags: newCmdFlags("apply", "apply --config JOB.json --plan PLAN.json|PLAN.csv [--out DEST] [--format parquet|csv] [--dry-run] [--max-changes N] [--allow-self] [--journal PATH] [flags]", `
Changes access on the job's site as a plan says: grants and revokes group
memberships (member_of) and project role actors (has_role, user or group),
invites (create) and removes users, and, with appConfig.orgId and orgApiKey,
suspends, restores, deactivates and reactivates accounts.

A plan is JSON, {"actions": [...]}, or CSV with the same fields as columns:
id, op, relation, entity, from_type, from_id, to_type, to_id, email,
products, mode (see README "apply"). The whole plan is checked before the
first write; every problem is printed with its action id and field.

Every action reads its target first: one already as wanted comes out
"unchanged" and nothing is written, so running a plan twice changes nothing
twice. A write is made once; after a 5xx or a dropped connection the target
is read again before anything else. Outcomes: applied, unchanged, failed,
skipped, ticketed. An action with mode "ticket" (and, when the job has a
tickets section, a change the API refuses as one only a person can make,
such as a group synced from an identity provider) opens a Jira issue in
tickets.projectKey instead, found again by its dedupe label on a re-run;
"jira-extractor tickets" tracks those issues to done.

Safety: a plan of more than --max-changes actions is refused whole; an
action that would take access away from the job's own account is skipped
unless --allow-self. --dry-run reads every target and says what would
change, writing nothing to the site.

Written to DEST/RUN_ID: actions/part-00000.parquet (or .csv; one row per
action with its status, HTTP status, message and attempts) and
manifest.json last (kind "apply", counts per status). Stdout gets one line:
the apply run folder. Progress, the summary (counts per status, each failed
or skipped action with its message) and logs go to stderr.

Resume: every finished action is journaled. For a local DEST the journal
is DEST/.apply-journal/KEY.jsonl; for S3 it is
$XDG_STATE_HOME/jira-extractor/apply-journal/KEY.jsonl (default
~/.local/state); KEY comes from the site and the plan. Run the same plan
again after an interruption: finished actions are not done again. The
journal is removed when an apply goes through every action.`,
		"jira-extractor apply --config job.json --plan plan.json --dry-run\njira-extractor apply --config job.json --plan plan.csv --out ./applied --format csv")}
	f.exits = applyExits
	f.job.register(f.fs)
	f.fs.StringVar(&f.plan, "plan", "", "the plan to apply, `PLAN`.json or PLAN.csv (required)")
	f.fs.StringVar(&f.out, "out", "", "where to write the apply run, `DEST`: a path, file:// URL or s3://bucket/prefix (replaces output.destination)")
	f.fs.StringVar(&f.format, "format", "", "actions table `FORMAT`: parquet or csv (replaces output.format)")
	f.fs.BoolVar(&f.dryRun, "dry-run", false, "read every target and report what would change; write nothing to the site")
	f.fs.IntVar(&f.maxChanges, "max-changes", apply.DefaultMaxChanges, "refuse a plan of more than `N` actions (-1: no limit)")
	f.fs.BoolVar(&f.allowSelf, "allow-self", false, "allow actions that take access away from the job's own account")
	f.fs.StringVar(&f.journal, "journal", "", "keep the resume journal at `PATH` instead of the default (see above)")
	f.log.register(f.fs, "warn")
	f.fs.BoolVar(&f.noProgress, "no-progress", false, "do not show progress (the summary is still printed)")
	return f
}

func cmdApply(ctx context.Context, args []string, env Env) int {
	f := newApplyFlags()
	pos, code, done := f.parse(args, env)
	if done {
		return code
	}
	if code, done := f.noArgs(pos, env); done {
		return code
	}
	if f.plan == "" {
		return usageErr(env, "apply", "--plan PLAN.json|PLAN.csv is required: the actions to apply")
	}
	if f.maxChanges == 0 || f.maxChanges < -1 {
		return usageErr(env, "apply", fmt.Sprintf("--max-changes %d: want a number of actions of at least 1, or -1 for no limit", f.maxChanges))
	}
	log, code, done := newLogger(env, "apply", f.log, env.Err)
	if done {
		return code
	}
	job, _, jobBad := loadJob(ctx, env, "apply", f.job,
		override{flag: "--out", key: "output.destination", value: f.out},
		override{flag: "--format", key: "output.format", value: f.format})
	// The plan is read even when the job is bad, so every problem is
	// printed at once.
	p, err := plan.ReadFile(f.plan)
	if err == nil && job != nil {
		err = applycmd.Check(job, p)
	}
	if err != nil {
		fmt.Fprintf(env.Err, "%s apply: %v\n", Prog, err)
		var pe *plan.Error
		if errors.As(err, &pe) {
			fmt.Fprintf(env.Err, "Fix the plan and run again; nothing was read or written.\n")
		}
		return ExitUsage
	}
	if jobBad {
		return ExitUsage
	}

	d := applycmd.NewProgress(env.Err, env.Interactive && !f.noProgress)
	var onProgress func(apply.Progress)
	if !f.noProgress {
		onProgress = d.Update
	}
	res, err := applycmd.Apply(ctx, job, p, applycmd.Options{
		DryRun: f.dryRun, MaxChanges: f.maxChanges, AllowSelf: f.allowSelf, JournalPath: f.journal,
		Version: extractor.Version, Logger: log,
	}, onProgress)
	d.Done()
	if len(res.Apply.Outcomes) > 0 {
		applycmd.WriteSummary(env.Err, res)
	}
	if err != nil {
		fmt.Fprintf(env.Err, "%s apply: %v\n", Prog, err)
	}
	if res.Location != "" {
		// The one line on stdout, for scripts: OUT=$(jira-extractor apply ...).
		fmt.Fprintln(env.Out, res.Location)
	}
	return res.ExitCode
}
