package plugin

import (
	"os"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// LogLevelEnv names the variable through which a host sets the plugin's log
// level ("trace", "debug", "info", "warn", "error"); info when unset.
const LogLevelEnv = "JIRA_EXTRACTOR_LOG_LEVEL"

// Serve runs the plugin side: it serves the extractor over gRPC (with
// automatic mTLS when the host asks for it) until the host closes it, and
// logs in hclog's JSON form to stderr, where the host picks the records up.
// It is what cmd/jira-extractor runs when IsPluginMode is true; it exits the
// process when the host is done.
func Serve() {
	logger := pluginLogger()
	srv := NewServer(logger, nil)
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: versionedPlugins(srv),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return goplugin.DefaultGRPCServer(append(opts, ServerOptions(logger)...))
		},
		Logger: logger,
	})
	os.Exit(0)
}

// pluginLogger is the plugin process's logger: JSON lines on stderr.
func pluginLogger() hclog.Logger {
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
