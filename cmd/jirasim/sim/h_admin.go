package sim

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

var productNames = map[string]string{
	"jira-software":          "Jira Software",
	"jira-servicedesk":       "Jira Service Management",
	"confluence":             "Confluence",
	"jira-product-discovery": "Jira Product Discovery",
}

func encodeCursor(off int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("off:" + strconv.Itoa(off)))
}

func decodeCursor(s string) (int, bool) {
	if s == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "off:"))
	if err != nil || n < 0 || !strings.HasPrefix(string(b), "off:") {
		return 0, false
	}
	return n, true
}

// adminError answers with the Admin API's error body.
func (c *call) adminError(status int, code, title, detail string) {
	b := append([]byte(nil), `{"errors":[{"id":`...)
	b = appendJSONString(b, seedUUID(int64(status)*7919+int64(len(detail))))
	b = append(b, `,"status":`...)
	b = appendJSONString(b, strconv.Itoa(status))
	b = append(b, `,"code":`...)
	b = appendJSONString(b, code)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, title)
	b = append(b, `,"detail":`...)
	b = appendJSONString(b, detail)
	b = append(b, "}]}"...)
	c.json(status, b)
}

func (c *call) cursorAndLimit(fixed int) (start, limit int, ok bool) {
	q := c.r.URL.Query()
	start, ok = decodeCursor(q.Get("cursor"))
	if !ok {
		c.adminError(http.StatusBadRequest, "INVALID_CURSOR", "Bad Request", "The cursor is invalid.")
		return 0, 0, false
	}
	if fixed > 0 {
		return start, fixed, true
	}
	limit = adminV2Default
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			c.adminError(http.StatusBadRequest, "INVALID_LIMIT", "Bad Request", "limit must be a positive integer.")
			return 0, 0, false
		}
		limit = min(n, adminV2Max)
	}
	return start, limit, true
}

func appendTime(b []byte, key string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	b = append(b, `,"`...)
	b = append(b, key...)
	b = append(b, `":`...)
	return appendJSONString(b, t.UTC().Format("2006-01-02T15:04:05.000Z"))
}

// hAdminV1Users: {"data":[...],"links":{"self","next"}}; next is a full URL.
func (s *Server) hAdminV1Users(c *call) {
	if st := c.faults.f.OrgUsersV1Status; st == http.StatusNotFound || st == http.StatusGone {
		c.adminError(st, "NOT_FOUND", http.StatusText(st), "This API has been retired: use the v2 directory users API.")
		return
	}
	start, limit, ok := c.cursorAndLimit(adminV1PageSize)
	if !ok {
		return
	}
	us := s.site.orgUsers
	from, to := min(start, len(us)), min(len(us), start+limit)
	base := "http://" + c.r.Host + c.r.URL.Path
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, `{"data":[`...)
	for i := from; i < to; i++ {
		u := &us[i]
		if i > from {
			*b = append(*b, ',')
		}
		*b = append(*b, `{"account_id":`...)
		*b = appendJSONString(*b, u.accountID)
		*b = append(*b, `,"account_type":`...)
		*b = appendJSONString(*b, u.accountType)
		*b = append(*b, `,"account_status":`...)
		*b = appendJSONString(*b, u.status)
		*b = append(*b, `,"name":`...)
		*b = appendJSONString(*b, u.name)
		*b = append(*b, `,"picture":"https://avatar-management.invalid/org.png"`...)
		if u.email != "" {
			*b = append(*b, `,"email":`...)
			*b = appendJSONString(*b, u.email)
		}
		*b = append(*b, `,"access_billable":true`...)
		*b = appendTime(*b, "last_active", u.lastActive)
		*b = append(*b, `,"product_access":[`...)
		for j, p := range u.products {
			if j > 0 {
				*b = append(*b, ',')
			}
			*b = append(*b, `{"key":`...)
			*b = appendJSONString(*b, p)
			*b = append(*b, `,"name":`...)
			*b = appendJSONString(*b, productNames[p])
			*b = append(*b, `,"url":`...)
			*b = appendJSONString(*b, strings.TrimPrefix(s.site.host, "https://"))
			*b = appendTime(*b, "last_active", u.lastActive)
			*b = append(*b, '}')
		}
		*b = append(*b, `],"links":{"self":`...)
		*b = appendJSONString(*b, "http://"+c.r.Host+"/users/"+u.accountID+"/manage/profile")
		*b = append(*b, "}}"...)
	}
	*b = append(*b, `],"links":{"self":`...)
	self := base
	if c.r.URL.RawQuery != "" {
		self += "?" + c.r.URL.RawQuery
	}
	*b = appendJSONString(*b, self)
	if to < len(us) {
		*b = append(*b, `,"next":`...)
		*b = appendJSONString(*b, base+"?cursor="+encodeCursor(to))
	}
	*b = append(*b, "}}"...)
	c.json(http.StatusOK, *b)
}

