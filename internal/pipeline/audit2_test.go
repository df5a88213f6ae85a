package pipeline

import (
	"context"
	"testing"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/progress"
	"github.com/govextract/jira-extractor/internal/secret"
)

// v1Gone is a site whose Admin API v1 users listing answers 410 (sunset).
type v1Gone struct{ *fakeSite }

func (v1Gone) OrgUsersPage(ctx context.Context, cursor string) ([]jira.OrgUser, string, error) {
	return nil, "", &statusErr{410, "orgusers"}
}

// AUDIT2: JIRA_API.md "a 404 or 410 from [GET /v1/orgs/{orgId}/users] must
// degrade to v2 data with a warning, not fail the run". The pipeline fails.
func TestAudit2AdminV1GoneDegradesWithWarning(t *testing.T) {
	for _, code := range []int{404, 410} {
		f := newFakeSite(50, 4, 2)
		addOrg(f)
		app := testApp{Concurrency: 2, OrgID: "org", OrgAPIKey: secret.New("key")}
		var src Source = v1Gone{f}
		if code == 404 {
			src = v1NotFound{f}
		}
		s := newMemSink(t, 100)
		res, err := Run(context.Background(), Options{Filter: app.options().Filter, Concurrency: 2, OrgAccess: true, Source: src, Sink: s,
			IsNotFound: isStatus(404), IsForbidden: isStatus(403), Tracker: progress.NewTracker(nil)})
		if err != nil {
			t.Errorf("v1 users %d: run failed instead of degrading to v2 with a warning: %v", code, err)
			continue
		}
		if len(res.Warnings) == 0 {
			t.Errorf("v1 users %d: no warning", code)
		}
	}
}

type v1NotFound struct{ *fakeSite }

func (v1NotFound) OrgUsersPage(ctx context.Context, cursor string) ([]jira.OrgUser, string, error) {
	return nil, "", &statusErr{404, "orgusers"}
}

// noConfigScope is a scoped token without manage:jira-configuration: the
// gateway answers 401 "scope does not match" on applicationrole.
type noConfigScope struct{ *fakeSite }

func (noConfigScope) ApplicationRoles(ctx context.Context) ([]jira.ApplicationRole, error) {
	return nil, &jira.AuthError{Endpoint: "GET /rest/api/3/applicationrole", Status: 401, MissingScope: true, Scope: "manage:jira-configuration"}
}

// AUDIT2: a 403/404 on applicationrole is a warning (partial run), but a
// scoped token lacking that one scope fails the whole run, with the real
// classifiers the runner passes (jira.IsNotFound, jira.IsForbidden).
func TestAudit2MissingScopeOnOptionalEndpointIsAWarning(t *testing.T) {
	f := newFakeSite(20, 4, 2)
	s := newMemSink(t, 100)
	res, err := Run(context.Background(), Options{Concurrency: 2, Source: noConfigScope{f}, Sink: s,
		IsNotFound: jira.IsNotFound, IsForbidden: jira.IsForbidden, Tracker: progress.NewTracker(nil)})
	if err != nil {
		t.Fatalf("run failed instead of a warning naming the scope: %v", err)
	}
	if len(res.Warnings) == 0 {
		t.Error("no warning")
	}
}
