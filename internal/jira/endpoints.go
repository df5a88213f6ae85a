package jira

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

// Route templates: the keys of Stats().ByEndpoint and the Endpoint of
// errors.
const (
	routeMyself         = "GET /rest/api/3/myself"
	routeTenantInfo     = "GET /_edge/tenant_info"
	routeServerInfo     = "GET /rest/api/3/serverInfo"
	routeUsers          = "GET /rest/api/3/users/search"
	routeGroups         = "GET /rest/api/3/group/bulk"
	routeGroupMembers   = "GET /rest/api/3/group/member"
	routeProjects       = "GET /rest/api/3/project/search"
	routeRoleDetails    = "GET /rest/api/3/project/{id}/roledetails"
	routeProjectRole    = "GET /rest/api/3/project/{id}/role/{roleId}"
	routeGlobalRoles    = "GET /rest/api/3/role"
	routeAppRoles       = "GET /rest/api/3/applicationrole"
	routePermSchemes    = "GET /rest/api/3/permissionscheme"
	routeProjectScheme  = "GET /rest/api/3/project/{id}/permissionscheme"
	routeOrgUsers       = "GET /admin/v1/orgs/{orgId}/users"
	routeOrgGroups      = "GET /admin/v2/orgs/{orgId}/directories/-/groups"
	projectSearchExpand = "lead,description"
)

// jiraCall builds a call to the Jira API base (site or gateway).
func (c *Client) jiraCall(route, path string, q url.Values) call {
	u := c.apiBase() + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return call{route: route, url: u, auth: authBasic}
}

func pageQuery(startAt, maxResults int) url.Values {
	return url.Values{"startAt": {strconv.Itoa(startAt)}, "maxResults": {strconv.Itoa(maxResults)}}
}

// UsersPage reads one page of users/search (a bare array, cap 1000). Stop
// on an empty page, not on a short one: a 409 ("too slow") makes it ask for
// fewer users (see usersPage409), so a page may be short anywhere.
func (c *Client) UsersPage(ctx context.Context, startAt, maxResults int) ([]User, error) {
	users, err := c.usersPage409(ctx, startAt, maxResults)
	if err != nil {
		return nil, fmt.Errorf("list users at %d: %w", startAt, err)
	}
	return users, nil
}

// GroupsPage reads one page of group/bulk.
func (c *Client) GroupsPage(ctx context.Context, startAt, maxResults int) (Page[Group], error) {
	p, err := getJSON[Page[Group]](ctx, c, c.jiraCall(routeGroups, "/rest/api/3/group/bulk", pageQuery(startAt, maxResults)))
	if err != nil {
		return p, fmt.Errorf("list groups at %d: %w", startAt, err)
	}
	return p, nil
}

// GroupMembersPage reads one page of a group's members (cap 50).
func (c *Client) GroupMembersPage(ctx context.Context, groupID string, includeInactive bool, startAt, maxResults int) (Page[User], error) {
	q := pageQuery(startAt, maxResults)
	q.Set("groupId", groupID)
	q.Set("includeInactiveUsers", strconv.FormatBool(includeInactive))
	p, err := getJSON[Page[User]](ctx, c, c.jiraCall(routeGroupMembers, "/rest/api/3/group/member", q))
	if err != nil {
		return p, fmt.Errorf("list members of group %s at %d: %w", groupID, startAt, err)
	}
	return p, nil
}

// ProjectsPage reads one page of project/search with live and archived
// projects and their leads (cap 100). Jira answers 404 "when nothing
// matches", but a 404 is returned as the error it is (IsNotFound): only the
// caller can tell "this site has no projects" from a page that went missing,
// and reading a 404 as an empty last page silently drops every project from
// startAt on.
func (c *Client) ProjectsPage(ctx context.Context, startAt, maxResults int) (Page[Project], error) {
	q := pageQuery(startAt, maxResults)
	q.Add("status", "live")
	q.Add("status", "archived")
	q.Set("expand", projectSearchExpand)
	p, err := getJSON[Page[Project]](ctx, c, c.jiraCall(routeProjects, "/rest/api/3/project/search", q))
	if err != nil {
		return p, fmt.Errorf("list projects at %d: %w", startAt, err)
	}
	return p, nil
}

