package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/oklog/ulid/v2"

	"github.com/govextract/jira-extractor/internal/diffcmd/summary"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

const diffHelp = `Usage: extraction-runner diff --plugin PATH OLD_RUN NEW_RUN [--out DEST] [--format parquet|csv] [--config JOB.json]

Writes, through the plugin (protocol version 2), the change set between two
complete runs of one site, as "jira-extractor diff" does: every entity and
relation added, removed or updated from OLD_RUN to NEW_RUN, effective access
included, as

  DEST/RUN_ID/changes/part-00000.parquet
  DEST/RUN_ID/manifest.json   (written last)

with the columns change (added, removed, updated), record (entity or
relation), kind, source_id, from_type, from_id, to_type, to_id, before and
after (the row's attributes as JSON). The runs are paths, file:// URLs or
s3://bucket/prefix/RUN_ID; for S3, --config gives the output.s3 options of
a job file. Stdout gets the change set's folder; stderr the change counts,
the time taken and the plugin's peak RSS. SIGINT or SIGTERM stops the diff:
the plugin removes what it wrote, and the exit code is 1.

Exit codes:
  0  the change set is written
  1  a run cannot be read (incomplete, missing), the change set cannot be
     written, the plugin could not be started or speaks protocol version 1
     only, or a signal stopped it
  2  bad usage, or runs of two different sites

Flags:
`

func diffCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	var p pluginFlags
	var out, format, configPath string
	var allowInsecure bool
	p.register(fs)
	fs.StringVar(&out, "out", "./out", "where to write the change set, `DEST`: a path, file:// URL or s3://bucket/prefix")
	fs.StringVar(&format, "format", "parquet", "file `FORMAT`: parquet or csv")
	fs.StringVar(&configPath, "config", "", "optional job file whose output.s3 options reach S3 runs and destinations: `JOB.json`")
	fs.BoolVar(&allowInsecure, "allow-insecure", false, "accept appConfig.insecureSkipVerify and scim.insecureSkipVerify in the --config job file")
	pos, err := parseWithArgs(fs, args, diffHelp, stdout)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitComplete
		}
		return usageExit(stderr, "diff", err)
	}
	if err := p.check(); err != nil {
		return usageExit(stderr, "diff", err)
	}
	switch {
	case len(pos) != 2:
		return usageExit(stderr, "diff", &usageError{"give exactly two runs: OLD_RUN NEW_RUN (each DEST/RUN_ID)"})
	case format != "parquet" && format != "csv":
		return usageExit(stderr, "diff", &usageError{fmt.Sprintf("--format %q: use parquet or csv", format)})
	}
	req := &extractorv2.DiffRequest{OldRun: pos[0], NewRun: pos[1], Out: out, Format: format, RunId: ulid.Make().String()}
	if configPath != "" {
		var ok bool
		if req.Job, ok = readJobFile(stderr, configPath, allowInsecure); !ok {
			return exitUsage
		}
	}
	s, err := startSession(ctx, p, stderr, "stopping the diff; the plugin removes what it wrote")
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return exitFailed
	}
	defer s.end()
	res, err := s.h.Diff(s.ctx, req)
	if err != nil {
		return s.failed(stderr, "diff", err)
	}
	return diffFinished(stdout, stderr, configPath, res)
}

// diffFinished prints the plugin's result as jira-extractor diff does.
func diffFinished(stdout, stderr io.Writer, configPath string, res *extractorv2.DiffResult) int {
	switch {
	case len(res.GetJobProblems()) > 0:
		printJobProblems(stderr, configPath, res.GetJobProblems())
		return exitUsage
	case res.GetExitCode() == exitUsage:
		return usageExit(stderr, "diff", &usageError{res.GetError()})
	case res.GetError() != "" || res.GetExitCode() != exitComplete:
		fmt.Fprintf(stderr, "extraction-runner diff: %s\n", res.GetError())
		return exitOf(res.GetExitCode())
	}
	summary.Write(stderr, res.GetRows(), res.GetCounts(), res.GetOldRun(), res.GetNewRun(), res.GetDuration().AsDuration(), res.GetPeakRssBytes())
	fmt.Fprintln(stdout, res.GetLocation())
	return exitComplete
}
