package check

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/retry"
	"github.com/govextract/jira-extractor/internal/retry/retrytest"
	"github.com/govextract/jira-extractor/internal/scim"
	"github.com/govextract/jira-extractor/internal/secret"
	"github.com/govextract/jira-extractor/internal/testsupport/attack"
)

// scimCheck checks the simulator's directory at base with token, one
// retry on a fake clock.
func scimCheck(t *testing.T, base, token string, readSchema bool) *Report {
	t.Helper()
	c, err := scim.New(scim.Options{BaseURL: base, ReadSchema: readSchema, MaxRetries: 1,
		Auth:  scim.Auth{Kind: scim.AuthBearer, Token: secret.New(token)},
		Clock: retrytest.NewFake(retrytest.Epoch), Backoff: &retry.Backoff{Base: 1, Cap: 1}})
	if err != nil {
		t.Fatal(err)
	}
	sr, err := RunSCIM(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return &Report{SCIMOnly: true, SCIM: sr}
}

func scimResult(t *testing.T, r *Report, kind string) Result {
	t.Helper()
	for _, res := range r.SCIM.Results {
		if res.Kind == kind {
			return res
		}
	}
	t.Fatalf("no %s probe in %+v", kind, r.SCIM.Results)
	return Result{}
}

func printed(t *testing.T, r *Report) (text string, js map[string]any) {
	t.Helper()
	var out, j bytes.Buffer
	r.Print(&out)
	if err := r.WriteJSON(&j); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(j.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	return out.String(), js
}

// check of a readable directory: the credential works, discovery says
// what the server declares, and users and groups are counted.
func TestCheckSCIMReadable(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Seed: 12, SCIM: sim.SCIMConfig{PageSize: 30}})
	rep := scimCheck(t, srv.SCIMBaseURL(url, 2), sim.DefaultSCIMToken, true)
	if !rep.OK() {
		t.Fatalf("report not OK: %+v", rep.SCIM)
	}
	if d := scimResult(t, rep, "scim discovery"); d.State != OK || !strings.Contains(d.Detail, "page size 30") || !strings.Contains(d.Detail, "PATCH yes") {
		t.Fatalf("discovery %+v", d)
	}
	var users int
	for _, e := range srv.SCIMTruth().Entities {
		if e.SourceType == "user" {
			users++
		}
	}
	if u := scimResult(t, rep, "scim user"); u.State != OK || u.Detail != fmt.Sprintf("%d in the directory", users) {
		t.Fatalf("user probe %+v, want %d users", u, users)
	}
	text, js := printed(t, rep)
	if strings.Contains(text, "Site:") || !strings.Contains(text, "SCIM directory:") || !strings.Contains(text, "can be read") {
		t.Fatalf("printed:\n%s", text)
	}
	if s, ok := js["scim"].(map[string]any); !ok || s["ok"] != true || len(s["probes"].([]any)) != 3 {
		t.Fatalf("JSON %v", js)
	}
}

// A wrong credential is named, never shown; without readSchema discovery
// is skipped; a 403 on the groups and a failing discovery are reported
// per probe, and make the check fail.
func TestCheckSCIMProblems(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Seed: 12})
	base := srv.SCIMBaseURL(url, 2)
	const wrong = "wrong-scim-key-123"
	rep := scimCheck(t, base, wrong, true)
	text, js := printed(t, rep)
	if rep.OK() || rep.SCIM.AuthErr == nil || !strings.Contains(text, "scim.auth.token") || strings.Contains(text+js["scim"].(map[string]any)["error"].(string), wrong) {
		t.Fatalf("wrong token: OK %v, printed:\n%s", rep.OK(), text)
	}

	rep = scimCheck(t, base, sim.DefaultSCIMToken, false)
	if d := scimResult(t, rep, "scim discovery"); !rep.OK() || d.State != Skipped || !strings.Contains(d.Detail, "scim.readSchema") {
		t.Fatalf("without readSchema: OK %v, discovery %+v", rep.OK(), d)
	}

	dir := strings.TrimPrefix(base, url)
	forbidden := attack.Inject(t, url, attack.Match{Path: dir + "/Groups", Times: -1}, attack.Answer{Status: http.StatusForbidden,
		Header: http.Header{"Content-Type": {"application/scim+json"}}, Body: `{"status":"403","detail":"Not allowed."}`})
	rep = scimCheck(t, srv.SCIMBaseURL(forbidden.URL, 2), sim.DefaultSCIMToken, true)
	if g := scimResult(t, rep, "scim group"); rep.OK() || g.State != Denied || !strings.Contains(g.Missing, "/Groups") {
		t.Fatalf("403 on groups: OK %v, group %+v", rep.OK(), g)
	}

	broken := attack.Inject(t, url, attack.Match{Path: dir + "/ServiceProviderConfig", Times: -1}, attack.Answer{Status: 500, Body: "boom"})
	rep = scimCheck(t, srv.SCIMBaseURL(broken.URL, 2), sim.DefaultSCIMToken, true)
	d, u := scimResult(t, rep, "scim discovery"), scimResult(t, rep, "scim user")
	if rep.OK() || d.State != Failed || u.State != Skipped || broken.Fired() != 2 {
		t.Fatalf("failing discovery: OK %v, discovery %+v, users %+v, %d attempts (want 2)", rep.OK(), d, u, broken.Fired())
	}
}
