package pipeline

import (
	"errors"

	"github.com/govextract/jira-extractor/internal/jira"
)

// missingScope reports whether err is a scoped token's 401 "scope does not
// match". On the endpoints whose errors go through scopeErr (global roles,
// application roles, permission schemes, a project's roles and permission
// scheme, a group's members) it is a warning, like a 403 there; the
// error's message names the scope to add. Elsewhere (users/search,
// group/bulk, project/search, and /myself before the run) it stays fatal.
func missingScope(err error) bool {
	var ae *jira.AuthError
	return errors.As(err, &ae) && ae.MissingScope
}
