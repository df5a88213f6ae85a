package extractor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/config"
)

func parseJob(t *testing.T, doc map[string]any) *config.Job {
	t.Helper()
	b, _ := json.Marshal(doc)
	job, err := config.Parse(b, config.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// The dry run of a job with scim says what the SCIM part reads: the
// directory's totals, and per endpoint the requests the run then makes,
// exactly (discovery, and one request per page of users and of groups).
// With appConfig too, the Jira part is planned as before.
func TestDryRunSCIM(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  sim.SCIMConfig
		scim map[string]any // replaces scim keys
		jira bool
	}{
		{"scim only, SCIM 2.0", sim.SCIMConfig{PageSize: 30}, nil, false},
		{"scim only, SCIM 1.1 without discovery", sim.SCIMConfig{PageSize: 100}, map[string]any{"version": 1, "readSchema": false}, false},
		{"with appConfig", sim.SCIMConfig{PageSize: 45}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, url := simtest.StartSim(t, sim.Config{Seed: 31, SCIM: tc.cfg})
			sec := scimSection(srv, url)
			for k, v := range tc.scim {
				sec[k] = v
			}
			if tc.scim["version"] == 1 {
				sec["baseUrl"] = srv.SCIMBaseURL(url, 1)
			}
			dest := t.TempDir()
			doc := map[string]any{"scim": sec, "output": map[string]any{"destination": dest}}
			if tc.jira {
				doc = simtest.JobMap(url, dest, map[string]any{"scim": sec, "appConfig.requestsPerSecond": 2000, "appConfig.burst": 100})
			}
			job := parseJob(t, doc)
			p, err := extractor.DryRun(context.Background(), job.Resolve().Job, extractor.RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			users, groups := countTruth(srv.SCIMTruth())
			sp := p.SCIM
			if p.ExitCode() != extractor.ExitComplete || sp == nil || sp.Users != users || sp.Groups != groups {
				t.Fatalf("plan %+v, scim %+v; want users %d groups %d and no problem", p, sp, users, groups)
			}
			if (p.TokenKind != "") != tc.jira || sp.Discovered != (tc.scim["readSchema"] == nil) {
				t.Fatalf("token kind %q, discovered %v", p.TokenKind, sp.Discovered)
			}
			if entries, _ := os.ReadDir(dest); len(entries) != 0 {
				t.Fatalf("dry run wrote %d entries", len(entries))
			}
			res, err := extractor.Run(context.Background(), job.Resolve().Job, extractor.RunOptions{RunID: "r"})
			if err != nil {
				t.Fatal(err)
			}
			by := res.Manifest.Requests.ByEndpoint
			var scimSteps int64
			for _, s := range p.Steps {
				if strings.HasPrefix(s.Endpoint, "GET /rest/") || strings.HasPrefix(s.Endpoint, "GET /admin/") {
					continue // the Jira part, tested elsewhere
				}
				scimSteps += s.Requests
				if by[s.Endpoint] != s.Requests {
					t.Errorf("%s: planned %d, the run made %d", s.Endpoint, s.Requests, by[s.Endpoint])
				}
			}
			if scimSteps != sp.PlannedRequests || scimSteps == 0 {
				t.Errorf("SCIM steps add up to %d, the plan says %d", scimSteps, sp.PlannedRequests)
			}
			if !tc.jira && (scimSteps != p.PlannedRequests || res.Manifest.Requests.Total != p.PlannedRequests) {
				t.Errorf("a SCIM-only run made %d requests, planned %d", res.Manifest.Requests.Total, p.PlannedRequests)
			}
			requirePrinted(t, p)
		})
	}
}

func countTruth(tr sim.Truth) (users, groups int64) {
	for _, e := range tr.Entities {
		if e.SourceType == "user" {
			users++
		} else {
			groups++
		}
	}
	return users, groups
}

// requirePrinted checks the plan's text and JSON show the SCIM part.
func requirePrinted(t *testing.T, p *extractor.Plan) {
	t.Helper()
	var text, js bytes.Buffer
	if err := p.Print(&text); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "scim directory") || !strings.Contains(text.String(), "GET /Users") || !strings.Contains(text.String(), p.SCIM.Base) {
		t.Fatalf("printed plan without its SCIM part:\n%s", text.String())
	}
	var back struct {
		SCIM *extractor.SCIMPlan `json:"scim"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.SCIM == nil || *back.SCIM != *p.SCIM {
		t.Fatalf("JSON scim %+v, want %+v (%v)", back.SCIM, p.SCIM, err)
	}
}

// A refused SCIM credential fails the dry run at once, naming the
// setting; a directory behind a self-signed certificate names
// scim.insecureSkipVerify.
func TestDryRunSCIMRefused(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Seed: 31})
	sec := map[string]any{"baseUrl": srv.SCIMBaseURL(url, 2), "auth": map[string]any{"token": "wrong-scim-token-1"}}
	_, err := extractor.DryRun(context.Background(), parseJob(t, map[string]any{"scim": sec}).Resolve().Job, extractor.RunOptions{})
	if err == nil || !strings.Contains(err.Error(), "scim.auth.token") || strings.Contains(err.Error(), "wrong-scim-token-1") {
		t.Fatalf("err = %v, want it to name scim.auth.token and hide the token", err)
	}
	tsrv, turl := simtest.StartSimTLS(t, sim.Config{Seed: 31})
	sec = map[string]any{"baseUrl": tsrv.SCIMBaseURL(turl, 2), "auth": map[string]any{"token": sim.DefaultSCIMToken}}
	_, err = extractor.DryRun(context.Background(), parseJob(t, map[string]any{"scim": sec}).Resolve().Job, extractor.RunOptions{})
	if err == nil || !strings.Contains(err.Error(), "scim.insecureSkipVerify") {
		t.Fatalf("err = %v, want it to name scim.insecureSkipVerify", err)
	}
}
