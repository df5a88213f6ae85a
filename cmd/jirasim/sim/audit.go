package sim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// auditRecord is one entry of Jira's audit log.
type auditRecord struct {
	id                      int64
	summary, category       string
	created                 time.Time
	object                  auditItem
	changed                 []auditChange
	associated              []auditItem
	authorAccountID, source string
}

type auditItem struct{ id, name, typeName, parentID, parentName string }

type auditChange struct{ field, from, to string }

// The user directory Jira Cloud names in audit records.
const (
	auditDirID   = "10000"
	auditDirName = "com.atlassian.crowd.directory.IdentityPlatformRemoteDirectory"
)

func (s *site) userItem(i int32) auditItem {
	u := &s.users[i]
	return auditItem{id: u.accountID, name: u.accountID, typeName: "USER", parentID: auditDirID, parentName: auditDirName}
}

func (s *site) groupItem(gi int32) auditItem {
	g := &s.groups[gi]
	return auditItem{id: g.id, name: g.name, typeName: "GROUP", parentID: auditDirID, parentName: auditDirName}
}

func (s *site) projectItem(p *project) auditItem {
	return auditItem{id: p.id, name: p.name, typeName: "PROJECT"}
}

// addAudit appends a record (under the write lock).
func (s *site) addAudit(now time.Time, summary, category string, object auditItem, changed []auditChange, associated ...auditItem) {
	s.w.audit = append(s.w.audit, auditRecord{id: s.w.nextAuditID, summary: summary, category: category, created: now,
		object: object, changed: changed, associated: associated,
		authorAccountID: s.users[s.myself].accountID, source: "jirasim"})
	s.w.nextAuditID++
}

func (s *site) auditMembership(now time.Time, added bool, gi, ui int32) {
	summary := "User added to group"
	if !added {
		summary = "User removed from group"
	}
	s.addAudit(now, summary, "group management", s.groupItem(gi), nil, s.userItem(ui))
}

// auditRole records a change of a project role's actors: changedValues
// name the actor added (changedTo) or removed (changedFrom).
func (s *site) auditRole(now time.Time, p *project, pr *projectRole, added bool, ui, gi int32) {
	r := &s.roles[pr.role]
	var ch auditChange
	var who auditItem
	if ui >= 0 {
		ch.field, who = "Users", s.userItem(ui)
	} else {
		ch.field, who = "Groups", s.groupItem(gi)
	}
	if added {
		ch.to = who.name
	} else {
		ch.from = who.name
	}
	s.addAudit(now, "Project roles changed", "projects",
		auditItem{id: strconv.FormatInt(r.id, 10), name: r.name, typeName: "PROJECT_ROLE", parentID: p.id, parentName: p.name},
		[]auditChange{ch}, s.projectItem(p), who)
}

func appendAuditItem(b []byte, it auditItem) []byte {
	b = append(b, '{')
	first := true
	for _, kv := range [][2]string{{"id", it.id}, {"name", it.name}, {"typeName", it.typeName}, {"parentId", it.parentID}, {"parentName", it.parentName}} {
		if kv[1] == "" {
			continue
		}
		b = appendKey(b, kv[0], first)
		b = appendJSONString(b, kv[1])
		first = false
	}
	return append(b, '}')
}

func (r *auditRecord) text() string {
	var sb strings.Builder
	for _, s := range []string{r.summary, r.category, r.source, r.object.id, r.object.name, r.object.typeName} {
		sb.WriteString(s)
		sb.WriteByte(' ')
	}
	for _, it := range r.associated {
		sb.WriteString(it.id + " " + it.name + " " + it.typeName + " ")
	}
	for _, ch := range r.changed {
		sb.WriteString(ch.field + " " + ch.from + " " + ch.to + " ")
	}
	return strings.ToLower(sb.String())
}

// parseAuditTime reads from/to: ISO 8601 with or without milliseconds and
// zone, or epoch milliseconds.
func parseAuditTime(v string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", time.RFC3339Nano,
		"2006-01-02T15:04:05.000", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms), true
	}
	return time.Time{}, false
}

