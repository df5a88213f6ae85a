package plugin

import (
	"fmt"
	"os"
)

// Crash points a test plugin binary may set in ServeOptions.CrashPoint, so
// hosts can be tested against a plugin that dies or panics mid-run. The
// production binary never sets one.
const (
	CrashExtractStart  = "extract-start"  // exit when Extract is called
	CrashAfterProgress = "after-progress" // exit at the second progress event, after the first was sent
	CrashPanicExtract  = "panic-extract"  // panic inside the Extract RPC
)

// CrashExitCode is the exit code of a test crash.
const CrashExitCode = 13

type crashPoint string

// at exits (or panics) when the configured point is p.
func (c crashPoint) at(p string) {
	if c == "" {
		return
	}
	if string(c) == p {
		// os.Stderr is go-plugin's stdio stream by now: write to fd 2, which
		// the host reads.
		fmt.Fprintf(os.NewFile(2, "stderr"), "test crash at %s\n", p)
		os.Exit(CrashExitCode)
	}
	if string(c) == CrashPanicExtract && p == CrashExtractStart {
		panic("test panic in Extract")
	}
}
