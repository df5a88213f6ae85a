package jira

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Route templates of the reads a writing client makes.
const (
	routeUserGroups     = "GET /rest/api/3/user/groups"
	routeUser           = "GET /rest/api/3/user"
	routeUserSearch     = "GET /rest/api/3/user/search"
	routeOrgDirectories = "GET /admin/v2/orgs/{orgId}/directories"
	routeOrgUser        = "GET /admin/v2/orgs/{orgId}/directories/-/users/{accountId}"
)

// UserGroups lists the groups an account is a member of
// (GET /user/groups): the cheap read-back of a membership change. A user
// not on the site is an error for which IsNotFound is true.
func (c *Client) UserGroups(ctx context.Context, accountID string) ([]Group, error) {
	q := url.Values{"accountId": {accountID}}
	g, err := getJSON[[]Group](ctx, c, c.jiraCall(routeUserGroups, "/rest/api/3/user/groups", q))
	if err != nil {
		return nil, fmt.Errorf("list groups of user %s: %w", accountID, err)
	}
	return g, nil
}

// UserByID reads one user of the site (GET /user?accountId=); a user not on
// the site is an error for which IsNotFound is true.
func (c *Client) UserByID(ctx context.Context, accountID string) (User, error) {
	u, err := getJSON[User](ctx, c, c.jiraCall(routeUser, "/rest/api/3/user", url.Values{"accountId": {accountID}}))
	if err != nil {
		return u, fmt.Errorf("read user %s: %w", accountID, err)
	}
	return u, nil
}

// Directory is one of the organization's user directories.
type Directory struct {
	DirectoryID string `json:"directoryId"`
	Name        string `json:"name"`
}

// maxDirectoryPages bounds the directory list, so a server that keeps
// answering a next cursor cannot keep the client paging forever.
const maxDirectoryPages = 1000

// Directories lists the organization's directories, every page (Admin API
// v2): writes need a real directory id, "-" is refused.
func (c *Client) Directories(ctx context.Context) ([]Directory, error) {
	if !c.opts.HasOrgAccess() {
		return nil, ErrNoOrgAccess
	}
	path := "/v2/orgs/" + url.PathEscape(c.opts.OrgID) + "/directories"
	var all []Directory
	seen := map[string]bool{}
	var q url.Values
	for range maxDirectoryPages {
		p, err := getJSON[adminPage[Directory]](ctx, c, c.adminCall(routeOrgDirectories, path, q))
		if err != nil {
			return nil, fmt.Errorf("list org directories: %w", err)
		}
		all = append(all, p.Data...)
		next, err := c.cursorOf(p.Links.Next)
		switch {
		case err != nil:
			return nil, fmt.Errorf("list org directories: %w", err)
		case next == "":
			return all, nil
		case seen[next]:
			return nil, errors.New("list org directories: the server answered the same next cursor twice; stopped instead of paging forever")
		}
		seen[next] = true
		q = url.Values{"cursor": {next}}
	}
	return nil, fmt.Errorf("list org directories: more than %d pages; stopped", maxDirectoryPages)
}

// DirectoryUser is one account as the Admin API v2 shows it. Only the
// documented fields are read: its state is in Status alone.
type DirectoryUser struct {
	AccountID   string `json:"accountId"`
	AccountType string `json:"accountType"`
	Status      string `json:"status"` // active, suspended, deactivated (v1's inactive), closed, ...
	Name        string `json:"name"`
	Email       string `json:"email,omitempty"`
}

// Suspended reports whether the account's access is suspended.
func (u DirectoryUser) Suspended() bool { return strings.EqualFold(u.Status, "suspended") }

// deactivatedStatuses are the status words of an account that is off:
// the v2 and the v1 (account_status) vocabularies.
var deactivatedStatuses = []string{"deactivated", "inactive", "closed"}

// Deactivated reports whether the Atlassian account is deactivated (or
// closed).
func (u DirectoryUser) Deactivated() bool {
	for _, s := range deactivatedStatuses {
		if strings.EqualFold(strings.TrimSpace(u.Status), s) {
			return true
		}
	}
	return false
}
