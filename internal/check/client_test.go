package check

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/testsupport/attack"
)

// realClient is a Jira client for the simulator at url with extra job keys.
func realClient(t *testing.T, url string, extra map[string]any) (*jira.Client, jira.Options) {
	t.Helper()
	job, err := config.Parse(simtest.Job(t, url, t.TempDir(), extra), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts := job.Resolve().Job.Jira
	opts.Version = "test"
	c, err := jira.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, opts
}

// A probe answered 429 every time is retried MaxRetries times, like any
// other failure, not ThrottleRetryFactor times more.
func TestCheckRetriesA429Twice(t *testing.T) {
	_, base := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1})
	throttled := attack.Inject(t, base, attack.Match{Path: "/rest/api/3/users/search", Times: -1}, attack.Answer{Status: 429,
		Header: http.Header{"Retry-After": {"0"}, "Content-Type": {"application/json"}}, Body: `{"errorMessages":["Rate limit exceeded."]}`})
	c, app := realClient(t, throttled.URL, map[string]any{"appConfig.maxRetries": 6})
	rep, err := Run(context.Background(), c, app)
	if err != nil {
		t.Fatal(err)
	}
	if r := result(t, rep, "user"); r.State != Failed || !strings.Contains(r.Detail, "429") {
		t.Fatalf("user probe %+v", r)
	}
	if n := throttled.Fired(); n != 1+MaxRetries {
		t.Fatalf("users/search sent %d times, want %d", n, 1+MaxRetries)
	}
}

// A wrong token's message is printed whole: what to fix and the server's
// words, not cut off in the middle.
func TestWrongTokenMessageIsWhole(t *testing.T) {
	_, base := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1})
	c, app := realClient(t, base, map[string]any{"appConfig.token": sim.DefaultEmail + ":wrong-token-123456"})
	rep, err := Run(context.Background(), c, app)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep.Print(&out)
	text := out.String()
	if rep.AuthErr == nil || !strings.Contains(text, rep.AuthErr.Error()) || strings.Count(text, "(") != strings.Count(text, ")") || strings.Contains(text, "...") {
		t.Fatalf("report:\n%s\nwant the whole error: %v", text, rep.AuthErr)
	}
}
