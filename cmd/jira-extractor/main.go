// Command jira-extractor extracts identity and access data from a Jira Cloud
// site. Started by a go-plugin host it serves the extractor plugin protocol;
// started by a person it is the standalone CLI (run, dry-run, check, schema,
// verify, upload, version).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/govextract/jira-extractor/internal/cli"
	"github.com/govextract/jira-extractor/internal/progress/display"
)

func main() {
	if servePlugin() {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one ends the process at once.
		<-ctx.Done()
		stop()
	}()
	code := cli.Main(ctx, os.Args[1:], cli.Env{Out: os.Stdout, Err: os.Stderr, Interactive: display.IsTerminal(os.Stderr)})
	stop()
	os.Exit(code)
}
