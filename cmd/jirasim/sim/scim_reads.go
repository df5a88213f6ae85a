package sim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// SCIM bases: version 2 is Atlassian's user provisioning API; version 1.1
// is served on its own base for clients of older SCIM servers.
const (
	scimBase2 = "/scim/directory/{directoryId}"
	scimBase1 = "/scim/v1/directory/{directoryId}"
)

// v1 reports whether the request is to the SCIM 1.1 base.
func (c *call) v1() bool { return strings.HasPrefix(c.r.URL.Path, "/scim/v1/") }

// scimError answers with a SCIM error body: version 2's
// {"schemas":[Error],"status","scimType","detail"} or version 1.1's
// {"Errors":[{"description","code"}]}.
func (c *call) scimError(status int, scimType, detail string) {
	var v any
	if c.v1() {
		v = map[string]any{"Errors": []map[string]string{{"description": detail, "code": strconv.Itoa(status)}}}
	} else {
		m := map[string]any{"schemas": []string{urnError2}, "status": strconv.Itoa(status), "detail": detail}
		if scimType != "" {
			m["scimType"] = scimType
		}
		v = m
	}
	b, _ := json.Marshal(v)
	c.write(status, "application/scim+json", b)
}

func (c *call) scimJSON(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.scimError(http.StatusInternalServerError, "", "encode: "+err.Error())
		return
	}
	c.write(status, "application/scim+json", b)
}

// base is the request's SCIM base URL, for meta.location and $ref.
func (c *call) scimBaseURL() string {
	p := "/scim/directory/"
	if c.v1() {
		p = "/scim/v1/directory/"
	}
	return "http://" + c.r.Host + p + c.r.PathValue("directoryId")
}

func (s *Server) scimUserJSON(c *call, u *scimUser) map[string]any {
	v1 := c.v1()
	core, ent := urnUser2, urnEnterprise2
	if v1 {
		core, ent = urnCore1, urnEnterprise1
	}
	schemas := []string{core}
	m := map[string]any{
		"id": u.id, "userName": u.userName, "displayName": u.displayName, "active": u.active,
		"meta": map[string]string{"resourceType": "User", "location": c.scimBaseURL() + "/Users/" + u.id},
	}
	if n := u.nameMap(); n != nil {
		m["name"] = n
	}
	if u.email != "" {
		m["emails"] = []map[string]any{{"value": u.email, "type": "work", "primary": true}}
	}
	for k, v := range map[string]string{"externalId": u.externalID, "title": u.title, "department": u.department,
		"organization": u.organization, "timezone": u.timezone, "preferredLanguage": u.locale} {
		if v != "" {
			m[k] = v
		}
	}
	if u.accountID != "" {
		schemas = append(schemas, urnAtlassian)
		m[urnAtlassian] = map[string]string{"atlassianAccountId": u.accountID}
	}
	if len(u.enterprise) > 0 {
		schemas = append(schemas, ent)
		m[ent] = u.enterprise
	}
	if u.badge != "" {
		schemas = append(schemas, urnSimCustom)
		m[urnSimCustom] = map[string]string{"badge": u.badge}
	}
	m["schemas"] = schemas
	return m
}

func (s *Server) scimGroupJSON(c *call, g *scimGroup) map[string]any {
	schema := urnGroup2
	if c.v1() {
		schema = urnCore1
	}
	base := c.scimBaseURL()
	d := s.scim.dir
	members := make([]map[string]string, 0, len(g.members))
	for _, id := range g.members {
		mm := map[string]string{"value": id, "$ref": base + "/Users/" + id, "type": "User"}
		if i, ok := d.userIdx[id]; ok {
			mm["display"] = d.users[i].displayName
		}
		members = append(members, mm)
	}
	m := map[string]any{"schemas": []string{schema}, "id": g.id, "displayName": g.displayName, "members": members,
		"meta": map[string]string{"resourceType": "Group", "location": base + "/Groups/" + g.id}}
	if g.externalID != "" {
		m["externalId"] = g.externalID
	}
	return m
}

