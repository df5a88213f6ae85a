package sim

import (
	"net/http"
	"strconv"
	"strings"
)

// hRoles: the global project roles with their default (group) actors.
func (s *Server) hRoles(c *call) {
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, '[')
	for i := range s.site.roles {
		r := &s.site.roles[i]
		if i > 0 {
			*b = append(*b, ',')
		}
		actors := make([]actor, len(r.defaultGroups))
		for j, g := range r.defaultGroups {
			actors[j] = actor{id: int64(20000 + 10*i + j), user: -1, group: g}
		}
		*b = s.site.appendRole(*b, r, s.site.host+jiraBase+"/role/"+strconv.FormatInt(r.id, 10), actors)
	}
	*b = append(*b, ']')
	c.json(http.StatusOK, *b)
}

// hApplicationRoles: every application role with its groups.
func (s *Server) hApplicationRoles(c *call) {
	st := s.site
	b := getBuf()
	defer putBuf(b)
	names := func(b []byte, gs []int32) []byte {
		b = append(b, '[')
		for i, g := range gs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, st.groups[g].name)
		}
		return append(b, ']')
	}
	details := func(b []byte, gs []int32) []byte {
		b = append(b, '[')
		for i, g := range gs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendJSONString(b, st.groups[g].name)
			b = append(b, `,"groupId":`...)
			b = appendJSONString(b, st.groups[g].id)
			b = append(b, `,"self":`...)
			b = appendJSONString(b, st.host+jiraBase+"/group?groupId="+st.groups[g].id)
			b = append(b, '}')
		}
		return append(b, ']')
	}
	*b = append(*b, '[')
	for i := range st.appRoles {
		a := &st.appRoles[i]
		if i > 0 {
			*b = append(*b, ',')
		}
		*b = append(*b, `{"key":`...)
		*b = appendJSONString(*b, a.key)
		*b = append(*b, `,"groups":`...)
		*b = names(*b, a.groups)
		*b = append(*b, `,"groupDetails":`...)
		*b = details(*b, a.groups)
		*b = append(*b, `,"name":`...)
		*b = appendJSONString(*b, a.name)
		*b = append(*b, `,"defaultGroups":`...)
		*b = names(*b, a.defaults)
		*b = append(*b, `,"defaultGroupsDetails":`...)
		*b = details(*b, a.defaults)
		*b = append(*b, `,"selectedByDefault":false,"defined":true,"numberOfSeats":`...)
		*b = appendInt(*b, a.seats)
		if a.seats >= 0 {
			*b = append(*b, `,"remainingSeats":`...)
			*b = appendInt(*b, max(0, a.seats-a.userCount))
		}
		*b = append(*b, `,"userCount":`...)
		*b = appendInt(*b, a.userCount)
		*b = append(*b, `,"userCountDescription":"users","hasUnlimitedSeats":`...)
		*b = appendBool(*b, a.seats < 0)
		*b = append(*b, `,"platform":false}`...)
	}
	*b = append(*b, ']')
	c.json(http.StatusOK, *b)
}

// hPermissionSchemes: {"permissionSchemes":[...]}, grants with
// expand=permissions (or all).
func (s *Server) hPermissionSchemes(c *call) {
	withGrants := false
	for _, v := range c.r.URL.Query()["expand"] {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e == "permissions" || e == "all" {
				withGrants = true
			}
		}
	}
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, `{"permissionSchemes":[`...)
	for i := range s.site.schemes {
		if i > 0 {
			*b = append(*b, ',')
		}
		*b = s.site.appendScheme(*b, &s.site.schemes[i], withGrants)
	}
	*b = append(*b, "]}"...)
	c.json(http.StatusOK, *b)
}

func (st *site) appendScheme(b []byte, sc *scheme, withGrants bool) []byte {
	self := st.host + jiraBase + "/permissionscheme/" + strconv.FormatInt(sc.id, 10)
	b = append(b, `{"expand":"permissions,user,group,projectRole,field,all","id":`...)
	b = appendInt(b, sc.id)
	b = append(b, `,"self":`...)
	b = appendJSONString(b, self)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, sc.name)
	if sc.description != "" {
		b = append(b, `,"description":`...)
		b = appendJSONString(b, sc.description)
	}
	if withGrants {
		b = append(b, `,"permissions":[`...)
		for i := range sc.grants {
			g := &sc.grants[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = appendInt(b, g.id)
			b = append(b, `,"self":`...)
			b = appendJSONString(b, self+"/permission/"+strconv.FormatInt(g.id, 10))
			b = append(b, `,"holder":{"type":`...)
			b = appendJSONString(b, g.typ)
			if g.parameter != "" {
				b = append(b, `,"parameter":`...)
				b = appendJSONString(b, g.parameter)
			}
			if g.value != "" {
				b = append(b, `,"value":`...)
				b = appendJSONString(b, g.value)
			}
			switch g.typ {
			case "group", "user", "projectRole":
				b = append(b, `,"expand":`...)
				b = appendJSONString(b, g.typ)
			}
			b = append(b, `},"permission":`...)
			b = appendJSONString(b, g.permission)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}
