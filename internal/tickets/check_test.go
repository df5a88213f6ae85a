package tickets

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/govextract/jira-extractor/internal/jira"
)

type fakeLister struct {
	metaErr  error
	projects map[string]bool
	asked    int
}

func (f *fakeLister) CreateMetaIssueTypes(ctx context.Context, key string) ([]jira.IssueType, error) {
	return nil, f.metaErr
}

func (f *fakeLister) ProjectByKey(ctx context.Context, key string) (jira.Project, error) {
	f.asked++
	if f.projects[key] {
		return jira.Project{Key: key}, nil
	}
	return jira.Project{}, &jira.APIError{Status: http.StatusNotFound}
}

// TestCheckWithoutCreatemeta: where createmeta answers 404 (not served, or
// no such project), the project is confirmed through project/search and
// the issue type is left to the create; a 401 is not looked past.
func TestCheckWithoutCreatemeta(t *testing.T) {
	notServed := &jira.APIError{Status: http.StatusNotFound, HTML: true}
	f := &fakeLister{metaErr: notServed, projects: map[string]bool{"OPS": true}}
	if name, err := Check(context.Background(), f, "OPS", "Task"); err != nil || name != "Task" || f.asked != 1 {
		t.Fatalf("existing project: %q %v (project/search asked %d times)", name, err, f.asked)
	}
	var ce *ConfigError
	if _, err := Check(context.Background(), f, "NOPE", "Task"); !errors.As(err, &ce) || ce.Key != "tickets.projectKey" {
		t.Fatalf("unknown project: %v", err)
	}
	f = &fakeLister{metaErr: &jira.AuthError{}, projects: map[string]bool{"OPS": true}}
	if _, err := Check(context.Background(), f, "OPS", "Task"); err == nil || f.asked != 0 {
		t.Fatalf("a 401 from createmeta: %v, project/search asked %d times", err, f.asked)
	}
}
