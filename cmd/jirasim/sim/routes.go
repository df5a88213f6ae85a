package sim

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Scopes of the classic scoped-token model.
const (
	scopeUser      = "read:jira-user"
	scopeWork      = "read:jira-work"
	scopeWriteWork = "write:jira-work"
	scopeProject   = "manage:jira-project"
	scopeConfig    = "manage:jira-configuration"
)

type routeKind int

const (
	kindJira  routeKind = iota // Basic auth, site and gateway
	kindAdmin                  // Bearer org API key
	kindOpen                   // no auth, no faults, no rate limit
	kindSCIM                   // SCIM directory: Bearer key or token, or Basic
)

type permNeed int

const (
	permNone permNeed = iota
	permUsers
	permAdmin
	permProjects
	permProjectAdmin // AdministerProjects or AdministerJira; else 404
)

// route is one endpoint: its template (the stats key), auth, scope and handler.
type route struct {
	idx     int
	method  string
	tmpl    string
	key     string
	kind    routeKind
	scope   string
	perm    permNeed
	write   bool // POST, PUT, DELETE: runs under the site's write lock
	handler func(c *call)
}

const jiraBase = "/rest/api/3"

// undocumented are the reads the published API facts do not list; with
// Config.StrictDocumentedOnly they are not served.
var undocumented = map[string]bool{
	"/user/search":          true,
	"/issue/{issueIdOrKey}": true,
	"/issue/createmeta/{projectIdOrKey}/issuetypes":                      true,
	"/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}":        true,
	"/admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}": true,
}

