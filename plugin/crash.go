package plugin

import (
	"fmt"
	"os"
)

// CrashEnv names the test-only switch that makes the plugin process exit
// with code 13 (or panic) at a named point, so hosts can be tested against
// a plugin that dies mid-run.
const CrashEnv = "JIRA_EXTRACTOR_TEST_CRASH"

// Crash points understood in CrashEnv.
const (
	crashExtractStart  = "extract-start"  // exit when Extract is called
	crashAfterProgress = "after-progress" // exit at the second progress event, after the first was sent
	crashPanicExtract  = "panic-extract"  // panic inside the Extract RPC
)

// crashExitCode is the exit code of a test crash.
const crashExitCode = 13

type crashPoint string

func crashPointFromEnv() crashPoint { return crashPoint(os.Getenv(CrashEnv)) }

// at exits (or panics) when the configured point is p.
func (c crashPoint) at(p string) {
	if string(c) == p {
		// os.Stderr is go-plugin's stdio stream by now: write to fd 2, which
		// the host reads.
		fmt.Fprintf(os.NewFile(2, "stderr"), "test crash at %s\n", p)
		os.Exit(crashExitCode)
	}
	if string(c) == crashPanicExtract && p == crashExtractStart {
		panic("test panic in Extract")
	}
}
