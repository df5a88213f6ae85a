package pluginserver

import "github.com/govextract/jira-extractor/plugin"

// Serve serves the Jira extractor to the go-plugin host that started this
// process, and exits the process when the host is done (see plugin.Serve:
// a signal or the host's death cancels the run, which cleans up first).
func Serve() {
	logger := plugin.DefaultLogger()
	plugin.Serve(New(Options{Logger: logger}), plugin.ServeOptions{Logger: logger})
}
