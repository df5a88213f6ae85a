package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/govextract/jira-extractor/plugin"
	"github.com/govextract/jira-extractor/plugin/host"
)

// pluginFlags are the flags every command that starts a plugin has.
type pluginFlags struct {
	path     string
	sha256   string
	logLevel string
}

func (p *pluginFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.path, "plugin", "", "`PATH` of the extractor plugin binary (required)")
	fs.StringVar(&p.sha256, "plugin-sha256", "", "expected SHA-256 of the plugin binary as `HEX`; a binary that does not match is not started")
	fs.StringVar(&p.logLevel, "log-level", "warn", "`LEVEL` of the runner's and the plugin's logs (on stderr): trace, debug, info, warn, error or off")
}

// check validates the plugin flags.
func (p *pluginFlags) check() error {
	if p.path == "" {
		return &usageError{"--plugin is required: the path of the extractor plugin binary"}
	}
	if st, err := os.Stat(p.path); err != nil {
		return &usageError{fmt.Sprintf("--plugin %s: %v", p.path, unwrapPathErr(err))}
	} else if st.IsDir() {
		return &usageError{fmt.Sprintf("--plugin %s is a directory, not a plugin binary", p.path)}
	}
	if _, ok := plugin.ParseLevel(p.logLevel); !ok {
		return &usageError{fmt.Sprintf("--log-level %q: use trace, debug, info, warn, error or off", p.logLevel)}
	}
	return nil
}

// hostConfig is the host.Config of the flags, logging to w.
func (p *pluginFlags) hostConfig(w io.Writer) host.Config {
	level, _ := plugin.ParseLevel(p.logLevel)
	logger := hclog.New(&hclog.LoggerOptions{
		Name:   "runner",
		Level:  level,
		Output: w,
		Color:  hclog.ColorOff,
	})
	pluginLevel := p.logLevel
	if level == hclog.Off {
		pluginLevel = "error"
	}
	return host.Config{Path: p.path, SHA256: p.sha256, Logger: logger, LogLevel: pluginLevel}
}

// parseFlags parses args; it returns flag.ErrHelp after printing help.
func parseFlags(fs *flag.FlagSet, args []string, help string, stdout, stderr io.Writer) error {
	if err := parseUntilArg(fs, args, help, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q (flags only; see --help)", fs.Arg(0))}
	}
	return nil
}

// parseWithArgs parses args, allowing positional arguments between flags
// (diff OLD --out DEST NEW); it returns flag.ErrHelp after printing help.
func parseWithArgs(fs *flag.FlagSet, args []string, help string, stdout io.Writer) ([]string, error) {
	var pos []string
	for {
		if err := parseUntilArg(fs, args, help, stdout); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// parseUntilArg parses the flags of args up to the first positional
// argument (fs.Args() holds the rest); it returns flag.ErrHelp after
// printing help.
func parseUntilArg(fs *flag.FlagSet, args []string, help string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, help)
		printFlags(stdout, fs)
		return flag.ErrHelp
	}
	if err != nil {
		return &usageError{err.Error()}
	}
	return nil
}

// printUsageError reports a command-line mistake.
func printUsageError(stderr io.Writer, cmd string, err error) {
	fmt.Fprintf(stderr, "extraction-runner %s: %v\nRun \"extraction-runner %s --help\" for usage.\n", cmd, err, cmd)
}

// durationFlag is a flag.Value for an optional positive duration.
type durationFlag struct{ d time.Duration }

func (f *durationFlag) String() string {
	if f.d == 0 {
		return ""
	}
	return f.d.String()
}

func (f *durationFlag) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 {
		return fmt.Errorf("%q is not a positive duration like 30m or 1h30m", s)
	}
	f.d = d
	return nil
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// printFlags lists a command's flags in --name form with their defaults.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintln(w, line)
		if f.DefValue != "" && f.DefValue != "false" {
			usage += fmt.Sprintf(" (default %q)", f.DefValue)
		}
		fmt.Fprintf(w, "        %s\n", usage)
	})
}