// ProjectsProbe asks project/search a plainer question than ProjectsPage
// (one project, no status filter, no expansion) and returns how many
// projects it says there are: total when the answer has one, else the
// number of values. It is a second opinion on a 404 from ProjectsPage; a
// 404 here is returned as an error too (IsNotFound).
func (c *Client) ProjectsProbe(ctx context.Context) (int, error) {
	p, err := getJSON[Page[Project]](ctx, c, c.jiraCall(routeProjects, "/rest/api/3/project/search", pageQuery(0, 1)))
	if err != nil {
		return 0, fmt.Errorf("probe projects: %w", err)
	}
	if p.Total != nil {
		return max(*p.Total, len(p.Values)), nil
	}
	return len(p.Values), nil
}

// ProjectRoleDetails lists a project's roles (project/{id}/roledetails).
func (c *Client) ProjectRoleDetails(ctx context.Context, projectID string) ([]RoleDetail, error) {
	path := "/rest/api/3/project/" + url.PathEscape(projectID) + "/roledetails"
	r, err := getJSON[[]RoleDetail](ctx, c, c.jiraCall(routeRoleDetails, path, nil))
	if err != nil {
		return nil, fmt.Errorf("list roles of project %s: %w", projectID, err)
	}
	return r, nil
}

// ProjectRole reads one project role with its actors.
func (c *Client) ProjectRole(ctx context.Context, projectID string, roleID int64) (ProjectRole, error) {
	path := "/rest/api/3/project/" + url.PathEscape(projectID) + "/role/" + strconv.FormatInt(roleID, 10)
	r, err := getJSON[ProjectRole](ctx, c, c.jiraCall(routeProjectRole, path, nil))
	if err != nil {
		return r, fmt.Errorf("read role %d of project %s: %w", roleID, projectID, err)
	}
	return r, nil
}

// GlobalRoles lists the global project roles with their default actors
// (needs Administer Jira).
func (c *Client) GlobalRoles(ctx context.Context) ([]ProjectRole, error) {
	r, err := getJSON[[]ProjectRole](ctx, c, c.jiraCall(routeGlobalRoles, "/rest/api/3/role", nil))
	if err != nil {
		return nil, fmt.Errorf("list global roles: %w", err)
	}
	return r, nil
}

// ApplicationRoles lists the products (application roles) and their groups.
func (c *Client) ApplicationRoles(ctx context.Context) ([]ApplicationRole, error) {
	r, err := getJSON[[]ApplicationRole](ctx, c, c.jiraCall(routeAppRoles, "/rest/api/3/applicationrole", nil))
	if err != nil {
		return nil, fmt.Errorf("list application roles: %w", err)
	}
	return r, nil
}

// PermissionSchemes lists every permission scheme with its grants.
func (c *Client) PermissionSchemes(ctx context.Context) ([]PermissionScheme, error) {
	q := url.Values{"expand": {"permissions"}}
	r, err := getJSON[permissionSchemes](ctx, c, c.jiraCall(routePermSchemes, "/rest/api/3/permissionscheme", q))
	if err != nil {
		return nil, fmt.Errorf("list permission schemes: %w", err)
	}
	return r.PermissionSchemes, nil
}

// permissionSchemes is the answer of permissionscheme.
type permissionSchemes struct {
	PermissionSchemes []PermissionScheme `json:"permissionSchemes"`
}

func (p *permissionSchemes) check() error {
	if p.PermissionSchemes == nil {
		return errors.New("the answer has no permissionSchemes list (missing or null)")
	}
	return nil
}

// ProjectPermissionScheme reads the scheme a project uses (id and name; its
// grants come from PermissionSchemes).
func (c *Client) ProjectPermissionScheme(ctx context.Context, projectID string) (PermissionScheme, error) {
	path := "/rest/api/3/project/" + url.PathEscape(projectID) + "/permissionscheme"
	r, err := getJSON[PermissionScheme](ctx, c, c.jiraCall(routeProjectScheme, path, nil))
	if err != nil {
		return r, fmt.Errorf("read permission scheme of project %s: %w", projectID, err)
	}
	return r, nil
}

// ServerInfo reads /serverInfo.
func (c *Client) ServerInfo(ctx context.Context) (map[string]any, error) {
	r, err := getJSON[map[string]any](ctx, c, c.jiraCall(routeServerInfo, "/rest/api/3/serverInfo", nil))
	if err != nil {
		return nil, fmt.Errorf("read server info: %w", err)
	}
	return r, nil
}
