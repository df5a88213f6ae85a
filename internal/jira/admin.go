package jira

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ErrNoOrgAccess is returned by the Admin API readers when appConfig has no
// orgId and orgApiKey.
var ErrNoOrgAccess = errors.New("admin API not configured: set appConfig.orgId and appConfig.orgApiKey")

// adminPage is the Admin API's page shape.
type adminPage[T any] struct {
	Data  []T `json:"data"`
	Links struct {
		Next string `json:"next"`
	} `json:"links"`
}

// check refuses a page without its data list (missing or null).
func (p *adminPage[T]) check() error {
	if p.Data == nil {
		return errors.New("the page has no data list (missing or null)")
	}
	return nil
}

func (c *Client) adminCall(route, path string, q url.Values) call {
	u := c.opts.AdminURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return call{route: route, url: u, auth: authBearer}
}

// OrgUsersPage reads one page of the org's managed accounts (Admin API v1).
// cursor is "" for the first page; next is "" after the last. links.next is
// a full URL: only its cursor parameter is used, its host is never
// followed.
func (c *Client) OrgUsersPage(ctx context.Context, cursor string) (users []OrgUser, next string, err error) {
	if !c.opts.HasOrgAccess() {
		return nil, "", ErrNoOrgAccess
	}
	var q url.Values
	if cursor != "" {
		q = url.Values{"cursor": {cursor}}
	}
	path := "/v1/orgs/" + url.PathEscape(c.opts.OrgID) + "/users"
	p, err := getJSON[adminPage[OrgUser]](ctx, c, c.adminCall(routeOrgUsers, path, q))
	if err != nil {
		return nil, "", fmt.Errorf("list org users: %w", err)
	}
	next, err = c.cursorOf(p.Links.Next)
	if err != nil {
		return nil, "", fmt.Errorf("list org users: %w", err)
	}
	return p.Data, next, nil
}

// OrgGroupsPage reads one page of the org's groups (Admin API v2,
// directories/-/groups). links.next is a cursor string (a URL with a cursor
// parameter is accepted too, its host never followed).
func (c *Client) OrgGroupsPage(ctx context.Context, cursor string) (groups []OrgGroup, next string, err error) {
	return adminV2Page[OrgGroup](ctx, c, routeOrgGroups, "groups", OrgGroupsPageSize, cursor, "list org groups")
}

// adminV2Page reads one page of the Admin API v2 listing
// directories/-/{resource}, limit entries at cursor ("" for the first
// page); next is "" after the last. what opens its errors.
func adminV2Page[T any](ctx context.Context, c *Client, route, resource string, limit int, cursor, what string) (data []T, next string, err error) {
	if !c.opts.HasOrgAccess() {
		return nil, "", ErrNoOrgAccess
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	path := "/v2/orgs/" + url.PathEscape(c.opts.OrgID) + "/directories/-/" + resource
	p, err := getJSON[adminPage[T]](ctx, c, c.adminCall(route, path, q))
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	if next, err = c.cursorOf(p.Links.Next); err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	return p.Data, next, nil
}

// cursorOf takes the cursor out of a links.next value: an absolute URL (its
// cursor query parameter; a foreign host is logged and ignored, never
// followed) or a bare cursor string, used verbatim.
func (c *Client) cursorOf(next string) (string, error) {
	next = strings.TrimSpace(next)
	if next == "" {
		return "", nil
	}
	cursor, host, isURL := CursorFromNext(next)
	if !isURL {
		return next, nil
	}
	if cursor == "" {
		return "", fmt.Errorf("links.next is a URL without a cursor parameter: cannot page on")
	}
	if own, err := url.Parse(c.opts.AdminURL); err == nil && !strings.EqualFold(own.Host, host) {
		c.log.Warn("Admin API links.next points at another host: using only its cursor, against the configured Admin API", "next_host", c.clean(host, maxReason), "admin_host", own.Host)
	}
	return cursor, nil
}

// CursorFromNext parses an Admin API links.next value. Only a value that
// parses as an absolute URL, with a scheme and a host, is a URL: it returns
// its cursor query parameter and its host with isURL true. Anything else
// (even one starting with "/" or holding "=" or "+") is itself the cursor,
// and isURL is false.
func CursorFromNext(next string) (cursor, host string, isURL bool) {
	u, err := url.Parse(next)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return "", "", false
	}
	return u.Query().Get("cursor"), u.Host, true
}