func (s *Server) buildRoutes() {
	jira := []struct {
		method string
		path   string
		scope  string
		perm   permNeed
		h      func(c *call)
	}{
		{"", "/myself", scopeUser, permNone, s.hMyself},
		{"", "/users/search", scopeUser, permUsers, s.hUsersSearch},
		{"", "/group/bulk", scopeUser, permUsers, s.hGroupBulk},
		{"", "/group/member", scopeUser, permUsers, s.hGroupMember},
		{"", "/project/search", scopeWork, permProjects, s.hProjectSearch},
		{"", "/project/{projectIdOrKey}/role", scopeWork, permProjects, s.hProjectRoles},
		{"", "/project/{projectIdOrKey}/roledetails", scopeWork, permProjects, s.hProjectRoleDetails},
		{"", "/project/{projectIdOrKey}/role/{id}", scopeWork, permProjects, s.hProjectRole},
		{"", "/project/{projectKeyOrId}/permissionscheme", scopeWork, permProjects, s.hProjectScheme},
		{"", "/role", scopeWork, permAdmin, s.hRoles},
		{"", "/applicationrole", scopeConfig, permAdmin, s.hApplicationRoles},
		{"", "/permissionscheme", scopeConfig, permAdmin, s.hPermissionSchemes},
		// Writes and what a writing client reads back.
		{"", "/user/groups", scopeUser, permUsers, s.hUserGroups},
		{"", "/user", scopeUser, permUsers, s.hUserGet},
		{"", "/user/search", scopeUser, permUsers, s.hUserSearch},
		{"POST", "/group/user", scopeConfig, permAdmin, s.hGroupUserAdd},
		{"DELETE", "/group/user", scopeConfig, permAdmin, s.hGroupUserRemove},
		{"POST", "/project/{projectIdOrKey}/role/{id}", scopeProject, permProjectAdmin, s.hRoleActorsAdd},
		{"DELETE", "/project/{projectIdOrKey}/role/{id}", scopeProject, permProjectAdmin, s.hRoleActorsRemove},
		{"POST", "/user", scopeConfig, permAdmin, s.hUserCreate},
		{"DELETE", "/user", scopeConfig, permAdmin, s.hUserDelete},
		{"", "/auditing/record", scopeConfig, permAdmin, s.hAuditRecords},
		// Tickets.
		{"", "/project/{projectIdOrKey}", scopeWork, permProjects, s.hProjectGet},
		{"", "/issuetype/project", scopeWork, permProjects, s.hIssueTypesOfProject},
		{"", "/issue/createmeta/{projectIdOrKey}/issuetypes", scopeWork, permProjects, s.hCreateMetaIssueTypes},
		{"", "/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}", scopeWork, permProjects, s.hCreateMetaFields},
		{"POST", "/issue", scopeWriteWork, permNone, s.hIssueCreate},
		{"", "/issue/{issueIdOrKey}", scopeWork, permNone, s.hIssueGet},
		{"", "/search/jql", scopeWork, permNone, s.hSearchJQL},
	}
	s.mux = http.NewServeMux()
	add := func(rt *route, patterns ...string) {
		rt.idx = len(s.routes)
		rt.key = rt.method + " " + rt.tmpl
		s.routes = append(s.routes, rt)
		h := s.wrap(rt)
		for _, p := range patterns {
			s.mux.Handle(rt.method+" "+p, h)
		}
	}
	for _, j := range jira {
		if s.cfg.StrictDocumentedOnly && undocumented[j.path] {
			continue // the catch-all answers 404, as for any unknown endpoint
		}
		tmpl := jiraBase + j.path
		m := j.method
		if m == "" {
			m = http.MethodGet
		}
		add(&route{method: m, tmpl: tmpl, kind: kindJira, scope: j.scope, perm: j.perm, write: m != http.MethodGet, handler: j.h},
			tmpl, "/ex/jira/{cloudId}"+tmpl)
	}
	add(&route{method: http.MethodGet, tmpl: jiraBase + "/serverInfo", kind: kindOpen, handler: s.hServerInfo},
		jiraBase+"/serverInfo", "/ex/jira/{cloudId}"+jiraBase+"/serverInfo")
	add(&route{method: http.MethodGet, tmpl: "/_edge/tenant_info", kind: kindOpen, handler: s.hTenantInfo}, "/_edge/tenant_info")
	const dir = "/admin/v2/orgs/{orgId}/directories/{directoryId}"
	for _, a := range []struct {
		method string
		path   string
		h      func(c *call)
	}{
		{"", "/admin/v1/orgs/{orgId}/users", s.hAdminV1Users},
		{"", dir + "/users", s.hAdminV2Users},
		{"", dir + "/groups", s.hAdminV2Groups},
		{"", "/admin/v2/orgs/{orgId}/directories", s.hAdminDirectories},
		{"", dir + "/users/{accountId}", s.hAdminV2User},
		{"POST", dir + "/users/{accountId}/suspend", s.hAdminSuspend},
		{"POST", dir + "/users/{accountId}/restore", s.hAdminRestore},
		{"POST", dir + "/groups/{groupId}/memberships", s.hAdminMembershipAdd},
		{"DELETE", dir + "/groups/{groupId}/memberships/{accountId}", s.hAdminMembershipRemove},
		{"POST", "/users/{accountId}/manage/lifecycle/disable", s.hAdminLifecycleDisable},
		{"POST", "/users/{accountId}/manage/lifecycle/enable", s.hAdminLifecycleEnable},
	} {
		m := a.method
		if m == "" {
			m = http.MethodGet
		}
		if s.cfg.StrictDocumentedOnly && m == http.MethodGet && undocumented[a.path] {
			continue
		}
		add(&route{method: m, tmpl: a.path, kind: kindAdmin, write: m != http.MethodGet, handler: a.h}, a.path)
	}
	s.buildSCIMRoutes(add)
	s.stats.init(len(s.routes))
	s.mux.HandleFunc("GET /_sim/stats", s.hSimStats)
	s.mux.HandleFunc("GET /_sim/truth", s.hSimTruth)
	s.mux.HandleFunc("POST /_sim/faults", s.hSimFaults)
	s.mux.HandleFunc("POST /_sim/ratelimit", s.hSimRateLimit)
	s.mux.HandleFunc("POST /_sim/reset-stats", s.hSimResetStats)
	s.mux.HandleFunc("POST /_sim/issues/{issueIdOrKey}/transition", s.hSimTransition)
	s.mux.HandleFunc("POST /_sim/issue-required-fields", s.hSimRequiredFields)
	s.mux.HandleFunc("POST /_sim/churn", s.hSimChurn)
	s.mux.HandleFunc("/", s.hNotFound)
	s.h = s.mux
}

