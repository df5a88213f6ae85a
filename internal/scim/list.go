package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// listResponse is a SCIM ListResponse (the same fields in 1.1 and 2.0).
type listResponse[T any] struct {
	TotalResults *int `json:"totalResults"`
	StartIndex   int  `json:"startIndex"`
	ItemsPerPage int  `json:"itemsPerPage"`
	Resources    []T  `json:"Resources"`
}

// list pages through a resource endpoint with 1-based startIndex and
// count (the capabilities' page size), calling each per page. The next
// page starts after the resources received (a server may return fewer
// than count); the list ends once startIndex passes totalResults. An
// empty page before that is an error, never the end: resources would be
// lost silently.
func (c *Client) list(ctx context.Context, path, filter string, each func([]map[string]any) error) error {
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return err
	}
	start := 1
	for {
		q := url.Values{}
		q.Set("startIndex", strconv.Itoa(start))
		q.Set("count", strconv.Itoa(caps.PageSize))
		if filter != "" {
			q.Set("filter", filter)
		}
		page, total, err := getPage[map[string]any](ctx, c, path, q.Encode())
		if err != nil {
			return err
		}
		if len(page.Resources) == 0 {
			if start > total {
				return nil
			}
			return fmt.Errorf("scim: GET %s: an empty page at startIndex %d of totalResults %d", path, start, total)
		}
		if err := each(page.Resources); err != nil {
			return err
		}
		start += len(page.Resources)
		if start > total {
			return nil
		}
	}
}

// ListUsers calls each with every page of users (filter, if not empty,
// is a SCIM filter such as `userName eq "a@b.c"`).
func (c *Client) ListUsers(ctx context.Context, filter string, each func([]User) error) error {
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return err
	}
	return c.list(ctx, caps.UsersPath, filter, func(rs []map[string]any) error {
		us := make([]User, len(rs))
		for i, r := range rs {
			us[i] = User(r)
		}
		return each(us)
	})
}

// ListGroups calls each with every page of groups, members included.
func (c *Client) ListGroups(ctx context.Context, each func([]Group) error) error {
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return err
	}
	return c.list(ctx, caps.GroupsPath, "", func(rs []map[string]any) error {
		gs := make([]Group, len(rs))
		for i, r := range rs {
			gs[i] = Group(r)
		}
		return each(gs)
	})
}

// GetUser reads one user; a missing one is an *Error with Status 404.
func (c *Client) GetUser(ctx context.Context, id string) (User, error) {
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return nil, err
	}
	var u map[string]any
	err = c.do(ctx, request{method: "GET", path: caps.UsersPath + "/" + url.PathEscape(id), endpoint: "GET " + caps.UsersPath + "/{id}"}, &u)
	return User(u), err
}

// GetGroup reads one group with its members.
func (c *Client) GetGroup(ctx context.Context, id string) (Group, error) {
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return nil, err
	}
	var g map[string]any
	err = c.do(ctx, request{method: "GET", path: caps.GroupsPath + "/" + url.PathEscape(id), endpoint: "GET " + caps.GroupsPath + "/{id}"}, &g)
	return Group(g), err
}

// UsersByUserName finds users by userName: with a filter where the
// server supports one, else by listing every user.
func (c *Client) UsersByUserName(ctx context.Context, name string) ([]User, error) {
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return nil, err
	}
	var out []User
	filter := ""
	if caps.Filter {
		filter = "userName eq " + filterString(name)
	}
	err = c.ListUsers(ctx, filter, func(us []User) error {
		for _, u := range us {
			if equalFold(u.UserName(), name) {
				out = append(out, u)
			}
		}
		return nil
	})
	return out, err
}

// CountUsers returns the directory's totalResults of users, from a page
// of one.
func (c *Client) CountUsers(ctx context.Context) (int, error) {
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return 0, err
	}
	return c.count(ctx, caps.UsersPath)
}

// CountGroups returns the directory's totalResults of groups, from a
// page of one.
func (c *Client) CountGroups(ctx context.Context) (int, error) {
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return 0, err
	}
	return c.count(ctx, caps.GroupsPath)
}

func (c *Client) count(ctx context.Context, path string) (int, error) {
	_, total, err := getPage[json.RawMessage](ctx, c, path, "startIndex=1&count=1")
	return total, err
}

// getPage reads one ListResponse page of a resource endpoint (query is
// the encoded query) and its totalResults, which a page must have.
func getPage[T any](ctx context.Context, c *Client, path, query string) (listResponse[T], int, error) {
	var page listResponse[T]
	if err := c.do(ctx, request{method: "GET", path: path + "?" + query, endpoint: "GET " + path}, &page); err != nil {
		return page, 0, err
	}
	if page.TotalResults == nil {
		return page, 0, fmt.Errorf("scim: GET %s: the ListResponse has no totalResults", path)
	}
	return page, *page.TotalResults, nil
}

// Requests returns how many requests a list of total resources takes at
// the capabilities' page size, when every page is full: at least one.
func (caps Capabilities) Requests(total int) int {
	return max(1, (total+caps.PageSize-1)/caps.PageSize)
}

// DiscoveryEndpoints are the requests discovery makes, one each: none
// without readSchema, else the service provider configuration, the
// resource types (SCIM 2.0 only) and the schemas.
func (c *Client) DiscoveryEndpoints() []string {
	switch {
	case !c.o.ReadSchema:
		return nil
	case c.o.Version == 1:
		return []string{"GET " + c.spcPath(), "GET /Schemas"}
	}
	return []string{"GET " + c.spcPath(), "GET /ResourceTypes", "GET /Schemas"}
}

// filterString quotes s as a SCIM filter or path string: a JSON string
// (quotes, backslashes and control characters escaped), with <, > and &
// left as they are.
func filterString(s string) string {
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
