package extractor_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/manifest"
)

// With the Admin API v1 users listing retired (404 or 410), a run reads the
// org's accounts from v2: it finishes partial (its warning names the v1
// endpoint, its status and what is lost) and its output is the org truth
// minus exactly the v1-only fields.
func TestRunOrgV1UsersRetiredReadsV2(t *testing.T) {
	for _, status := range []int{404, 410} {
		srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 2, Faults: sim.Faults{OrgUsersV1Status: status}})
		dest := t.TempDir()
		job := newJob(t, url, dest, map[string]any{"orgId": sim.DefaultOrgID, "orgApiKey": sim.DefaultOrgAPIKey})
		m, err := runJob(context.Background(), job, extractor.RunOptions{RunID: "r"})
		if err != nil || m.Status != manifest.StatusPartial || extractor.ExitCode(m, err) != extractor.ExitPartial {
			t.Fatalf("v1 %d: status %v err %v", status, m.Status, err)
		}
		if len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0].Message, "/admin/v1/orgs/{orgId}/users") ||
			!strings.Contains(m.Warnings[0].Message, "HTTP "+strconv.Itoa(status)) ||
			!strings.Contains(m.Warnings[0].Message, "last active dates and product access") {
			t.Errorf("v1 %d: warnings %v", status, m.Warnings)
		}
		diff(t, readRun(t, runDir(dest, "r")), truthRows(srv.Truth(sim.TruthOptions{Org: true, OrgV2: true})))
	}
}

// A dry run against the same site says so too, and plans the v2 listing.
func TestDryRunOrgV1UsersRetiredPlansV2(t *testing.T) {
	_, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 2, Faults: sim.Faults{OrgUsersV1Status: 410}})
	job := newJob(t, url, t.TempDir(), map[string]any{"orgId": sim.DefaultOrgID, "orgApiKey": sim.DefaultOrgAPIKey})
	p, err := extractor.DryRun(context.Background(), job.Resolve().Job, extractor.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Problems) != 1 || p.Problems[0].Scope != "org users" || !strings.Contains(p.Problems[0].Message, "HTTP 410") {
		t.Errorf("problems %+v", p.Problems)
	}
	found := false
	for _, s := range p.Steps {
		found = found || s.Endpoint == "GET /admin/v2/orgs/{orgId}/directories/-/users"
	}
	if !found {
		t.Errorf("no step reads the v2 users: %+v", p.Steps)
	}
}

// A scoped token without manage:jira-configuration reads everything else:
// the run is partial, with a warning naming the scope on each endpoint
// that needs it, and a dry run reports the same scopes. Without
// read:jira-user the run fails.
func TestRunScopedTokenMissingOneScopeIsPartial(t *testing.T) {
	_, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 3, UnderScopedScopes: []string{"read:jira-user", "read:jira-work"}})
	job := newJob(t, url, t.TempDir(), map[string]any{"token": sim.DefaultEmail + ":" + sim.DefaultUnderScopedToken})
	m, err := runJob(context.Background(), job, extractor.RunOptions{RunID: "r"})
	if err != nil || m.Status != manifest.StatusPartial {
		t.Fatalf("status %v err %v", m.Status, err)
	}
	var scopes []string
	for _, w := range m.Warnings {
		scopes = append(scopes, w.Scope)
		if !strings.Contains(w.Message, "manage:jira-configuration") {
			t.Errorf("warning %+v does not name the scope", w)
		}
	}
	if want := []string{"application roles", "permission schemes"}; !slices.Equal(scopes, want) {
		t.Errorf("warning scopes %q, want %q", scopes, want)
	}
	p, err := extractor.DryRun(context.Background(), job.Resolve().Job, extractor.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	for _, pr := range p.Problems {
		if strings.Contains(pr.Message, "manage:jira-configuration") {
			problems = append(problems, pr.Scope)
		}
	}
	if len(problems) != len(scopes) || len(p.Problems) != len(scopes) {
		t.Errorf("dry-run problems %+v, the run warned on %q", p.Problems, scopes)
	}

	_, url = simtest.StartSim(t, sim.Config{Size: "small", Seed: 3, UnderScopedScopes: []string{"read:jira-work", "manage:jira-configuration"}})
	job = newJob(t, url, t.TempDir(), map[string]any{"token": sim.DefaultEmail + ":" + sim.DefaultUnderScopedToken})
	if m, err := runJob(context.Background(), job, extractor.RunOptions{RunID: "r"}); err == nil || m.Status != manifest.StatusFailed {
		t.Errorf("without read:jira-user: status %v err %v", m.Status, err)
	}
}

