package sim

import (
	"net/http"
	"strconv"
	"strings"
)

// hProjectSearch: PageBean of projects, cap 100; live only unless status
// parameters (repeated or comma-separated) say otherwise; 404 when nothing
// matches.
func (s *Server) hProjectSearch(c *call) {
	q := c.r.URL.Query()
	start, max, ok := c.paging(q, 50, 100)
	if !ok {
		return
	}
	live, archived := len(q["status"]) == 0, false
	for _, v := range q["status"] {
		for _, st := range strings.Split(v, ",") {
			switch strings.TrimSpace(st) {
			case "live":
				live = true
			case "archived":
				archived = true
			case "deleted":
			default:
				c.jiraError(http.StatusBadRequest, "Invalid status: '"+st+"'.")
				return
			}
		}
	}
	lead := false
	for _, v := range q["expand"] {
		for _, e := range strings.Split(v, ",") {
			if strings.TrimSpace(e) == "lead" {
				lead = true
			}
		}
	}
	var list []int32
	switch {
	case live && archived:
		list = s.site.all
	case live:
		list = s.site.live
	case archived:
		list = s.site.archived
	}
	if len(list) == 0 {
		c.jiraError(http.StatusNotFound, "No projects found")
		return
	}
	from, to := min(start, len(list)), min(len(list), start+max)
	if from == to && c.faults.f.EmptyProjectSearch404 {
		c.jiraError(http.StatusNotFound, "No projects found")
		return
	}
	b := getBuf()
	defer putBuf(b)
	*b = c.pageBean(*b, q, start, max, len(list), to-from, false, func(b []byte) []byte {
		for i := from; i < to; i++ {
			if i > from {
				b = append(b, ',')
			}
			b = s.site.appendProject(b, &s.site.projects[list[i]], lead)
		}
		return b
	})
	c.json(http.StatusOK, *b)
}

func (st *site) appendProject(b []byte, p *project, lead bool) []byte {
	b = append(b, `{"expand":"description,lead,issueTypes,url,projectKeys,permissions,insight","self":`...)
	b = appendJSONString(b, st.host+jiraBase+"/project/"+p.id)
	b = append(b, `,"id":`...)
	b = appendJSONString(b, p.id)
	b = append(b, `,"key":`...)
	b = appendJSONString(b, p.key)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, p.name)
	b = append(b, `,"avatarUrls":{"48x48":"https://avatar-management.invalid/project/48.png"},"projectTypeKey":`...)
	b = appendJSONString(b, p.typeKey)
	b = append(b, `,"simplified":false,"style":"classic"`...)
	if p.isPrivate != nil {
		b = append(b, `,"isPrivate":`...)
		b = appendBool(b, *p.isPrivate)
	}
	b = append(b, `,"properties":{}`...)
	if p.archived {
		b = append(b, `,"archived":true,"archivedDate":"2024-11-05T10:00:00.000+0000"`...)
	}
	if lead && p.lead >= 0 {
		b = append(b, `,"lead":`...)
		b = append(b, st.userBytes(p.lead)...)
	}
	return append(b, '}')
}

// project finds the path's project, applying the project faults to role
// endpoints. nil means an error was sent.
func (s *Server) project(c *call, roleEndpoint bool) *project {
	idOrKey := c.r.PathValue("projectIdOrKey")
	if idOrKey == "" {
		idOrKey = c.r.PathValue("projectKeyOrId")
	}
	i, ok := s.site.projIdx[idOrKey]
	if !ok {
		c.jiraError(http.StatusNotFound, "No project could be found with key '"+idOrKey+"'.")
		return nil
	}
	p := &s.site.projects[i]
	if roleEndpoint {
		fs := c.faults
		if fs.forbidden[p.id] || fs.forbidden[p.key] {
			s.stats.faults.Add(1)
			c.jiraError(http.StatusForbidden, "You cannot edit the configuration of this project.")
			return nil
		}
		if fs.notFound[p.id] || fs.notFound[p.key] {
			s.stats.faults.Add(1)
			c.jiraError(http.StatusNotFound, "No project could be found with key '"+idOrKey+"'.")
			return nil
		}
	}
	return p
}

func (st *site) roleURL(p *project, r *role) string {
	return st.host + jiraBase + "/project/" + p.id + "/role/" + strconv.FormatInt(r.id, 10)
}

