package tickets

import (
	"context"
	"fmt"
	"strings"

	"github.com/govextract/jira-extractor/internal/jira"
)

// ConfigError is a tickets section the site does not accept: an unknown
// project or issue type. Key names the job-file key; Fix says what to do.
type ConfigError struct {
	Key, Message, Fix string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s: %s; fix: %s", e.Key, e.Message, e.Fix)
}

// TypeLister is the part of jira.Client Check uses.
type TypeLister interface {
	CreateMetaIssueTypes(ctx context.Context, projectKey string) ([]jira.IssueType, error)
	ProjectByKey(ctx context.Context, key string) (jira.Project, error)
}

// Check validates the tickets section against the site before anything is
// written: the project exists and the account can create issues in it
// (GET /issue/createmeta/{project}/issuetypes), and the issue type is one
// of its types and not a subtask type. It returns the type's exact name
// as the project spells it. Where createmeta fails otherwise than on
// credentials (a 404 also comes from a server without that endpoint), the
// project is confirmed through project/search and the issue type is left
// to the create, whose 400 names the field. A *ConfigError says what is
// wrong and the fix; any other error means the site could not be asked.
func Check(ctx context.Context, c TypeLister, projectKey, issueType string) (string, error) {
	types, err := c.CreateMetaIssueTypes(ctx, projectKey)
	switch {
	case jira.IsForbidden(err):
		return "", noProject(projectKey)
	case err != nil && !jira.IsAuth(err) && ctx.Err() == nil:
		if _, perr := c.ProjectByKey(ctx, projectKey); jira.IsNotFound(perr) || jira.IsForbidden(perr) {
			return "", noProject(projectKey)
		} else if perr != nil {
			return "", fmt.Errorf("check tickets.projectKey %q: %w (and createmeta: %w)", projectKey, perr, err)
		}
		return issueType, nil
	case err != nil:
		return "", fmt.Errorf("check tickets.projectKey %q: %w", projectKey, err)
	}
	var names []string
	for _, t := range types {
		if t.Subtask {
			continue
		}
		if strings.EqualFold(t.Name, issueType) {
			return t.Name, nil
		}
		names = append(names, fmt.Sprintf("%q", t.Name))
	}
	for _, t := range types {
		if t.Subtask && strings.EqualFold(t.Name, issueType) {
			return "", &ConfigError{Key: "tickets.issueType",
				Message: fmt.Sprintf("%q is a subtask type of project %s: a ticket has no parent issue", issueType, projectKey),
				Fix:     "use one of " + strings.Join(names, ", ")}
		}
	}
	fix := "the project offers no issue type the account can create"
	if len(names) > 0 {
		fix = "use one of " + strings.Join(names, ", ")
	}
	return "", &ConfigError{Key: "tickets.issueType",
		Message: fmt.Sprintf("%q is not an issue type of project %s", issueType, projectKey), Fix: fix}
}

func noProject(key string) *ConfigError {
	return &ConfigError{Key: "tickets.projectKey",
		Message: fmt.Sprintf("project %q does not exist on the site, or the job's account cannot create issues in it", key),
		Fix:     "set the key of an existing project (as shown in its issue keys, e.g. OPS for OPS-12), and give the account the Create issues permission there"}
}
