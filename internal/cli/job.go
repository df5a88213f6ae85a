package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/logging"
)

// override is a command-line flag that replaces a job-file key.
type override struct {
	flag  string // "--out"
	key   string // "output.destination"
	value string
}

// loadJob reads and validates the job file named by --config, applies the
// overrides, and on any problem prints every one (key, message, fix) and
// returns done with ExitUsage.
func loadJob(env Env, cmd string, jf jobFlags, overrides ...override) (job *config.Job, code int, done bool) {
	if jf.config == "" {
		return nil, usageErr(env, cmd, "--config JOB.json is required: the job file with appConfig and output"), true
	}
	var set []override
	for _, o := range overrides {
		if o.value != "" {
			set = append(set, o)
		}
	}
	opts := config.Options{AllowInsecure: jf.allowInsecure}
	job, err := config.Load(jf.config, opts)
	if err == nil && len(set) > 0 {
		job, err = reparse(jf.config, set, opts)
	}
	if err == nil {
		return job, 0, false
	}
	var inv *config.InvalidError
	if !errors.As(err, &inv) {
		fmt.Fprintf(env.Err, "%s %s: %v\n", Prog, cmd, err)
		return nil, ExitUsage, true
	}
	printProblems(env.Err, cmd, jf.config, inv, set)
	return nil, ExitUsage, true
}

// reparse applies the overrides to the raw job file and validates the
// result again, so defaults that depend on them (compression by format)
// follow.
func reparse(path string, set []override, opts config.Options) (*config.Job, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read job file %s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("read job file %s: %w", path, err)
	}
	for _, o := range set {
		parts := strings.Split(o.key, ".")
		m := raw
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = o.value
	}
	patched, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("apply overrides: %w", err)
	}
	return config.Parse(patched, opts)
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
