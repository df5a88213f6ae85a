package sim

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// paging reads startAt and maxResults; maxResults above cap is clamped, a
// missing or non-positive one is def. A malformed one answers 400.
func (c *call) paging(q url.Values, def, limit int) (start, max int, ok bool) {
	start, max = 0, def
	if v := q.Get("startAt"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			c.jiraError(http.StatusBadRequest, "The value '"+v+"' is invalid for startAt.")
			return 0, 0, false
		}
		start = n
	}
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			c.jiraError(http.StatusBadRequest, "The value '"+v+"' is invalid for maxResults.")
			return 0, 0, false
		}
		if n > 0 {
			max = n
		}
	}
	if max > limit {
		max = limit
	}
	return start, max, true
}

// sitePath is the request path as the site would show it (no gateway prefix).
func (c *call) sitePath() string {
	p := c.r.URL.Path
	if c.gateway {
		if i := strings.Index(p, jiraBase); i >= 0 {
			p = p[i:]
		}
	}
	return p
}

// pageBean appends a Jira PageBean around values (count items already
// encoded by the values callback). nextPage, on the site's fake host, is
// present only when more pages exist.
func (c *call) pageBean(b []byte, q url.Values, start, max, total, count int, omitTotal bool, values func([]byte) []byte) []byte {
	host := c.s.site.host
	path := c.sitePath()
	isLast := start+count >= total
	b = append(b, `{"self":`...)
	self := host + path
	if c.r.URL.RawQuery != "" {
		self += "?" + c.r.URL.RawQuery
	}
	b = appendJSONString(b, self)
	if !isLast {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("startAt", strconv.Itoa(start+max))
		nq.Set("maxResults", strconv.Itoa(max))
		b = append(b, `,"nextPage":`...)
		b = appendJSONString(b, host+path+"?"+nq.Encode())
	}
	b = append(b, `,"maxResults":`...)
	b = appendInt(b, int64(max))
	b = append(b, `,"startAt":`...)
	b = appendInt(b, int64(start))
	if !omitTotal && !c.faults.f.OmitTotals {
		b = append(b, `,"total":`...)
		b = appendInt(b, int64(total))
	}
	b = append(b, `,"isLast":`...)
	b = appendBool(b, isLast)
	b = append(b, `,"values":[`...)
	b = values(b)
	return append(b, "]}"...)
}
