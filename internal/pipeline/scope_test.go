package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/progress"
)

// noConfigScope is a scoped token without manage:jira-configuration: the
// gateway answers 401 "scope does not match" on applicationrole.
type noConfigScope struct{ *fakeSite }

func (noConfigScope) ApplicationRoles(ctx context.Context) ([]jira.ApplicationRole, error) {
	return nil, &jira.AuthError{Endpoint: "GET /rest/api/3/applicationrole", Status: 401, MissingScope: true, Scope: "manage:jira-configuration",
		Message: "the scoped API token lacks a scope this endpoint needs (scope does not match): give the token manage:jira-configuration"}
}

// noUserScope lacks read:jira-user: users/search is refused.
type noUserScope struct{ *fakeSite }

func (noUserScope) UsersPage(ctx context.Context, startAt, maxResults int) ([]jira.User, error) {
	return nil, &jira.AuthError{Endpoint: "GET /rest/api/3/users/search", Status: 401, MissingScope: true, Scope: "read:jira-user"}
}

// A missing scope on an optional endpoint (here applicationrole) is a
// warning naming the scope, as a 403 there is, with the classifiers the
// runner passes; on users/search it still fails the run.
func TestMissingScopeOnOptionalEndpointIsAWarning(t *testing.T) {
	f := newFakeSite(20, 4, 2)
	res, err := Run(context.Background(), Options{Concurrency: 2, Source: noConfigScope{f}, Sink: newMemSink(t, 100),
		IsNotFound: jira.IsNotFound, IsForbidden: jira.IsForbidden, Tracker: progress.NewTracker(nil)})
	if err != nil {
		t.Fatalf("run failed instead of a warning naming the scope: %v", err)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Scope != "application roles" || !strings.Contains(res.Warnings[0].Message, "manage:jira-configuration") {
		t.Errorf("warnings %v", res.Warnings)
	}
	_, err = Run(context.Background(), Options{Concurrency: 2, Source: noUserScope{f}, Sink: newMemSink(t, 100),
		IsNotFound: jira.IsNotFound, IsForbidden: jira.IsForbidden})
	if !jira.IsAuth(err) {
		t.Errorf("users/search without read:jira-user: err %v, want the auth error", err)
	}
}