// v2Status is the account's status as the Admin API v2 says it.
func (u *orgUser) v2Status() string {
	if u.suspended && u.status == "active" {
		return "suspended"
	}
	return u.status
}

// hAdminV2Users: directory users ("-": every directory's); links.next is
// a cursor string.
func (s *Server) hAdminV2Users(c *call) {
	users := s.site.orgUsers
	if d := c.r.PathValue("directoryId"); d != "-" && len(s.site.directories) > 1 {
		users = nil
		for k := range s.site.orgUsers {
			if s.site.dirOf(int32(k)) == d {
				users = append(users, s.site.orgUsers[k])
			}
		}
	}
	serveV2Page(c, users, func(b []byte, u *orgUser) []byte {
		b = append(b, `{"accountId":`...)
		b = appendJSONString(b, u.accountID)
		b = append(b, `,"accountType":`...)
		b = appendJSONString(b, u.accountType)
		b = append(b, `,"status":`...)
		b = appendJSONString(b, u.v2Status())
		b = append(b, `,"name":`...)
		b = appendJSONString(b, u.name)
		b = append(b, `,"nickname":`...)
		b = appendJSONString(b, strings.Fields(u.name + " x")[0])
		if u.email != "" {
			b = append(b, `,"email":`...)
			b = appendJSONString(b, u.email)
		}
		b = append(b, `,"claimStatus":"managed"`...)
		b = appendTime(b, "lastActive", u.lastActive)
		return append(b, '}')
	})
}

// hAdminV2Groups: directory groups; links.next is a cursor string.
func (s *Server) hAdminV2Groups(c *call) {
	groups := s.site.orgGroups
	if !s.site.holdsGroups(c.r.PathValue("directoryId")) {
		groups = nil
	}
	serveV2Page(c, groups, func(b []byte, g *orgGroup) []byte {
		b = append(b, `{"id":`...)
		b = appendJSONString(b, g.id)
		b = append(b, `,"name":`...)
		b = appendJSONString(b, g.name)
		if g.description != "" {
			b = append(b, `,"description":`...)
			b = appendJSONString(b, g.description)
		}
		b = append(b, `,"directoryId":`...)
		b = appendJSONString(b, s.site.directoryID)
		b = append(b, `,"externalSynced":`...)
		b = appendBool(b, g.synced)
		b = append(b, `,"managementAccess":{"readable":true,"modifiable":`...)
		b = appendBool(b, !g.synced)
		b = append(b, `,"deletable":`...)
		b = appendBool(b, !g.synced)
		b = append(b, `},"counts":{"users":`...)
		n := len(g.members)
		if gi, jira := s.site.groupIdx[g.id]; jira {
			n = len(s.site.groups[gi].members)
		}
		b = appendInt(b, int64(n))
		return append(b, "}}"...)
	})
}

// serveV2Page answers with the page of items the request's cursor and
// limit select, in the Admin API v2 envelope
// {"data":[...],"links":{"next":CURSOR}}; item appends one element.
func serveV2Page[T any](c *call, items []T, item func(b []byte, v *T) []byte) {
	start, limit, ok := c.cursorAndLimit(0)
	if !ok {
		return
	}
	from, to := min(start, len(items)), min(len(items), start+limit)
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, `{"data":[`...)
	for i := from; i < to; i++ {
		if i > from {
			*b = append(*b, ',')
		}
		*b = item(*b, &items[i])
	}
	*b = append(*b, `],"links":{`...)
	if to < len(items) {
		*b = append(*b, `"next":`...)
		*b = appendJSONString(*b, encodeCursor(to))
	}
	*b = append(*b, "}}"...)
	c.json(http.StatusOK, *b)
}
