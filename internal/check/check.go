// Package check answers "can these credentials extract this site?": it
// detects the token kind and the account, then makes one cheap real request
// per entity kind and says, for each one that cannot be read, which Jira
// permission or token scope is missing.
package check

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/govextract/jira-extractor/internal/jira"
)

// Client is the part of the Jira client the check uses; *jira.Client
// implements it.
type Client interface {
	Detect(ctx context.Context) (jira.Identity, error)
	UsersPage(ctx context.Context, startAt, maxResults int) ([]jira.User, error)
	GroupsPage(ctx context.Context, startAt, maxResults int) (jira.Page[jira.Group], error)
	GroupMembersPage(ctx context.Context, groupID string, includeInactive bool, startAt, maxResults int) (jira.Page[jira.User], error)
	ProjectsPage(ctx context.Context, startAt, maxResults int) (jira.Page[jira.Project], error)
	ProjectRoleDetails(ctx context.Context, projectID string) ([]jira.RoleDetail, error)
	GlobalRoles(ctx context.Context) ([]jira.ProjectRole, error)
	ApplicationRoles(ctx context.Context) ([]jira.ApplicationRole, error)
	PermissionSchemes(ctx context.Context) ([]jira.PermissionScheme, error)
	ProjectPermissionScheme(ctx context.Context, projectID string) (jira.PermissionScheme, error)
	OrgUsersPage(ctx context.Context, cursor string) ([]jira.OrgUser, string, error)
	OrgUsersV2Page(ctx context.Context, cursor string) ([]jira.OrgUser, string, error)
	OrgGroupsPage(ctx context.Context, cursor string) ([]jira.OrgGroup, string, error)
}

// Jira global and project permissions the extractor needs.
const (
	PermBrowseUsers    = "Browse users and groups"
	PermAdminister     = "Administer Jira"
	PermBrowseProjects = "Browse projects"
	PermOrgKey         = "an organization API key (appConfig.orgApiKey) with access to appConfig.orgId"
)

// Classic scopes a scoped token needs.
const (
	ScopeReadUser   = "read:jira-user"
	ScopeReadWork   = "read:jira-work"
	ScopeManageConf = "manage:jira-configuration"
)

// State says how one probe went.
type State string

// Probe states.
const (
	OK      State = "ok"      // readable
	Denied  State = "denied"  // a permission or scope is missing
	Empty   State = "empty"   // answered, but nothing is visible: likely a missing permission
	Failed  State = "error"   // another error (network, server)
	Skipped State = "skipped" // could not be tried (nothing to try it on)
	Warning State = "warning" // readable, but with less than a full answer (see Detail)
)

// Result is the outcome of one probe.
type Result struct {
	// Kind is the entity or relation kind ("user", "member_of", ...), or
	// "org users" / "org groups".
	Kind string
	// Endpoint is the request made, e.g. "GET /rest/api/3/users/search".
	Endpoint string
	State    State
	// Missing names the Jira permission or token scope to grant, when State
	// is Denied or Empty.
	Missing string
	// Detail is the server's answer or the reason for the state.
	Detail string
}

// Readable reports whether the kind can be read.
func (r Result) Readable() bool { return r.State == OK || r.State == Warning }

// Report is the outcome of a check.
type Report struct {
	Site string
	// Identity is what Detect found; zero when the credentials were refused.
	Identity jira.Identity
	// AuthErr is set when the credentials themselves were refused or the
	// site could not be reached: then Results is empty.
	AuthErr error
	Results []Result
	// SCIMOnly marks the report of a job without a Jira site: only SCIM
	// holds anything.
	SCIMOnly bool
	// SCIM is the check of the job's SCIM directory; nil without one.
	SCIM *SCIMReport
}

// OK reports whether the credentials work and every kind can be read,
// on the Jira site and in the SCIM directory.
func (r *Report) OK() bool {
	if r.SCIM != nil && !r.SCIM.OK() {
		return false
	}
	if r.SCIMOnly {
		return r.SCIM != nil
	}
	return r.AuthErr == nil && allReadable(r.Results)
}

