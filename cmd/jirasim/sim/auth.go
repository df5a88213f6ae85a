package sim

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"
)

type tokenKind int

const (
	tokBad tokenKind = iota
	tokUnscoped
	tokScoped
	tokUnderScoped
)

func eq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func (s *Server) tokenOf(r *http.Request) tokenKind {
	email, tok, ok := r.BasicAuth()
	if !ok || !eq(email, s.cfg.Email) {
		return tokBad
	}
	switch {
	case eq(tok, s.cfg.Token):
		return tokUnscoped
	case eq(tok, s.cfg.ScopedToken):
		return tokScoped
	case eq(tok, s.cfg.UnderScopedToken):
		return tokUnderScoped
	}
	return tokBad
}

// authJira checks Basic credentials: unscoped tokens work on the site only,
// scoped tokens on the gateway only, and the under-scoped token only for
// read:jira-user endpoints.
func (s *Server) authJira(c *call) bool {
	kind := s.tokenOf(c.r)
	if c.gateway {
		if c.r.PathValue("cloudId") != s.cfg.CloudID {
			c.jiraError(http.StatusNotFound, "Site not found")
			return false
		}
		switch kind {
		case tokScoped:
			return true
		case tokUnderScoped:
			if slices.Contains(s.cfg.UnderScopedScopes, c.rt.scope) {
				return true
			}
			c.json(http.StatusUnauthorized, []byte(`{"code":401,"message":"Unauthorized; scope does not match"}`))
			return false
		}
		c.unauthorized()
		return false
	}
	if kind == tokUnscoped {
		return true
	}
	c.unauthorized()
	return false
}

func (c *call) unauthorized() {
	if c.faults != nil && c.faults.f.Password401 {
		c.write(http.StatusUnauthorized, "text/plain;charset=UTF-8", []byte("Basic authentication with passwords is deprecated. For more information, see: https://developer.atlassian.com/cloud/confluence/deprecation-notice-basic-auth/"))
		return
	}
	if c.faults != nil && c.faults.f.XML401 {
		c.write(http.StatusUnauthorized, "application/xml;charset=UTF-8", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><status><status-code>401</status-code><message>Client must be authenticated to access this resource.</message></status>`))
		return
	}
	if c.faults != nil && c.faults.f.PlainText401 {
		c.write(http.StatusUnauthorized, "text/plain;charset=UTF-8", []byte("Client must be authenticated to access this resource."))
		return
	}
	c.json(http.StatusUnauthorized, []byte(`{"message":"Client must be authenticated to access this resource.","status-code":401}`))
}

// authAdmin checks the Admin API's Bearer key, the org id and the directory.
func (s *Server) authAdmin(c *call) bool {
	auth := c.r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || !eq(key, s.cfg.OrgAPIKey) {
		c.adminError(http.StatusUnauthorized, "UNAUTHORIZED", "Unauthorized", "The API key is missing, invalid or expired.")
		return false
	}
	if strings.Contains(c.rt.tmpl, "{orgId}") && c.r.PathValue("orgId") != s.cfg.OrgID {
		c.adminError(http.StatusNotFound, "NOT_FOUND", "Not Found", "Organization not found.")
		return false
	}
	if d := c.r.PathValue("directoryId"); d != "" && d != "-" && !slices.Contains(s.site.directories, d) {
		c.adminError(http.StatusNotFound, "NOT_FOUND", "Not Found", "Directory not found.")
		return false
	}
	return true
}

// checkPermission applies the account's global permissions.
func (s *Server) checkPermission(c *call) bool {
	p := s.perms
	switch c.rt.perm {
	case permUsers:
		if !p.BrowseUsers {
			c.jiraError(http.StatusForbidden, "You do not have permission to browse users and groups.")
			return false
		}
	case permAdmin:
		if !p.AdministerJira {
			c.jiraError(http.StatusForbidden, "You are not authorized to perform this action. Administrator privileges are required.")
			return false
		}
	case permProjectAdmin:
		if !p.AdministerProjects && !p.AdministerJira {
			c.jiraError(http.StatusNotFound, "No project could be found with key '"+c.r.PathValue("projectIdOrKey")+"'.")
			return false
		}
	case permProjects:
		if !p.BrowseProjects {
			if id := c.r.PathValue("projectIdOrKey") + c.r.PathValue("projectKeyOrId"); id != "" {
				c.jiraError(http.StatusNotFound, "No project could be found with key '"+id+"'.")
			} else {
				c.jiraError(http.StatusNotFound, "No projects found")
			}
			return false
		}
	}
	return true
}
