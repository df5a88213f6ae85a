package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/logging"
)

// cmdFlags is a command's flag set and the text of its --help.
type cmdFlags struct {
	fs       *flag.FlagSet
	cmd      string
	synopsis string // after the program name: "run --config JOB.json [flags]"
	about    string // what the command does
	example  string // one or more example lines, without the leading indent
	exits    string // exit codes; empty means the common table
}

func newCmdFlags(cmd, synopsis, about, example string) *cmdFlags {
	fs := flag.NewFlagSet(Prog+" "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &cmdFlags{fs: fs, cmd: cmd, synopsis: synopsis, about: about, example: example}
}

// help writes the command's complete help: usage, what it does, every flag,
// the exit codes and an example.
func (c *cmdFlags) help(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage:\n  %s %s\n\n%s\n", Prog, c.synopsis, strings.TrimSpace(c.about))
	n := 0
	c.fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		b.WriteString("\nFlags:\n")
		c.fs.VisitAll(func(f *flag.Flag) {
			name, usage := flag.UnquoteUsage(f)
			left := "--" + f.Name
			if name != "" {
				left += " " + name
			}
			fmt.Fprintf(&b, "  %-24s %s", left, usage)
			if def := f.DefValue; def != "" && def != "false" && def != "0" {
				fmt.Fprintf(&b, " (default %s)", def)
			}
			b.WriteString("\n")
		})
		b.WriteString("  --help                   print this help\n")
	}
	b.WriteString("\n")
	if c.exits != "" {
		b.WriteString(c.exits)
	} else {
		b.WriteString(exitCodesHelp)
	}
	b.WriteString("\nExample:\n")
	for _, l := range strings.Split(strings.TrimSpace(c.example), "\n") {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	_, _ = io.WriteString(w, b.String())
}

// parse parses args, allowing positional arguments between flags. With
// --help it prints the help to env.Out and returns done with ExitOK; on a
// bad flag it prints the error to env.Err and returns done with ExitUsage.
func (c *cmdFlags) parse(args []string, env Env) (positional []string, code int, done bool) {
	for {
		err := c.fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			c.help(env.Out)
			return nil, ExitOK, true
		}
		if err != nil {
			return nil, usageErr(env, c.cmd, typedFlag(err.Error(), args)), true
		}
		rest := c.fs.Args()
		if len(rest) == 0 {
			return positional, 0, false
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// typedFlag rewrites a flag package error so it shows the flag as the user
// typed it ("--foo", not the package's "-foo"), and says "unknown flag"
// for one that is not defined.
func typedFlag(msg string, args []string) string {
	const undefined = "flag provided but not defined: "
	unknown := strings.HasPrefix(msg, undefined)
	if unknown {
		msg = strings.TrimPrefix(msg, undefined)
	}
	i := strings.Index(msg, "-")
	if i < 0 {
		return msg
	}
	end := i + 1
	for end < len(msg) && msg[end] != ' ' && msg[end] != ':' {
		end++
	}
	name := strings.TrimLeft(msg[i:end], "-")
	for _, a := range args {
		if a == "--" {
			break
		}
		typed, _, _ := strings.Cut(a, "=")
		if strings.HasPrefix(typed, "-") && strings.TrimLeft(typed, "-") == name {
			msg = msg[:i] + typed + msg[end:]
			break
		}
	}
	if unknown {
		return "unknown flag " + msg
	}
	return msg
}

// noArgs rejects positional arguments.
func (c *cmdFlags) noArgs(pos []string, env Env) (int, bool) {
	if len(pos) > 0 {
		return usageErr(env, c.cmd, fmt.Sprintf("unexpected argument %q (flags start with --)", pos[0])), true
	}
	return 0, false
}

// jobFlags are the flags of every command that reads a job file.
type jobFlags struct {
	config        string
	allowInsecure bool
}

func (j *jobFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&j.config, "config", "", "the job file to read, `JOB.json` (required)")
	fs.BoolVar(&j.allowInsecure, "allow-insecure", false, "accept appConfig.insecureSkipVerify and scim.insecureSkipVerify (turns off TLS certificate checks)")
}

// logFlags choose the logs' level and format.
type logFlags struct {
	level, format string
}

func (l *logFlags) register(fs *flag.FlagSet, level string) {
	fs.StringVar(&l.level, "log-level", level, "log `LEVEL` (logs go to stderr): "+strings.Join(logging.Levels, ", "))
	fs.StringVar(&l.format, "log-format", "text", "log line `FORMAT`: "+strings.Join(logging.Formats, ", "))
}

// jobCmdFlags are the flags of a command that reads a job file, logs to
// stderr (warn by default) and prints a report as text or JSON: check and
// dry-run.
type jobCmdFlags struct {
	*cmdFlags
	job    jobFlags
	log    logFlags
	format string
}

func newJobCmdFlags(c *cmdFlags) *jobCmdFlags {
	f := &jobCmdFlags{cmdFlags: c}
	f.job.register(f.fs)
	f.log.register(f.fs, "warn")
	f.fs.StringVar(&f.format, "format", "text", "report `FORMAT` on stdout: text, or json (one JSON document)")
	return f
}

// start parses args, which must hold no positional argument, then makes
// the logger and loads the job. With done the command is over: --help was
// printed or a usage problem reported, and code is its exit code.
func (f *jobCmdFlags) start(ctx context.Context, args []string, env Env) (log *slog.Logger, job *config.Job, code int, done bool) {
	pos, code, done := f.parse(args, env)
	if done {
		return nil, nil, code, true
	}
	if code, done := f.noArgs(pos, env); done {
		return nil, nil, code, true
	}
	if f.format != "text" && f.format != "json" {
		return nil, nil, usageErr(env, f.cmd, fmt.Sprintf("--format %q: want text or json", f.format)), true
	}
	if log, code, done = newLogger(env, f.cmd, f.log, env.Err); done {
		return nil, nil, code, true
	}
	if job, code, done = loadJob(ctx, env, f.cmd, f.job); done {
		return nil, nil, code, true
	}
	return log, job, 0, false
}