// allReadable reports whether every result is readable or skipped.
func allReadable(rs []Result) bool {
	for _, res := range rs {
		if !res.Readable() && res.State != Skipped {
			return false
		}
	}
	return true
}

// probe is one cheap request standing for a kind.
type probe struct {
	kind, endpoint string
	perm, scope    string // what a 403/404 or a scope 401 means
	org            bool
	// run makes the request and returns how many items it saw; a "" note
	// with errSkip skips the probe.
	run func(ctx context.Context, c Client, st *state) (int, error)
}

// state carries ids found by earlier probes to later ones.
type state struct {
	groupID   string
	projectID string
}

type skipError struct{ why string }

func (e skipError) Error() string { return e.why }

var probes = []probe{
	{kind: "user", endpoint: "GET /rest/api/3/users/search", perm: PermBrowseUsers, scope: ScopeReadUser,
		run: func(ctx context.Context, c Client, _ *state) (int, error) {
			us, err := c.UsersPage(ctx, 0, 1)
			return len(us), err
		}},
	{kind: "group", endpoint: "GET /rest/api/3/group/bulk", perm: PermBrowseUsers, scope: ScopeReadUser,
		run: func(ctx context.Context, c Client, st *state) (int, error) {
			p, err := c.GroupsPage(ctx, 0, 1)
			if len(p.Values) > 0 {
				st.groupID = p.Values[0].GroupID
			}
			return len(p.Values), err
		}},
	{kind: "member_of", endpoint: "GET /rest/api/3/group/member", perm: PermBrowseUsers, scope: ScopeReadUser,
		run: func(ctx context.Context, c Client, st *state) (int, error) {
			if st.groupID == "" {
				return 0, skipError{"no group to list the members of"}
			}
			_, err := c.GroupMembersPage(ctx, st.groupID, true, 0, 1)
			return -1, err // an empty group is fine
		}},
	{kind: "project", endpoint: "GET /rest/api/3/project/search", perm: PermBrowseProjects, scope: ScopeReadWork,
		run: func(ctx context.Context, c Client, st *state) (int, error) {
			p, err := c.ProjectsPage(ctx, 0, 1)
			if len(p.Values) > 0 {
				st.projectID = p.Values[0].ID
			}
			return len(p.Values), err
		}},
	{kind: "project_role", endpoint: "GET /rest/api/3/project/{id}/roledetails", perm: PermBrowseProjects, scope: ScopeReadWork,
		run: func(ctx context.Context, c Client, st *state) (int, error) {
			if st.projectID == "" {
				return 0, skipError{"no visible project to list the roles of"}
			}
			_, err := c.ProjectRoleDetails(ctx, st.projectID)
			return -1, err
		}},
	{kind: "uses_scheme", endpoint: "GET /rest/api/3/project/{id}/permissionscheme", perm: PermBrowseProjects, scope: ScopeReadWork,
		run: func(ctx context.Context, c Client, st *state) (int, error) {
			if st.projectID == "" {
				return 0, skipError{"no visible project to read the permission scheme of"}
			}
			_, err := c.ProjectPermissionScheme(ctx, st.projectID)
			return -1, err
		}},
	{kind: "role", endpoint: "GET /rest/api/3/role", perm: PermAdminister, scope: ScopeReadWork,
		run: func(ctx context.Context, c Client, _ *state) (int, error) {
			_, err := c.GlobalRoles(ctx)
			return -1, err
		}},
	{kind: "application_role", endpoint: "GET /rest/api/3/applicationrole", perm: PermAdminister, scope: ScopeManageConf,
		run: func(ctx context.Context, c Client, _ *state) (int, error) {
			_, err := c.ApplicationRoles(ctx)
			return -1, err
		}},
	{kind: "permission_scheme", endpoint: "GET /rest/api/3/permissionscheme", perm: PermAdminister, scope: ScopeManageConf,
		run: func(ctx context.Context, c Client, _ *state) (int, error) {
			_, err := c.PermissionSchemes(ctx)
			return -1, err
		}},
	{kind: "org users", endpoint: "GET /admin/v1/orgs/{orgId}/users", perm: PermOrgKey, org: true,
		run: orgUsersProbe},
	{kind: "org groups", endpoint: "GET /admin/v2/orgs/{orgId}/directories/-/groups", perm: PermOrgKey, org: true,
		run: func(ctx context.Context, c Client, _ *state) (int, error) {
			_, _, err := c.OrgGroupsPage(ctx, "")
			return -1, err
		}},
}

