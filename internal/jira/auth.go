package jira

import (
	"fmt"
	"strings"
)

// ClassicScopes are the classic scopes a scoped API token needs for a full
// extraction (Administer Jira is needed on top for global roles and some
// project roles).
var ClassicScopes = []string{"read:jira-user", "read:jira-work", "manage:jira-configuration"}

// routeScopes names the classic scope of the routes where it is known.
var routeScopes = map[string]string{
	routeMyself:        "read:jira-user",
	routeUsers:         "read:jira-user",
	routeGroups:        "read:jira-user",
	routeGroupMembers:  "read:jira-user",
	routeProjects:      "read:jira-work",
	routeRoleDetails:   "read:jira-work",
	routeProjectRole:   "read:jira-work",
	routeProjectScheme: "read:jira-work",
	routeGlobalRoles:   "read:jira-work",
	routeAppRoles:      "manage:jira-configuration",
	routePermSchemes:   "manage:jira-configuration",
}

// authError turns a 401 into an *AuthError with a message that says what
// to fix. body.text is searched for Jira's telltale phrases whatever its
// format (JSON, XML or plain text).
func (c *Client) authError(cl call, status int, body errorBody, msgs []string) *AuthError {
	e := &AuthError{Endpoint: cl.route, Status: status, Server: msgs}
	low := strings.ToLower(body.text)
	switch {
	case cl.auth == authBearer:
		e.Message = "the organization API key (appConfig.orgApiKey) is invalid or expired, or has no access to appConfig.orgId"
	case strings.Contains(low, "scope does not match"):
		e.MissingScope = true
		e.Scope = routeScopes[cl.route]
		need := e.Scope
		if need == "" {
			need = strings.Join(ClassicScopes, ", ")
		}
		e.Message = fmt.Sprintf("the scoped API token lacks a scope this endpoint needs (scope does not match): give the token %s", need)
	case strings.Contains(low, "password"):
		e.password = true
		e.Message = "Basic authentication with a password is refused: appConfig.token must be EMAIL:API_TOKEN with an API token, not a password"
	default:
		e.Message = "token is invalid or expired: check appConfig.token (EMAIL:API_TOKEN) and that the account can log in to the site"
	}
	return e
}