// hProjectRoles: {"role name": "role URL", ...}.
func (s *Server) hProjectRoles(c *call) {
	p := s.project(c, true)
	if p == nil {
		return
	}
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, '{')
	for i, pr := range p.roles {
		r := &s.site.roles[pr.role]
		if i > 0 {
			*b = append(*b, ',')
		}
		*b = appendJSONString(*b, r.name)
		*b = append(*b, ':')
		*b = appendJSONString(*b, s.site.roleURL(p, r))
	}
	*b = append(*b, '}')
	c.json(http.StatusOK, *b)
}

// hProjectRoleDetails: array of role details.
func (s *Server) hProjectRoleDetails(c *call) {
	p := s.project(c, true)
	if p == nil {
		return
	}
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, '[')
	for i, pr := range p.roles {
		r := &s.site.roles[pr.role]
		if i > 0 {
			*b = append(*b, ',')
		}
		*b = append(*b, `{"self":`...)
		*b = appendJSONString(*b, s.site.roleURL(p, r))
		*b = append(*b, `,"name":`...)
		*b = appendJSONString(*b, r.name)
		*b = append(*b, `,"id":`...)
		*b = appendInt(*b, r.id)
		if r.description != "" {
			*b = append(*b, `,"description":`...)
			*b = appendJSONString(*b, r.description)
		}
		*b = append(*b, `,"admin":`...)
		*b = appendBool(*b, r.id == 10002)
		*b = append(*b, `,"default":false,"roleConfigurable":true,"translatedName":`...)
		*b = appendJSONString(*b, r.name)
		*b = append(*b, '}')
	}
	*b = append(*b, ']')
	c.json(http.StatusOK, *b)
}

// hProjectRole: one ProjectRole with its actors.
func (s *Server) hProjectRole(c *call) {
	p := s.project(c, true)
	if p == nil {
		return
	}
	raw := c.r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		c.jiraError(http.StatusNotFound, "Could not find project role with id '"+raw+"'.")
		return
	}
	var pr *projectRole
	for i := range p.roles {
		if s.site.roles[p.roles[i].role].id == id {
			pr = &p.roles[i]
		}
	}
	if pr == nil {
		c.jiraError(http.StatusNotFound, "Could not find project role with id '"+raw+"'.")
		return
	}
	b := getBuf()
	defer putBuf(b)
	*b = s.site.appendRole(*b, &s.site.roles[pr.role], s.site.roleURL(p, &s.site.roles[pr.role]), pr.actors)
	c.json(http.StatusOK, *b)
}

// appendRole appends a ProjectRole object with the given actors.
func (st *site) appendRole(b []byte, r *role, self string, actors []actor) []byte {
	b = append(b, `{"self":`...)
	b = appendJSONString(b, self)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, r.name)
	b = append(b, `,"id":`...)
	b = appendInt(b, r.id)
	if r.description != "" {
		b = append(b, `,"description":`...)
		b = appendJSONString(b, r.description)
	}
	b = append(b, `,"actors":[`...)
	for i, a := range actors {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendInt(b, a.id)
		if a.user >= 0 {
			u := &st.users[a.user]
			b = append(b, `,"displayName":`...)
			b = appendJSONString(b, u.displayName)
			b = append(b, `,"type":"atlassian-user-role-actor","actorUser":{"accountId":`...)
			b = appendJSONString(b, u.accountID)
			b = append(b, "}}"...)
			continue
		}
		g := &st.groups[a.group]
		b = append(b, `,"displayName":`...)
		b = appendJSONString(b, g.name)
		b = append(b, `,"type":"atlassian-group-role-actor","name":`...)
		b = appendJSONString(b, g.name)
		b = append(b, `,"actorGroup":{"name":`...)
		b = appendJSONString(b, g.name)
		b = append(b, `,"displayName":`...)
		b = appendJSONString(b, g.name)
		b = append(b, `,"groupId":`...)
		b = appendJSONString(b, g.id)
		b = append(b, "}}"...)
	}
	return append(b, "]}"...)
}

// hProjectScheme: the project's permission scheme, without grants.
func (s *Server) hProjectScheme(c *call) {
	p := s.project(c, false)
	if p == nil {
		return
	}
	if fs := c.faults; fs.f.NotFoundSchemes && (fs.notFound[p.id] || fs.notFound[p.key]) {
		s.stats.faults.Add(1)
		c.jiraError(http.StatusNotFound, "No project could be found with key '"+c.r.PathValue("projectKeyOrId")+"'.")
		return
	}
	b := getBuf()
	defer putBuf(b)
	*b = s.site.appendScheme(*b, &s.site.schemes[p.scheme], false)
	c.json(http.StatusOK, *b)
}
