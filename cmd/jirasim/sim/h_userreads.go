package sim

import (
	"net/http"
	"strings"
)

// hUserGet: GET /user?accountId= → the user, 404 when not on the site.
func (s *Server) hUserGet(c *call) {
	id := c.r.URL.Query().Get("accountId")
	if id == "" {
		c.jiraError(http.StatusBadRequest, "You must specify the account ID of the user (accountId).")
		return
	}
	ui, ok := s.site.siteUser(id)
	if !ok {
		userNotFound(c, id)
		return
	}
	c.userAnswer(http.StatusOK, ui)
}

// hUserSearch: GET /user/search?query= → the site's users whose email
// address (hidden or not) or display name starts with the query, case
// insensitive, paged by startAt and maxResults (default 50, cap 1000). Like
// Jira, a user whose email is private matches on it but is shown without
// it.
func (s *Server) hUserSearch(c *call) {
	start, max, ok := c.paging(c.r.URL.Query(), 50, 1000)
	if !ok {
		return
	}
	q := strings.ToLower(strings.TrimSpace(c.r.URL.Query().Get("query")))
	if q == "" {
		c.jiraError(http.StatusBadRequest, "The query parameter 'query' is required.")
		return
	}
	st := s.site
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, '[')
	n, skip := 0, start
	for i := range st.users {
		u := &st.users[i]
		if u.removed || n >= max {
			continue
		}
		if !strings.HasPrefix(strings.ToLower(u.email), q) && !strings.HasPrefix(strings.ToLower(u.displayName), q) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if n > 0 {
			*b = append(*b, ',')
		}
		*b = append(*b, st.userBytes(int32(i))...)
		n++
	}
	*b = append(*b, ']')
	c.json(http.StatusOK, *b)
}

// hAdminV2User: GET /v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}
// → {"data": {accountId, accountType, status, name, email}}: the
// documented fields only, the state in status (active, suspended,
// deactivated, closed); "-" is accepted as the directory for reads.
func (s *Server) hAdminV2User(c *call) {
	ou := s.orgAccount(c)
	if ou == nil {
		return
	}
	status := ou.v2Status()
	if status == "inactive" {
		status = "deactivated" // the single read's word for it
	}
	b := append([]byte(nil), `{"data":{"accountId":`...)
	b = appendJSONString(b, ou.accountID)
	b = append(b, `,"accountType":`...)
	b = appendJSONString(b, ou.accountType)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, status)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, ou.name)
	if ou.email != "" {
		b = append(b, `,"email":`...)
		b = appendJSONString(b, ou.email)
	}
	c.json(http.StatusOK, append(b, "}}"...))
}
