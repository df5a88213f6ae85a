package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/logging"
	"github.com/govextract/jira-extractor/internal/output/store"
)

// override is a command-line flag that replaces a job-file key.
type override struct {
	flag  string // "--out"
	key   string // "output.destination"
	value string
}

// loadJob reads the job file named by --config once (bounded, and ended by
// a cancelled ctx), applies the overrides, and validates it. On any problem
// it prints every one (key, message, fix) and returns done with ExitUsage;
// cancelled while reading, it returns done with ExitFailed.
func loadJob(ctx context.Context, env Env, cmd string, jf jobFlags, overrides ...override) (job *config.Job, code int, done bool) {
	if jf.config == "" {
		return nil, usageErr(env, cmd, "--config JOB.json is required: the job file with appConfig and output"), true
	}
	var set []override
	opts := config.Options{AllowInsecure: jf.allowInsecure, Set: map[string]string{}}
	for _, o := range overrides {
		if o.value != "" {
			set = append(set, o)
			opts.Set[o.key] = o.value
		}
	}
	job, err := config.Load(ctx, jf.config, opts)
	if err == nil {
		return job, 0, false
	}
	var inv *config.InvalidError
	if !errors.As(err, &inv) {
		fmt.Fprintf(env.Err, "%s %s: %v\n", Prog, cmd, err)
		if ctx.Err() != nil {
			return nil, ExitFailed, true
		}
		return nil, ExitUsage, true
	}
	printProblems(env.Err, cmd, jf.config, inv, set)
	return nil, ExitUsage, true
}

// printProblems prints every problem of a job file, naming the flag when an
// override caused it.
func printProblems(w io.Writer, cmd, path string, inv *config.InvalidError, set []override) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: invalid job file %s (%d problem(s)):\n", Prog, cmd, filepath.Clean(path), len(inv.Problems))
	for _, p := range inv.Problems {
		key := p.Key
		for _, o := range set {
			if o.key == p.Key {
				key = fmt.Sprintf("%s (%s on the command line)", p.Key, o.flag)
			}
		}
		fmt.Fprintf(&b, "  %s: %s\n", key, p.Message)
		if p.Fix != "" {
			fmt.Fprintf(&b, "      fix: %s\n", p.Fix)
		}
	}
	_, _ = io.WriteString(w, b.String())
}

// newLogger builds the logger of --log-level and --log-format writing to w;
// a bad value is a usage error.
func newLogger(env Env, cmd string, lf logFlags, w io.Writer) (*slog.Logger, int, bool) {
	log, err := logging.New(w, lf.level, lf.format)
	if err != nil {
		return nil, usageErr(env, cmd, err.Error()), true
	}
	return log, 0, false
}

// readerS3Options gives the S3 options for reading runs: those of the job
// file when --config names one, else none (the default AWS chain).
func readerS3Options(ctx context.Context, env Env, cmd string, jf jobFlags) (opts *store.S3Options, code int, done bool) {
	if jf.config == "" {
		return nil, 0, false
	}
	job, code, done := loadJob(ctx, env, cmd, jf)
	if done {
		return nil, code, true
	}
	return job.Output.S3Options(), 0, false
}
