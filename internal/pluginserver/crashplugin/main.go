// Command crashplugin is the Jira extractor plugin with a test crash point:
// tests of hosts build it to get a plugin that exits or panics mid-run. The
// crash point (a plugin.Crash* name) comes from the CRASHPLUGIN_POINT
// variable, which only this test binary reads; the jira-extractor binary has
// no crash point.
package main

import (
	"fmt"
	"os"

	"github.com/govextract/jira-extractor/internal/pluginserver"
	"github.com/govextract/jira-extractor/plugin"
)

// PointEnv names the variable holding the crash point.
const PointEnv = "CRASHPLUGIN_POINT"

func main() {
	if !plugin.IsPluginMode() {
		fmt.Fprintln(os.Stderr, "crashplugin is a test plugin: start it from a go-plugin host")
		os.Exit(1)
	}
	logger := plugin.DefaultLogger()
	plugin.Serve(pluginserver.New(pluginserver.Options{Logger: logger}), plugin.ServeOptions{Logger: logger, CrashPoint: os.Getenv(PointEnv)})
}
