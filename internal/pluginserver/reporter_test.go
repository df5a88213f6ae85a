package pluginserver

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/plugin/extractorv1"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

// TestReporterBadInput: bad requests to Tickets, Diff and Access come back
// with exit code 2 and the CLI's message, before anything is read.
func TestReporterBadInput(t *testing.T) {
	s := New(Options{})
	ctx := context.Background()
	dir := t.TempDir()
	tk, err := s.Tickets(ctx, &extractorv2.TicketsRequest{Run: dir, Format: "xml"})
	if err != nil || tk.GetExitCode() != 2 || !strings.Contains(tk.GetError(), `unknown --format "xml": use table, json or csv`) {
		t.Errorf("tickets --format xml: %v, %v", tk, err)
	}
	tk, err = s.Tickets(ctx, &extractorv2.TicketsRequest{Run: dir})
	if err != nil || tk.GetExitCode() != 2 || len(tk.GetJobProblems()) == 0 {
		t.Errorf("tickets without a job: %v, %v", tk, err)
	}
	df, err := s.Diff(ctx, &extractorv2.DiffRequest{OldRun: dir, NewRun: dir, Format: "orc"})
	if err != nil || df.GetExitCode() != 2 || !strings.Contains(df.GetError(), `--format "orc": use parquet or csv`) {
		t.Errorf("diff --format orc: %v, %v", df, err)
	}
	df, err = s.Diff(ctx, &extractorv2.DiffRequest{OldRun: dir, NewRun: dir, Job: &extractorv1.Job{JobJson: []byte(`{"output":{"bogus":1}}`)}})
	if err != nil || df.GetExitCode() != 2 || len(df.GetJobProblems()) == 0 {
		t.Errorf("diff with a bad job: %v, %v", df, err)
	}
	df, err = s.Diff(ctx, &extractorv2.DiffRequest{OldRun: filepath.Join(dir, "a"), NewRun: filepath.Join(dir, "b"), Out: filepath.Join(dir, "out")})
	if err != nil || df.GetExitCode() != 1 || df.GetError() == "" || df.GetLocation() != "" {
		t.Errorf("diff of missing runs: %v, %v", df, err)
	}
	for _, c := range []struct {
		req  *extractorv2.AccessRequest
		want string
	}{
		{&extractorv2.AccessRequest{Question: "when", Run: dir}, `unknown question "when"`},
		{&extractorv2.AccessRequest{Question: "who", Run: dir, Permission: "*"}, "--project KEY|ID is required"},
		{&extractorv2.AccessRequest{Question: "what", Run: dir, User: "u"}, "--permission is empty"},
		{&extractorv2.AccessRequest{Question: "what", Run: dir, User: "u", Permission: "*", Format: "xml"}, `unknown --format "xml"`},
	} {
		var events int
		res, err := s.Access(ctx, c.req, func(*extractorv2.AccessResponse) error { events++; return nil })
		if err != nil || res.GetExitCode() != 2 || !strings.Contains(res.GetError(), c.want) || events != 0 {
			t.Errorf("access %v: %v, %v, %d events; want exit 2 and %q", c.req, res, err, events, c.want)
		}
	}
	res, err := s.Access(ctx, &extractorv2.AccessRequest{Question: "who", Run: filepath.Join(dir, "gone"), Project: "WEB", Permission: "*"}, func(*extractorv2.AccessResponse) error { return nil })
	if err != nil || res.GetExitCode() != 1 || res.GetError() == "" {
		t.Errorf("access of a missing run: %v, %v", res, err)
	}
}

// TestTicketsKeepsSecrets: a site that cannot be reached fails the tickets
// report with exit code 1, and neither the error nor the hint holds the
// job's token.
func TestTicketsKeepsSecrets(t *testing.T) {
	const secret = "s3cr3t-T0KEN-value"
	job := []byte(`{"appConfig":{"token":"me@example.com:` + secret + `","siteName":"acme","baseUrl":"http://127.0.0.1:1","maxRetries":0},"output":{"destination":"` + t.TempDir() + `"}}`)
	tk, err := New(Options{}).Tickets(context.Background(), &extractorv2.TicketsRequest{Job: &extractorv1.Job{JobJson: job}, Run: filepath.Join(t.TempDir(), "run")})
	if err != nil || tk.GetExitCode() != 1 || tk.GetError() == "" {
		t.Fatalf("tickets of a missing run: %v, %v", tk, err)
	}
	if strings.Contains(tk.String(), secret) {
		t.Errorf("the response holds the token: %v", tk)
	}
}
