package sim

import (
	"net/http"
	"strings"
)

// buildSCIMRoutes adds the SCIM directory (version 2 and 1.1 bases) and
// the OAuth token endpoint through add, the route builder of buildRoutes,
// so stats, latency, faults and the rate limit apply to them as to every
// other route.
func (s *Server) buildSCIMRoutes(add func(rt *route, patterns ...string)) {
	for _, r := range []struct {
		method, path string
		h            func(c *call)
		v1only       bool
		v2only       bool
	}{
		{"GET", "/Users", s.hSCIMUsers, false, false},
		{"GET", "/Users/{id}", s.hSCIMUser, false, false},
		{"POST", "/Users", s.hSCIMUserCreate, false, false},
		{"PUT", "/Users/{id}", s.hSCIMUserReplace, false, false},
		{"PATCH", "/Users/{id}", s.hSCIMUserPatch, false, false},
		{"DELETE", "/Users/{id}", s.hSCIMUserDelete, false, false},
		{"GET", "/Groups", s.hSCIMGroups, false, false},
		{"GET", "/Groups/{id}", s.hSCIMGroup, false, false},
		{"POST", "/Groups", s.hSCIMGroupCreate, false, false},
		{"PUT", "/Groups/{id}", s.hSCIMGroupReplace, false, false},
		{"PATCH", "/Groups/{id}", s.hSCIMGroupPatch, false, false},
		{"GET", "/Schemas", s.hSCIMSchemas, false, false},
		{"GET", "/ServiceProviderConfig", s.hSCIMServiceProviderConfig, false, true},
		{"GET", "/ResourceTypes", s.hSCIMResourceTypes, false, true},
		{"GET", "/ServiceProviderConfigs", s.hSCIMServiceProviderConfig, true, false},
	} {
		for _, base := range []string{scimBase2, scimBase1} {
			if r.v1only && base == scimBase2 || r.v2only && base == scimBase1 {
				continue
			}
			tmpl := base + r.path
			add(&route{method: r.method, tmpl: tmpl, kind: kindSCIM, write: r.method != http.MethodGet, handler: r.h}, tmpl)
		}
	}
	add(&route{method: http.MethodPost, tmpl: "/oauth/token", kind: kindOpen, handler: s.hOAuthToken}, "/oauth/token")
}

// isSCIM reports whether c is a SCIM route (its errors are SCIM error
// bodies).
func (c *call) isSCIM() bool {
	return c.rt != nil && c.rt.kind == kindSCIM && strings.HasPrefix(c.rt.tmpl, "/scim/")
}