// scimPage reads startIndex (1-based; below 1 means 1) and count (at most
// the page size; missing means the page size); a malformed value is 400.
func (c *call) scimPage() (start, count int, ok bool) {
	q := c.r.URL.Query()
	start, count = 1, c.s.scim.cfg.PageSize
	if v := q.Get("startIndex"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			c.scimError(http.StatusBadRequest, "invalidValue", "startIndex must be an integer.")
			return 0, 0, false
		}
		start = max(1, n)
	}
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			c.scimError(http.StatusBadRequest, "invalidValue", "count must be an integer.")
			return 0, 0, false
		}
		count = min(max(0, n), c.s.scim.cfg.PageSize)
	}
	return start, count, true
}

// scimFilter parses the one filter form served, `ATTR eq "VALUE"`, for
// userName, externalId and displayName.
func (c *call) scimFilter() (attr, value string, ok bool) {
	f := strings.TrimSpace(c.r.URL.Query().Get("filter"))
	if f == "" {
		return "", "", true
	}
	if c.s.scim.cfg.NoFilter {
		c.scimError(http.StatusBadRequest, "invalidFilter", "Filtering is not supported.")
		return "", "", false
	}
	a, rest, found := strings.Cut(f, " ")
	op, v, found2 := strings.Cut(strings.TrimSpace(rest), " ")
	v = strings.TrimSpace(v)
	if !found || !found2 || !strings.EqualFold(op, "eq") || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		c.scimError(http.StatusBadRequest, "invalidFilter", "Only filters of the form ATTRIBUTE eq \"VALUE\" are supported.")
		return "", "", false
	}
	var s string
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		c.scimError(http.StatusBadRequest, "invalidFilter", "The filter value is not a valid string.")
		return "", "", false
	}
	switch strings.ToLower(a) {
	case "username", "externalid", "displayname":
		return strings.ToLower(a), s, true
	}
	c.scimError(http.StatusBadRequest, "invalidFilter", "Filtering on "+a+" is not supported.")
	return "", "", false
}

// scimList answers a ListResponse of the n matching resources' page.
func (s *Server) scimList(c *call, n int, item func(i int) map[string]any) {
	start, count, ok := c.scimPage()
	if !ok {
		return
	}
	from := min(start-1, n)
	to := min(n, from+count)
	if s.scim.cfg.ShortPages && to-from > 1 && to < n {
		to -= 1 + (to-from)/3 // fewer than asked, never none
	}
	res := make([]map[string]any, 0, to-from)
	for i := from; i < to; i++ {
		res = append(res, item(i))
	}
	schema := urnListResponse2
	if c.v1() {
		schema = urnCore1
	}
	c.scimJSON(http.StatusOK, map[string]any{"schemas": []string{schema}, "totalResults": n, "startIndex": start,
		"itemsPerPage": len(res), "Resources": res})
}

// hSCIMUsers: GET /Users?startIndex&count[&filter].
func (s *Server) hSCIMUsers(c *call) {
	attr, val, ok := c.scimFilter()
	if !ok {
		return
	}
	d := s.scim.dir
	idx := make([]int, 0, len(d.users))
	for i := range d.users {
		u := &d.users[i]
		switch attr {
		case "username":
			if !strings.EqualFold(u.userName, val) {
				continue
			}
		case "externalid":
			if u.externalID != val {
				continue
			}
		case "displayname":
			if u.displayName != val {
				continue
			}
		}
		idx = append(idx, i)
	}
	s.scimList(c, len(idx), func(i int) map[string]any { return s.scimUserJSON(c, &d.users[idx[i]]) })
}

// hSCIMGroups: GET /Groups?startIndex&count[&filter=displayName eq "x"].
func (s *Server) hSCIMGroups(c *call) {
	attr, val, ok := c.scimFilter()
	if !ok {
		return
	}
	d := s.scim.dir
	idx := make([]int, 0, len(d.groups))
	for i := range d.groups {
		if attr == "displayname" && d.groups[i].displayName != val || attr != "" && attr != "displayname" {
			continue
		}
		idx = append(idx, i)
	}
	s.scimList(c, len(idx), func(i int) map[string]any { return s.scimGroupJSON(c, &d.groups[idx[i]]) })
}

// scimUserAt finds the path's user; nil means a 404 was sent.
func (s *Server) scimUserAt(c *call) *scimUser {
	i, ok := s.scim.dir.userIdx[c.r.PathValue("id")]
	if !ok {
		c.scimError(http.StatusNotFound, "", "User "+c.r.PathValue("id")+" not found.")
		return nil
	}
	return &s.scim.dir.users[i]
}

