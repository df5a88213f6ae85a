package main

import (
	"github.com/govextract/jira-extractor/internal/pluginserver"
	"github.com/govextract/jira-extractor/plugin"
)

// servePlugin serves the extractor plugin protocol and returns true when a
// go-plugin host started this process (its magic cookie is in the
// environment); otherwise it returns false and the CLI runs.
func servePlugin() bool {
	if !plugin.IsPluginMode() {
		return false
	}
	pluginserver.Serve()
	return true
}
