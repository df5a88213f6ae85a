package sim

import (
	"net/http"
	"strconv"
	"time"
)

func (s *Server) hMyself(c *call) {
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, s.site.userBytes(s.site.myself)...)
	c.json(http.StatusOK, *b)
}

func (s *Server) hServerInfo(c *call) {
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, `{"baseUrl":`...)
	*b = appendJSONString(*b, s.site.host)
	*b = append(*b, `,"displayUrl":`...)
	*b = appendJSONString(*b, s.site.host)
	*b = append(*b, `,"version":"1001.0.0-SNAPSHOT","versionNumbers":[1001,0,0],"deploymentType":"Cloud","buildNumber":100296,"buildDate":"2025-06-01T00:00:00.000+0000","serverTime":`...)
	*b = appendJSONString(*b, time.Now().UTC().Format("2006-01-02T15:04:05.000-0700"))
	*b = append(*b, `,"scmInfo":"jirasim","serverTitle":"Jira","defaultLocale":{"locale":"en_US"}}`...)
	c.json(http.StatusOK, *b)
}

func (s *Server) hTenantInfo(c *call) {
	b := appendJSONString([]byte(`{"cloudId":`), s.cfg.CloudID)
	c.json(http.StatusOK, append(b, '}'))
}

// hUsersSearch: a bare array, cap 1000; the caller stops on an empty page.
func (s *Server) hUsersSearch(c *call) {
	q := c.r.URL.Query()
	start, want, ok := c.paging(q, 50, 1000)
	if !ok {
		return
	}
	n := s.site.userCount()
	end := min(n, start+want)
	if start >= n {
		end = start
	} else if c.faults.f.ShortUserPages && end-start > 1 {
		end = start + max(1, (end-start)*3/4)
		s.stats.faults.Add(1)
	}
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, '[')
	if start < end {
		*b = s.site.appendUserPage(*b, start, end)
	}
	*b = append(*b, ']')
	c.json(http.StatusOK, *b)
}

// hGroupBulk: PageBean of {groupId, name}, cap 50; groupId (repeatable)
// keeps only those groups, as Jira's filter does.
func (s *Server) hGroupBulk(c *call) {
	q := c.r.URL.Query()
	start, max, ok := c.paging(q, 50, 50)
	if !ok {
		return
	}
	gs := s.site.groups
	if ids := q["groupId"]; len(ids) > 0 {
		gs = s.site.groupsByID(ids)
	}
	from, to := min(start, len(gs)), min(len(gs), start+max)
	b := getBuf()
	defer putBuf(b)
	*b = c.pageBean(*b, q, start, max, len(gs), to-from, false, func(b []byte) []byte {
		for i := from; i < to; i++ {
			if i > from {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendJSONString(b, gs[i].name)
			b = append(b, `,"groupId":`...)
			b = appendJSONString(b, gs[i].id)
			b = append(b, '}')
		}
		return b
	})
	c.json(http.StatusOK, *b)
}

// hGroupMember: PageBean of users, cap 50; inactive users only with
// includeInactiveUsers=true.
func (s *Server) hGroupMember(c *call) {
	q := c.r.URL.Query()
	gi, found := int32(-1), false
	if id := q.Get("groupId"); id != "" {
		gi, found = s.site.groupIdx[id]
	} else if name := q.Get("groupname"); name != "" {
		for i := range s.site.groups {
			if s.site.groups[i].name == name {
				gi, found = int32(i), true
				break
			}
		}
	} else {
		c.jiraError(http.StatusBadRequest, "You must specify a group name or a group ID.")
		return
	}
	if !found {
		c.jiraError(http.StatusNotFound, "Specified group does not exist.")
		return
	}
	g := &s.site.groups[gi]
	fs := c.faults
	if fs.vanish[g.id] {
		if _, served := fs.served.Load(g.id); served {
			s.stats.faults.Add(1)
			c.jiraError(http.StatusNotFound, "Specified group does not exist.")
			return
		}
	}
	inactive := false
	if v := q.Get("includeInactiveUsers"); v != "" {
		bv, err := strconv.ParseBool(v)
		if err != nil {
			c.jiraError(http.StatusBadRequest, "The value '"+v+"' is invalid for includeInactiveUsers.")
			return
		}
		inactive = bv
	}
	start, max, ok := c.paging(q, 50, 50)
	if !ok {
		return
	}
	members := g.activeMembers
	if inactive {
		members = g.members
	}
	from, to := min(start, len(members)), min(len(members), start+max)
	b := getBuf()
	defer putBuf(b)
	*b = c.pageBean(*b, q, start, max, len(members), to-from, g.omitTotal, func(b []byte) []byte {
		for i := from; i < to; i++ {
			if i > from {
				b = append(b, ',')
			}
			b = append(b, s.site.userBytes(members[i])...)
		}
		return b
	})
	if fs.vanish[g.id] {
		fs.served.Store(g.id, true)
	}
	c.json(http.StatusOK, *b)
}
