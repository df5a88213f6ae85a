package plugin

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// LogLevelEnv names the variable through which a host sets the plugin's log
// level ("trace", "debug", "info", "warn", "error"); info when unset.
const LogLevelEnv = "JIRA_EXTRACTOR_LOG_LEVEL"

// Defaults of ServeOptions.
const (
	// DefaultParentCheck is how often the plugin checks that its host is
	// still there.
	DefaultParentCheck = 250 * time.Millisecond
	// DefaultCleanupWait bounds how long the plugin waits, before it exits,
	// for its runs to abort and remove their part files.
	DefaultCleanupWait = 45 * time.Second
)

// ErrHostGone is the cancel cause of runs whose host process went away (it
// was killed without stopping its plugin).
var ErrHostGone = errors.New("the host process is gone")

// SignalError is the cancel cause of runs stopped by a signal to the
// plugin process.
type SignalError struct{ Signal os.Signal }

func (e *SignalError) Error() string { return "plugin received " + SignalName(e.Signal) }

// SignalName is the conventional name of SIGINT and SIGTERM.
func SignalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// ServeOptions tune Serve.
type ServeOptions struct {
	// Logger is the plugin's logger; nil logs JSON lines to stderr (where
	// the host picks the records up) at the level in LogLevelEnv.
	Logger hclog.Logger
	// ParentCheck is how often to check that the host is still there; 0
	// means DefaultParentCheck.
	ParentCheck time.Duration
	// CleanupWait bounds the wait for runs to clean up before the process
	// exits; 0 means DefaultCleanupWait.
	CleanupWait time.Duration
	// CrashPoint makes the process crash at a named point (Crash*
	// constants). Only test plugin binaries set it.
	CrashPoint string
	// Versions limits the protocol versions served (none: every version
	// in ProtocolVersions). Only test plugin binaries set it, to play an
	// older plugin.
	Versions []int
}

// Serve runs the plugin side: it serves impl over gRPC (with automatic mTLS
// when the host asks for it) until the host stops it, then exits the
// process.
//
// It never leaves a run half-written behind:
//   - SIGINT and SIGTERM (a Ctrl-C or a stop sent to the whole process
//     group) cancel the runs in progress instead of ending the process;
//     each run aborts, removes its part files and reports its Result to
//     the host, which then stops the plugin.
//   - When the host process goes away without stopping the plugin (it was
//     SIGKILLed: the plugin is re-parented), the runs are cancelled, and
//     the process exits once they have cleaned up. Writes to the dead
//     host's stderr pipe fail instead of raising SIGPIPE.
//   - When the host stops the plugin mid-run, the process waits for the
//     runs' cleanup before it exits.
func Serve(impl Extractor, opts ServeOptions) {
	logger := opts.Logger
	if logger == nil {
		logger = DefaultLogger()
	}
	wait := opts.CleanupWait
	if wait <= 0 {
		wait = DefaultCleanupWait
	}
	base, stopRuns := context.WithCancelCause(context.Background())
	srv := NewGRPCServer(base, impl, opts.CrashPoint)

	// Logs go to stderr, a pipe the host reads. When the host dies, a write
	// there must fail (and be dropped), not kill the process with SIGPIPE
	// before its runs have cleaned up.
	signal.Ignore(syscall.SIGPIPE)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		for s := range sigs {
			logger.Info("signal received: cancelling the runs in progress", "signal", SignalName(s))
			stopRuns(&SignalError{Signal: s})
		}
	}()
	go watchParent(opts.ParentCheck, func() {
		logger.Warn("the host process is gone: cancelling the runs in progress and exiting")
		stopRuns(ErrHostGone)
		if !srv.Wait(wait) {
			logger.Error("runs did not finish cleaning up in time", "waited", wait.String())
		}
		os.Exit(1)
	})

	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: VersionedPlugins(srv, opts.Versions...),
		GRPCServer: func(gopts []grpc.ServerOption) *grpc.Server {
			return goplugin.DefaultGRPCServer(append(gopts, ServerOptions(logger)...))
		},
		Logger: logger,
	})
	// The host stopped the plugin: runs still going were cancelled with
	// their streams; let them remove what they wrote.
	stopRuns(errors.New("the host stopped the plugin"))
	if !srv.Wait(wait) {
		logger.Error("runs did not finish cleaning up in time", "waited", wait.String())
	}
	os.Exit(0)
}

// watchParent calls gone once this process's parent changes (the host
// died and the process was re-parented).
func watchParent(every time.Duration, gone func()) {
	if every <= 0 {
		every = DefaultParentCheck
	}
	ppid := os.Getppid()
	t := time.NewTicker(every)
	defer t.Stop()
	for range t.C {
		if os.Getppid() != ppid {
			gone()
			return
		}
	}
}

// DefaultLogger is the plugin process's logger: JSON lines on stderr at the
// level in LogLevelEnv (info when unset).
func DefaultLogger() hclog.Logger {
	level := hclog.Info
	if l, ok := ParseLevel(os.Getenv(LogLevelEnv)); ok {
		level = l
	}
	return hclog.New(&hclog.LoggerOptions{
		Level:      level,
		Output:     os.Stderr,
		JSONFormat: true,
	})
}

// ParseLevel reads a level name ("trace", "debug", "info", "warn", "error",
// "off"); ok is false for anything else.
func ParseLevel(s string) (hclog.Level, bool) {
	l := hclog.LevelFromString(s)
	return l, l != hclog.NoLevel
}