// scimGroupAt finds the path's group; nil means a 404 was sent.
func (s *Server) scimGroupAt(c *call) *scimGroup {
	i, ok := s.scim.dir.groupIdx[c.r.PathValue("id")]
	if !ok {
		c.scimError(http.StatusNotFound, "", "Group "+c.r.PathValue("id")+" not found.")
		return nil
	}
	return &s.scim.dir.groups[i]
}

func (s *Server) hSCIMUser(c *call) {
	if u := s.scimUserAt(c); u != nil {
		c.scimJSON(http.StatusOK, s.scimUserJSON(c, u))
	}
}

func (s *Server) hSCIMGroup(c *call) {
	if g := s.scimGroupAt(c); g != nil {
		c.scimJSON(http.StatusOK, s.scimGroupJSON(c, g))
	}
}

// hSCIMServiceProviderConfig declares what the directory supports.
func (s *Server) hSCIMServiceProviderConfig(c *call) {
	cfg := &s.scim.cfg
	m := map[string]any{
		"patch":          map[string]any{"supported": !cfg.NoPatch},
		"bulk":           map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":         map[string]any{"supported": !cfg.NoFilter, "maxResults": cfg.PageSize},
		"changePassword": map[string]any{"supported": false},
		"sort":           map[string]any{"supported": false},
		"etag":           map[string]any{"supported": false},
		"authenticationSchemes": []map[string]any{
			{"type": "oauthbearertoken", "name": "OAuth Bearer Token", "description": "Directory API key or OAuth 2.0 access token", "primary": true},
			{"type": "httpbasic", "name": "HTTP Basic", "description": "Basic credentials"},
		},
	}
	if c.v1() {
		m["schemas"] = []string{urnCore1}
	} else {
		m["schemas"] = []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"}
	}
	c.scimJSON(http.StatusOK, m)
}

// hSCIMResourceTypes lists User (with its extensions) and Group.
func (s *Server) hSCIMResourceTypes(c *call) {
	ext := func(urn string, req bool) map[string]any { return map[string]any{"schema": urn, "required": req} }
	rts := []map[string]any{
		{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"}, "id": "User", "name": "User",
			"endpoint": "/Users", "schema": urnUser2,
			"schemaExtensions": []map[string]any{ext(urnEnterprise2, false), ext(urnAtlassian, false), ext(urnSimCustom, false)}},
		{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"}, "id": "Group", "name": "Group",
			"endpoint": "/Groups", "schema": urnGroup2},
	}
	if s.scim.cfg.BareDiscoveryLists {
		c.scimJSON(http.StatusOK, rts)
		return
	}
	c.scimJSON(http.StatusOK, map[string]any{"schemas": []string{urnListResponse2}, "totalResults": len(rts),
		"startIndex": 1, "itemsPerPage": len(rts), "Resources": rts})
}

// hSCIMSchemas lists the schemas with their attribute names.
func (s *Server) hSCIMSchemas(c *call) {
	attr := func(names ...string) []map[string]any {
		out := make([]map[string]any, len(names))
		for i, n := range names {
			out[i] = map[string]any{"name": n, "type": "string", "multiValued": false}
		}
		return out
	}
	user, ent := urnUser2, urnEnterprise2
	if c.v1() {
		user, ent = urnCore1, urnEnterprise1
	}
	schemas := []map[string]any{
		{"id": user, "name": "User", "attributes": attr("userName", "name", "displayName", "emails", "active", "title", "timezone", "preferredLanguage", "externalId")},
		{"id": urnGroup2, "name": "Group", "attributes": attr("displayName", "members", "externalId")},
		{"id": ent, "name": "EnterpriseUser", "attributes": attr("employeeNumber", "costCenter", "organization", "department", "division", "manager")},
		{"id": urnAtlassian, "name": "AtlassianExternal", "attributes": attr("atlassianAccountId")},
		{"id": urnSimCustom, "name": "Badge", "attributes": attr("badge")},
	}
	if c.v1() || s.scim.cfg.BareDiscoveryLists {
		c.scimJSON(http.StatusOK, schemas)
		return
	}
	c.scimJSON(http.StatusOK, map[string]any{"schemas": []string{urnListResponse2}, "totalResults": len(schemas),
		"startIndex": 1, "itemsPerPage": len(schemas), "Resources": schemas})
}
