// Command v1plugin is the Jira extractor plugin as a build from before
// protocol version 2: it serves version 1 only. Tests build it to check
// that a host offering version 2 still works with such a plugin and says
// clearly that apply needs version 2.
package main

import (
	"fmt"
	"os"

	"github.com/govextract/jira-extractor/internal/pluginserver"
	"github.com/govextract/jira-extractor/plugin"
)

func main() {
	if !plugin.IsPluginMode() {
		fmt.Fprintln(os.Stderr, "v1plugin is a test plugin: start it from a go-plugin host")
		os.Exit(1)
	}
	logger := plugin.DefaultLogger()
	plugin.Serve(pluginserver.New(pluginserver.Options{Logger: logger}), plugin.ServeOptions{Logger: logger, Versions: []int{1}})
}