// A users/search that answers 409 to more than 300 users: the run halves
// maxResults, pages on by what each page held, misses no user, and counts
// every 409 as a retry in the manifest.
func TestRunUserSearch409HalvesPages(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Users: 2500, Seed: 5, Faults: sim.Faults{UserSearch409Above: 300}})
	dest := t.TempDir()
	m, err := runJob(context.Background(), newJob(t, url, dest, nil), extractor.RunOptions{RunID: "r"})
	if err != nil || m.Status != manifest.StatusComplete {
		t.Fatalf("status %v err %v", m.Status, err)
	}
	diff(t, readRun(t, runDir(dest, "r")), truthRows(srv.Truth(sim.TruthOptions{})))
	conflicts := srv.Stats().Faults
	if conflicts == 0 || m.Requests.Retries < conflicts {
		t.Errorf("%d 409s answered, %d retries counted", conflicts, m.Requests.Retries)
	}
}

// project/search answering 404 to the pages read ahead past its end (Jira's
// "404 when nothing matches"): past a page that said isLast those 404s are
// the end of the listing, not missing pages, so the run is complete and
// equals the truth. (Only projects and their leads are read: the listing
// is what is tested.)
func TestRunProjectSearch404PastTheEndIsTheEnd(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Projects: 1050, Seed: 6,
		Faults: sim.Faults{EmptyProjectSearch404: true, OmitTotals: true}})
	dest := t.TempDir()
	job := newJob(t, url, dest, map[string]any{"entityKinds": []string{"project", "user"}, "relationKinds": []string{"lead_of"}})
	m, err := runJob(context.Background(), job, extractor.RunOptions{RunID: "r"})
	if err != nil || m.Status != manifest.StatusComplete {
		t.Fatalf("status %v err %v warnings %v", m.Status, err, m.Warnings)
	}
	diff(t, readRun(t, runDir(dest, "r")), truthRows(filterTruth(srv.Truth(sim.TruthOptions{}), job)))
	if n := srv.Stats().ByEndpoint["GET /rest/api/3/project/search"]; n <= 11 {
		t.Errorf("%d project/search requests: no page was read past the end, the test proves nothing", n)
	}
}

// Bad credentials answered with an XML body, or with Jira's "passwords are
// deprecated" text, fail the run with an auth error that says what to fix
// and never echoes the token.
func TestRunBadCredentials401Bodies(t *testing.T) {
	for name, tc := range map[string]struct {
		f    sim.Faults
		want string
	}{
		"xml":      {sim.Faults{XML401: true}, "token is invalid or expired"},
		"password": {sim.Faults{Password401: true}, "password is refused"},
	} {
		_, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1, Faults: tc.f})
		job := newJob(t, url, t.TempDir(), map[string]any{"token": "sim@example.com:hunter2-secret"})
		m, err := runJob(context.Background(), job, extractor.RunOptions{RunID: "r"})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") ||
			extractor.ExitCode(m, err) != extractor.ExitFailed {
			t.Errorf("%s: error %v, want one saying %q", name, err, tc.want)
		}
	}
}

// NotFoundProjects with NotFoundSchemes: the project's permission scheme
// answers 404 too, which is a warning on that scope, not a failure.
func TestRunProjectSchemeNotFoundIsAWarning(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1})
	tr := srv.Truth(sim.TruthOptions{})
	var id string
	for _, e := range tr.Entities {
		if e.SourceType == "project" {
			id = e.SourceID
			break
		}
	}
	srv.SetFaults(sim.Faults{NotFoundProjects: []string{id}, NotFoundSchemes: true})
	m, err := runJob(context.Background(), newJob(t, url, t.TempDir(), nil), extractor.RunOptions{RunID: "r"})
	if err != nil || m.Status != manifest.StatusPartial {
		t.Fatalf("status %v err %v", m.Status, err)
	}
	var scopes []string
	for _, w := range m.Warnings {
		scopes = append(scopes, w.Scope)
	}
	if want := []string{"project " + id + " permission scheme", "project " + id + " roles"}; !slices.Equal(scopes, want) {
		t.Errorf("warnings on %q, want %q", scopes, want)
	}
}