// hAuditRecords: GET /auditing/record?offset&limit&from&to&filter, newest
// first, limit at most 1000; filter words must all appear in a record.
func (s *Server) hAuditRecords(c *call) {
	if s.churn.auditForbidden.Load() {
		c.jiraError(http.StatusForbidden, "You are not authorized to perform this operation. Please log in.")
		return
	}
	q := c.r.URL.Query()
	num := func(name string, def int) (int, bool) {
		v := q.Get(name)
		if v == "" {
			return def, true
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			c.jiraError(http.StatusBadRequest, "The value '"+v+"' is invalid for "+name+".")
			return 0, false
		}
		return n, true
	}
	offset, ok := num("offset", 0)
	if !ok {
		return
	}
	limit, ok := num("limit", 1000)
	if !ok {
		return
	}
	limit = min(limit, 1000)
	var from, to time.Time
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &from}, {"to", &to}} {
		if v := q.Get(p.name); v != "" {
			t, ok := parseAuditTime(v)
			if !ok {
				c.jiraError(http.StatusBadRequest, "The value '"+v+"' is invalid for "+p.name+": use an ISO 8601 date-time.")
				return
			}
			*p.t = t
		}
	}
	words := strings.Fields(strings.ToLower(q.Get("filter")))
	recs := s.site.w.audit
	var match []*auditRecord
	for k := len(recs) - 1; k >= 0; k-- {
		r := &recs[k]
		if (!from.IsZero() && r.created.Before(from)) || (!to.IsZero() && r.created.After(to)) {
			continue
		}
		if len(words) > 0 {
			text := r.text()
			all := true
			for _, w := range words {
				if !strings.Contains(text, w) {
					all = false
					break
				}
			}
			if !all {
				continue
			}
		}
		match = append(match, r)
	}
	lo, hi := min(offset, len(match)), min(len(match), offset+limit)
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, `{"offset":`...)
	*b = appendInt(*b, int64(offset))
	*b = append(*b, `,"limit":`...)
	*b = appendInt(*b, int64(limit))
	*b = append(*b, `,"total":`...)
	*b = appendInt(*b, int64(len(match)))
	*b = append(*b, `,"records":[`...)
	for k, r := range match[lo:hi] {
		if k > 0 {
			*b = append(*b, ',')
		}
		*b = append(*b, `{"id":`...)
		*b = appendInt(*b, r.id)
		*b = append(*b, `,"summary":`...)
		*b = appendJSONString(*b, r.summary)
		*b = append(*b, `,"remoteAddress":"127.0.0.1","authorKey":"","authorAccountId":`...)
		*b = appendJSONString(*b, r.authorAccountID)
		*b = append(*b, `,"created":`...)
		*b = appendJSONString(*b, timeStamp(r.created))
		*b = append(*b, `,"category":`...)
		*b = appendJSONString(*b, r.category)
		*b = append(*b, `,"eventSource":`...)
		*b = appendJSONString(*b, r.source)
		*b = append(*b, `,"objectItem":`...)
		*b = appendAuditItem(*b, r.object)
		*b = append(*b, `,"changedValues":[`...)
		for j, ch := range r.changed {
			if j > 0 {
				*b = append(*b, ',')
			}
			*b = append(*b, `{"fieldName":`...)
			*b = appendJSONString(*b, ch.field)
			if ch.from != "" {
				*b = append(*b, `,"changedFrom":`...)
				*b = appendJSONString(*b, ch.from)
			}
			if ch.to != "" {
				*b = append(*b, `,"changedTo":`...)
				*b = appendJSONString(*b, ch.to)
			}
			*b = append(*b, '}')
		}
		*b = append(*b, `],"associatedItems":[`...)
		for j, it := range r.associated {
			if j > 0 {
				*b = append(*b, ',')
			}
			*b = appendAuditItem(*b, it)
		}
		*b = append(*b, "]}"...)
	}
	*b = append(*b, "]}"...)
	c.json(http.StatusOK, *b)
}
