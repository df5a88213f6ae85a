package extractor_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
)

func scimSection(srv *sim.Server, url string) map[string]any {
	return map[string]any{"baseUrl": srv.SCIMBaseURL(url, 2), "requestsPerSecond": 2000, "burst": 100,
		"auth": map[string]any{"type": "oauth2", "tokenUrl": url + "/oauth/token", "clientId": sim.DefaultSCIMClientID,
			"clientSecret": sim.DefaultSCIMClientSecret, "scope": "scim"}}
}

func runSCIMJob(t *testing.T, doc map[string]any) (*extractor.Result, *output.RunReader) {
	t.Helper()
	b, _ := json.Marshal(doc)
	job, err := config.Parse(b, config.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := extractor.Run(ctx, job.Resolve().Job, extractor.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rr, err := output.OpenRun(ctx, res.Location, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := rr.Verify(ctx); err != nil {
		t.Fatalf("verify: %v", err)
	}
	return res, rr
}

// A job with scim and no appConfig writes the directory's users, groups
// and memberships, exactly, as a verified run whose manifest names scim as
// the source; the OAuth token expiring mid-run is renewed.
func TestRunSCIMOnlyExact(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Seed: 21, SCIM: sim.SCIMConfig{TokenMaxUses: 3, PageSize: 30}})
	res, rr := runSCIMJob(t, map[string]any{"scim": scimSection(srv, url), "output": map[string]any{"destination": t.TempDir()}})
	tr := srv.SCIMTruth()
	simtest.RequireTruth(t, context.Background(), rr, tr)
	if ut := res.Manifest.Table("user"); ut == nil || ut.Source != "scim" {
		t.Fatalf("user table %+v: want source scim", ut)
	}
	if g := srv.SCIMTokenGrants()["client_credentials"]; g < 2 {
		t.Fatalf("%d tokens issued: no mid-run refresh", g)
	}
}

// A job with appConfig and scim writes both: the Jira tables exact
// against the site's truth, the SCIM tables (scim.user, scim.group,
// scim.member_of under scim/) with the directory's row counts, and the
// manifest names each table's source.
func TestRunJiraAndSCIM(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Seed: 22})
	doc := simtest.JobMap(url, t.TempDir(), map[string]any{"scim": scimSection(srv, url),
		"appConfig.requestsPerSecond": 2000, "appConfig.burst": 100})
	res, rr := runSCIMJob(t, doc)
	simtest.RequireTruth(t, context.Background(), rr, srv.Truth(sim.TruthOptions{}))
	tr := srv.SCIMTruth()
	var users, groups int64
	for _, e := range tr.Entities {
		if e.SourceType == model.User {
			users++
		} else {
			groups++
		}
	}
	want := map[string]int64{"scim.user": users, "scim.group": groups, "scim.member_of": int64(len(tr.Relations))}
	for name, n := range want {
		tb := res.Manifest.Table(name)
		if tb == nil || tb.Source != "scim" || tb.Rows != n || !strings.HasPrefix(tb.Files[0].Path, "scim/") {
			t.Fatalf("table %s = %+v, want %d rows from scim under scim/", name, tb, n)
		}
	}
	for _, tb := range res.Manifest.Tables {
		if !strings.HasPrefix(tb.Name, "scim.") && tb.Source != "jira" {
			t.Fatalf("table %s has source %q, want jira", tb.Name, tb.Source)
		}
	}
	if res.Manifest.Status != manifest.StatusComplete || res.Manifest.Requests.ByEndpoint["GET /Users"] == 0 {
		t.Fatalf("status %s, requests %v", res.Manifest.Status, res.Manifest.Requests.ByEndpoint)
	}
}