// call is one request in flight.
type call struct {
	s        *Server
	w        http.ResponseWriter
	r        *http.Request
	rt       *route
	gateway  bool
	truncate bool
	near     bool
	faults   *faultState
	status   int
	locked   int8 // 1: holds the site's read lock, 2: its write lock
	answered bool // an after-write fault was drawn
}

// lock takes the site lock the route needs.
func (c *call) lock() {
	if c.rt.write {
		c.s.siteMu.Lock()
		c.locked = 2
		return
	}
	c.s.siteMu.RLock()
	c.locked = 1
}

// unlock releases the site lock, if held; answers are encoded under the
// lock and sent after it.
func (c *call) unlock() {
	switch c.locked {
	case 1:
		c.s.siteMu.RUnlock()
	case 2:
		c.s.siteMu.Unlock()
	}
	c.locked = 0
}

// wrote counts a change a write made to the site.
func (c *call) wrote() {
	c.s.stats.writes.Add(1)
	c.s.stats.writesByRoute[c.rt.idx].Add(1)
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 8<<20 {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// wrap applies, in order: stats, latency, auth, scope, rate limit, faults,
// permissions; then runs the handler.
func (s *Server) wrap(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.stats.requests.Add(1)
		s.stats.byRoute[rt.idx].Add(1)
		if rt.write {
			s.stats.writeRequests.Add(1)
		}
		c := &call{s: s, w: w, r: r, rt: rt, gateway: strings.HasPrefix(r.URL.Path, "/ex/jira/")}
		if rt.kind == kindOpen {
			if c.gateway && r.PathValue("cloudId") != s.cfg.CloudID {
				c.jiraError(http.StatusNotFound, "Site not found")
				return
			}
			rt.handler(c)
			return
		}
		c.faults = s.faults.Load()
		if !c.faults.delay(r.Context(), s) {
			s.stats.status(0)
			return
		}
		switch rt.kind {
		case kindJira:
			if !s.authJira(c) {
				return
			}
		case kindAdmin:
			if !s.authAdmin(c) {
				return
			}
		case kindSCIM:
			if !s.authSCIM(c) {
				return
			}
		}
		if !s.limit(c) {
			return
		}
		if !s.injectFaults(c) {
			return
		}
		if rt.kind == kindJira && !s.checkPermission(c) {
			return
		}
		c.lock()
		defer c.unlock()
		rt.handler(c)
	})
}

// write sends a complete answer; truncation applies to 200s only. It
// releases the site lock first. A successful write may instead get an
// after-write fault (the change stays made).
func (c *call) write(status int, ctype string, body []byte) {
	c.unlock()
	if c.rt.write && status < 300 && c.faults != nil && !c.answered && c.afterWriteFault() {
		return
	}
	h := c.w.Header()
	h.Set("Content-Type", ctype)
	if c.near && status < 300 {
		h.Set("X-RateLimit-NearLimit", "true")
	}
	if c.truncate && status == http.StatusOK && len(body) > 1 {
		body = body[:len(body)/2]
		c.s.stats.faults.Add(1)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.status = status
	c.s.stats.status(status)
	c.w.WriteHeader(status)
	_, _ = c.w.Write(body)
}

func (c *call) json(status int, body []byte) { c.write(status, "application/json;charset=UTF-8", body) }

// jiraError answers with Jira's error collection body.
func (c *call) jiraError(status int, msgs ...string) {
	if c.isSCIM() {
		c.scimError(status, "", strings.Join(msgs, " "))
		return
	}
	b := append([]byte(nil), `{"errorMessages":[`...)
	for i, m := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, m)
	}
	b = append(b, `],"errors":{},"status":`...)
	b = appendInt(b, int64(status))
	b = append(b, '}')
	c.json(status, b)
}

func (s *Server) hNotFound(w http.ResponseWriter, r *http.Request) {
	s.stats.requests.Add(1)
	s.stats.other(r.Method + " (unmatched)")
	s.stats.status(http.StatusNotFound)
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(notFoundHTML))
}

const notFoundHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Oops, you&#39;ve found a dead link. - Jira</title></head>
<body><div id="error-state"><h1>Oops, you've found a dead link.</h1><p>Use the links at the top to get back.</p></div></body></html>
`
