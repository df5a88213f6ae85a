package jira

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Page sizes and bounds of the reads a writing client makes.
const (
	userSearchPageSize = 50
	maxUserSearchPages = 200
	maxFallbackPages   = 100_000
)

// undocumented remembers the reads outside the published API that the
// server answered as an unknown endpoint: they are not asked again.
type undocumented struct {
	mu  sync.Mutex
	off map[string]bool // route → not served
}

func (u *undocumented) served(route string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return !u.off[route]
}

func (u *undocumented) gone(route string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.off == nil {
		u.off = map[string]bool{}
	}
	u.off[route] = true
}

// unknownEndpoint reports whether err is an answer an unknown endpoint
// gives: 404, 405 or 410.
func unknownEndpoint(err error) bool {
	var ae *APIError
	return IsGone(err) || errors.As(err, &ae) && ae.Status == http.StatusMethodNotAllowed
}

// UsersByEmail returns the site's users whose email address is this one
// (case-insensitive). It pages GET /user/search?query= until the address
// is found; where that endpoint is not served (404, 405, 410) it pages the
// documented users/search instead. A user whose address is private cannot
// be told apart from other fuzzy matches and is not returned.
func (c *Client) UsersByEmail(ctx context.Context, email string) ([]User, error) {
	if c.undoc.served(routeUserSearch) {
		us, err := c.searchUserByEmail(ctx, email)
		if !unknownEndpoint(err) {
			return us, err
		}
		c.undoc.gone(routeUserSearch)
		c.log.LogAttrs(ctx, slog.LevelDebug, "user/search not served: finding users by email through users/search", slog.String("cause", err.Error()))
	}
	var out []User
	for start := 0; start/UsersPageSize < maxFallbackPages; {
		us, err := c.UsersPage(ctx, start, UsersPageSize)
		if err != nil {
			return nil, fmt.Errorf("find users by email: %w", err)
		}
		if len(us) == 0 {
			return out, nil
		}
		out = append(out, emailMatches(us, email)...)
		start += len(us)
	}
	return nil, fmt.Errorf("find users by email: more than %d pages of users/search; stopped", maxFallbackPages)
}

// searchUserByEmail pages user/search until a page holds the address, an
// empty page ends the answer, or the server answers the same page again.
func (c *Client) searchUserByEmail(ctx context.Context, email string) ([]User, error) {
	first := ""
	for start, n := 0, 0; n < maxUserSearchPages; n++ {
		q := url.Values{"query": {email}, "startAt": {strconv.Itoa(start)}, "maxResults": {strconv.Itoa(userSearchPageSize)}}
		us, err := getJSON[[]User](ctx, c, c.jiraCall(routeUserSearch, "/rest/api/3/user/search", q))
		if err != nil {
			return nil, fmt.Errorf("search users by email: %w", err)
		}
		if m := emailMatches(us, email); len(m) > 0 || len(us) == 0 {
			return m, nil
		}
		if n > 0 && us[0].AccountID == first {
			return nil, nil // startAt ignored: the same page again
		}
		first = us[0].AccountID
		start += len(us)
	}
	return nil, fmt.Errorf("search users by email: more than %d pages of user/search; stopped", maxUserSearchPages)
}

func emailMatches(us []User, email string) []User {
	var out []User
	for _, u := range us {
		if u.EmailAddress != "" && strings.EqualFold(strings.TrimSpace(u.EmailAddress), strings.TrimSpace(email)) {
			out = append(out, u)
		}
	}
	return out
}

type directoryUserAnswer struct {
	Data *DirectoryUser `json:"data"`
}

func (a *directoryUserAnswer) check() error {
	if a.Data == nil {
		return errors.New("the answer has no data object (missing or null)")
	}
	return nil
}

// DirectoryUserByID reads one account of the organization (Admin API v2,
// any directory); an unknown account is an error for which IsNotFound is
// true. Where the single-account read is not served (405, 410, or a 404
// for an account the documented directories/-/users list holds), the list
// is paged instead.
func (c *Client) DirectoryUserByID(ctx context.Context, accountID string) (DirectoryUser, error) {
	if !c.opts.HasOrgAccess() {
		return DirectoryUser{}, ErrNoOrgAccess
	}
	if c.undoc.served(routeOrgUser) {
		path := "/v2/orgs/" + url.PathEscape(c.opts.OrgID) + "/directories/-/users/" + url.PathEscape(accountID)
		a, err := getJSON[directoryUserAnswer](ctx, c, c.adminCall(routeOrgUser, path, nil))
		if err == nil {
			return *a.Data, nil
		}
		if !unknownEndpoint(err) {
			return DirectoryUser{}, fmt.Errorf("read org account %s: %w", accountID, err)
		}
		u, ferr := c.listDirectoryUser(ctx, accountID)
		if ferr == nil || !IsNotFound(err) { // found in the list, or not Jira's own 404
			c.undoc.gone(routeOrgUser)
			c.log.LogAttrs(ctx, slog.LevelDebug, "Admin API single-account read not served: reading the directories/-/users list", slog.String("cause", err.Error()))
		}
		return u, ferr
	}
	return c.listDirectoryUser(ctx, accountID)
}

// listDirectoryUser pages the v2 directories/-/users list for one account.
func (c *Client) listDirectoryUser(ctx context.Context, accountID string) (DirectoryUser, error) {
	seen := map[string]bool{}
	cursor := ""
	for range maxFallbackPages {
		us, next, err := c.directoryUsersPage(ctx, cursor)
		if err != nil {
			return DirectoryUser{}, fmt.Errorf("read org account %s from the users list: %w", accountID, err)
		}
		for _, u := range us {
			if u.AccountID == accountID {
				return u, nil
			}
		}
		if next == "" || seen[next] {
			return DirectoryUser{}, fmt.Errorf("read org account %s: %w", accountID, &APIError{Method: http.MethodGet,
				Endpoint: routeOrgUsersV2, Status: http.StatusNotFound, Messages: []string{"the account is not in the organization's users list"}})
		}
		seen[next] = true
		cursor = next
	}
	return DirectoryUser{}, fmt.Errorf("read org account %s: more than %d pages of the users list; stopped", accountID, maxFallbackPages)
}
