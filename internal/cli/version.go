package cli

import (
	"context"
	"fmt"
	"runtime"

	"github.com/govextract/jira-extractor/extractor"
)

type versionFlags struct{ *cmdFlags }

func newVersionFlags() *versionFlags {
	f := &versionFlags{newCmdFlags("version", "version", "Prints the program's name, version, Go version and platform.", "jira-extractor version")}
	f.exits = "Exit codes:\n  0  printed\n  2  bad usage\n"
	return f
}

func cmdVersion(_ context.Context, args []string, env Env) int {
	f := newVersionFlags()
	pos, code, done := f.parse(args, env)
	if done {
		return code
	}
	if code, done := f.noArgs(pos, env); done {
		return code
	}
	fmt.Fprintf(env.Out, "%s %s (%s %s/%s)\n", extractor.Name, extractor.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return ExitOK
}
