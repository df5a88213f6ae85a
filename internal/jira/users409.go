package jira

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
)

// UsersMinPageSize is the floor users/search's maxResults is halved down
// to on 409s; at the floor a 409 is retried like a 5xx.
const UsersMinPageSize = 50

// usersMax is the largest maxResults users/search is asked for: 0 until a
// 409 teaches one, then the size that answered after halving. Safe for
// concurrent use.
type usersMax struct{ n atomic.Int64 }

// cap returns maxResults within the learned size.
func (m *usersMax) cap(maxResults int) int {
	if n := int(m.n.Load()); n > 0 && maxResults > n {
		return n
	}
	return maxResults
}

// lower records that size answered 409: later pages ask for at most half
// of it (never below the floor).
func (m *usersMax) lower(size int) {
	half := int64(max(UsersMinPageSize, size/2))
	for {
		cur := m.n.Load()
		if cur != 0 && cur <= half || m.n.CompareAndSwap(cur, half) {
			return
		}
	}
}

// usersPage409 reads users/search at startAt. Jira answers 409 when a page
// takes too long: the same request would fail again, so each 409 halves
// maxResults (down to UsersMinPageSize, where a 409 is retried as usual),
// counts as a retry, and teaches the size to later pages. The page may
// then hold fewer users than asked for: the caller goes on at
// startAt+len(users) and stops only on an empty page.
func (c *Client) usersPage409(ctx context.Context, startAt, maxResults int) ([]User, error) {
	size := c.usersMax.cap(maxResults)
	for {
		cl := c.jiraCall(routeUsers, "/rest/api/3/users/search", pageQuery(startAt, size))
		cl.conflictFinal = size > UsersMinPageSize
		users, err := getJSON[[]User](ctx, c, cl)
		var ae *APIError
		if !cl.conflictFinal || !errors.As(err, &ae) || ae.Status != http.StatusConflict {
			return users, err
		}
		c.usersMax.lower(size)
		c.stats.retries.Add(1)
		c.log.DebugContext(ctx, "users/search answered 409: asking for fewer users", "start_at", startAt, "max_results", size)
		size = c.usersMax.cap(max(UsersMinPageSize, size/2))
	}
}
