package jira

import (
	"context"
	"errors"
	"net/http"
)

// routeOrgUsersV2 is the Admin API v2 directory users listing, read when
// the v1 users listing (routeOrgUsers) is gone.
const routeOrgUsersV2 = "GET /admin/v2/orgs/{orgId}/directories/-/users"

// OrgUsersV1Endpoint and OrgUsersV2Endpoint name the two org user listings
// in warnings and plans.
const (
	OrgUsersV1Endpoint = routeOrgUsers
	OrgUsersV2Endpoint = routeOrgUsersV2
)

// OrgUsersV2PageSize is the limit asked of the v2 directory users listing.
const OrgUsersV2PageSize = 100

// OrgUsersV2Page reads one page of the org's accounts from the Admin API v2
// (directories/-/users). It says less than v1: no last active date and no
// product access, so those fields of the returned OrgUsers are empty.
// links.next is a cursor string.
func (c *Client) OrgUsersV2Page(ctx context.Context, cursor string) (users []OrgUser, next string, err error) {
	dus, next, err := c.directoryUsersPage(ctx, cursor)
	if err != nil {
		return nil, "", err
	}
	users = make([]OrgUser, 0, len(dus))
	for _, u := range dus {
		users = append(users, OrgUser{AccountID: u.AccountID, AccountType: u.AccountType, AccountStatus: u.Status, Name: u.Name, Email: u.Email})
	}
	return users, next, nil
}

// directoryUsersPage reads one page of the v2 directories/-/users listing.
func (c *Client) directoryUsersPage(ctx context.Context, cursor string) (users []DirectoryUser, next string, err error) {
	return adminV2Page[DirectoryUser](ctx, c, routeOrgUsersV2, "users", OrgUsersV2PageSize, cursor, "list org users (v2)")
}

// IsGone reports whether err is (or wraps) a 404 or 410 answer, whatever
// its body: a retired endpoint (the Admin API v1 users listing).
func IsGone(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusGone)
}
