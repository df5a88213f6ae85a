package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/govextract/jira-extractor/plugin"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

const accessHelp = `Usage: extraction-runner access who  --plugin PATH --run DEST/RUN_ID --project KEY|ID [--permission KEY|*] [--format table|json|csv]
       extraction-runner access what --plugin PATH --run DEST/RUN_ID --user ACCOUNTID|EMAIL [--permission KEY|*] [--format table|json|csv]

Answers, through the plugin (protocol version 2), who can do what, and why,
from a finished run (local or S3), resolving on demand for any permission;
stdout gets exactly what "jira-extractor access" prints for the same flags.

  access who   lists the users who hold --permission (default
               ADMINISTER_PROJECTS; * for every permission) in --project,
               grouped by path
  access what  lists, project by project, the project roles --user holds
               and the permissions they hold (every permission unless
               --permission names one)

Each answer names its path (the "via"): user, group:GROUPID,
project_role:ROLEID, project_role:ROLEID/group:GROUPID, project_lead,
application_role:KEY/group:GROUPID or anyone ("jira-extractor help access"
explains them). --format json prints one object a line; csv a header row
and one row per answer. For an S3 run, --config gives the output.s3 options
of a job file. Notes of the run's manifest go to stderr.

Exit codes:
  0  answered (an empty answer too)
  1  the run cannot be read (missing, incomplete or unreadable), or the
     plugin could not be started or speaks protocol version 1 only
  2  bad usage, or an unknown project, user or permission (the closest
     match is suggested)
`

func accessCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usageExit(stderr, "access", &usageError{"name a question: access who or access what"})
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, accessHelp+"\nRun \"extraction-runner access who --help\" or \"extraction-runner access what --help\" for their flags.\n")
		return exitComplete
	case plugin.AccessWho, plugin.AccessWhat:
	default:
		return usageExit(stderr, "access", &usageError{fmt.Sprintf("unknown question %q: use access who or access what", args[0])})
	}
	req := &extractorv2.AccessRequest{Question: args[0]}
	cmd := "access " + req.Question
	var p pluginFlags
	var configPath string
	var allowInsecure bool
	fs := accessFlags(req.Question, req, &p, &configPath, &allowInsecure)
	if err := parseFlags(fs, args[1:], accessHelp+"\nFlags of "+cmd+":\n", stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitComplete
		}
		return usageExit(stderr, cmd, err)
	}
	if err := accessCheck(&p, req); err != nil {
		return usageExit(stderr, cmd, err)
	}
	if configPath != "" {
		var ok bool
		if req.Job, ok = readJobFile(stderr, configPath, allowInsecure); !ok {
			return exitUsage
		}
	}
	s, err := startSession(ctx, p, stderr, "stopping the answer")
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return exitFailed
	}
	defer s.end()
	var writeErr error
	res, err := s.h.Access(s.ctx, req, func(ev *extractorv2.AccessResponse) {
		switch e := ev.GetEvent().(type) {
		case *extractorv2.AccessResponse_Output:
			if _, err := stdout.Write(e.Output); err != nil && writeErr == nil {
				writeErr = err
			}
		case *extractorv2.AccessResponse_Note:
			fmt.Fprintf(stderr, "note: %s\n", e.Note)
		}
	})
	switch {
	case err != nil:
		return s.failed(stderr, cmd, err)
	case len(res.GetJobProblems()) > 0:
		printJobProblems(stderr, configPath, res.GetJobProblems())
		return exitUsage
	case res.GetExitCode() == exitUsage:
		return usageExit(stderr, cmd, &usageError{res.GetError()})
	case res.GetError() != "":
		fmt.Fprintf(stderr, "extraction-runner %s: %s\n", cmd, res.GetError())
		return exitOf(res.GetExitCode())
	case writeErr != nil:
		fmt.Fprintf(stderr, "extraction-runner %s: write answer: %v\n", cmd, writeErr)
		return exitFailed
	}
	return exitOf(res.GetExitCode())
}

// accessFlags are the flags of access who and access what, filling req.
func accessFlags(question string, req *extractorv2.AccessRequest, p *pluginFlags, configPath *string, allowInsecure *bool) *flag.FlagSet {
	fs := flag.NewFlagSet("access "+question, flag.ContinueOnError)
	p.register(fs)
	fs.StringVar(&req.Run, "run", "", "the run folder `DEST/RUN_ID`: a path, file:// URL or s3://bucket/prefix/RUN_ID (required)")
	if question == plugin.AccessWho {
		fs.StringVar(&req.Project, "project", "", "access who: the project, by `KEY` or id (required)")
		fs.StringVar(&req.Permission, "permission", "ADMINISTER_PROJECTS", "the permission `KEY`, or * for every permission (access what: default *)")
	} else {
		fs.StringVar(&req.User, "user", "", "access what: the user, by `ACCOUNTID` or email (required)")
		fs.StringVar(&req.Permission, "permission", "*", "only this permission `KEY`; * for every permission")
	}
	fs.StringVar(&req.Format, "format", "table", "output `FORMAT`: table (grouped by path), json (one object a line) or csv")
	fs.StringVar(configPath, "config", "", "optional job file whose output.s3 options are used to reach an S3 run: `JOB.json`")
	fs.BoolVar(allowInsecure, "allow-insecure", false, "accept appConfig.insecureSkipVerify and scim.insecureSkipVerify in the --config job file")
	return fs
}

// accessCheck checks the flags that need no plugin, with the CLI's
// messages (the plugin checks the rest).
func accessCheck(p *pluginFlags, req *extractorv2.AccessRequest) error {
	if err := p.check(); err != nil {
		return err
	}
	switch {
	case req.GetRun() == "":
		return &usageError{"--run DEST/RUN_ID is required: the folder of a finished run"}
	case req.GetQuestion() == plugin.AccessWho && req.GetProject() == "":
		return &usageError{"--project KEY|ID is required"}
	case req.GetQuestion() == plugin.AccessWhat && req.GetUser() == "":
		return &usageError{"--user ACCOUNTID|EMAIL is required"}
	case req.GetFormat() != "table" && req.GetFormat() != "json" && req.GetFormat() != "csv":
		return &usageError{fmt.Sprintf("unknown --format %q: use table, json or csv", req.GetFormat())}
	case req.GetPermission() == "":
		return &usageError{`--permission is empty: give a key such as ADMINISTER_PROJECTS, or "*"`}
	}
	return nil
}