// MaxRetries is how often a check retries one request, whatever went wrong
// (a 429 included), so the answer comes in seconds.
const MaxRetries = 2

// retryLimiter is a Client whose retries can be capped (*jira.Client).
type retryLimiter interface{ LimitRetries(n int) }

// Run detects the token kind and the account, then probes every kind. The
// org probes run only when the client's options have org access. A context error
// stops it and is returned; everything else is in the report. A client
// that can cap its retries is held to MaxRetries.
func Run(ctx context.Context, c Client, app jira.Options) (*Report, error) {
	if l, ok := c.(retryLimiter); ok {
		l.LimitRetries(MaxRetries)
	}
	rep := &Report{Site: app.SiteURL}
	id, err := c.Detect(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("check: %w", ctx.Err())
		}
		rep.AuthErr = err
		return rep, nil
	}
	rep.Identity = id
	st := &state{}
	for _, p := range probes {
		if p.org && !app.HasOrgAccess() {
			continue
		}
		n, err := p.run(ctx, c, st)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("check %s: %w", p.kind, ctx.Err())
		}
		rep.Results = append(rep.Results, classify(p, id.Kind, n, err))
	}
	return rep, nil
}

// classify turns a probe's outcome into a Result.
func classify(p probe, kind jira.TokenKind, n int, err error) Result {
	r := Result{Kind: p.kind, Endpoint: p.endpoint}
	var skip skipError
	var degraded degradedError
	var auth *jira.AuthError
	var api *jira.APIError
	switch {
	case errors.As(err, &skip):
		r.State, r.Detail = Skipped, skip.why
	case errors.As(err, &degraded):
		r.State, r.Detail = Warning, degraded.why
	case errors.As(err, &auth) && auth.MissingScope:
		r.State = Denied
		// The probe table (brief and simulator) wins over the client's
		// route table; the client's scope is the fallback.
		r.Missing = "token scope " + firstNonEmpty(p.scope, auth.Scope)
		r.Detail = "HTTP 401: scope does not match"
	case errors.As(err, &auth):
		r.State, r.Missing = Denied, p.perm
		if p.org {
			r.Missing = PermOrgKey
		}
		r.Detail = "HTTP " + strconv.Itoa(auth.Status) + ": " + auth.Message
	case jira.IsForbidden(err) || jira.IsNotFound(err):
		r.State, r.Missing = Denied, need(p, kind)
		r.Detail = "HTTP " + strconv.Itoa(statusOf(err)) + " (Jira answers 404 where it means no permission)"
		if jira.IsForbidden(err) {
			r.Detail = "HTTP 403 Forbidden"
		}
		if p.kind == "project" && jira.IsNotFound(err) {
			r.State = Empty
			r.Detail = "no project is visible to this account"
		}
	case err != nil && errors.As(err, &api):
		r.State, r.Detail = Failed, api.Error()
	case err != nil:
		r.State, r.Detail = Failed, err.Error()
	case n == 0:
		r.State, r.Missing = Empty, need(p, kind)
		r.Detail = "the request succeeded but nothing is visible to this account"
	default:
		r.State = OK
	}
	return r
}

// need names what a 403/404 or an empty answer points to: a Jira
// permission of the account (for every token kind).
func need(p probe, _ jira.TokenKind) string {
	if p.org {
		return PermOrgKey
	}
	return "Jira permission \"" + p.perm + "\""
}

func statusOf(err error) int {
	var api *jira.APIError
	if errors.As(err, &api) {
		return api.Status
	}
	return 0
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
