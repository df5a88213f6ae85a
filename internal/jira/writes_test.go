package jira

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestWriteClassification: each answer to a write is classified once,
// never retried inside the client, and its message holds no credential.
func TestWriteClassification(t *testing.T) {
	cases := []struct {
		name   string
		answer func(w http.ResponseWriter)
		want   WriteClass
		status int
	}{
		{"201", func(w http.ResponseWriter) { writeJSON(w, 201, map[string]any{"groupId": "g"}) }, WriteDone, 201},
		{"already a member", func(w http.ResponseWriter) {
			jiraError(w, 400, "Cannot add user. User is already a member of 'jira-users'")
		}, WriteAlready, 400},
		{"not found", func(w http.ResponseWriter) { jiraError(w, 404, "Specified group does not exist.") }, WriteRejected, 404},
		{"429", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "3")
			jiraError(w, 429, "Rate limit exceeded.")
		}, WriteThrottled, 429},
		{"503 with Retry-After", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "2")
			jiraError(w, 503, "busy")
		}, WriteThrottled, 503},
		{"500", func(w http.ResponseWriter) { jiraError(w, 500, "boom "+testToken) }, WriteUnknown, 500},
		{"dropped connection", func(w http.ResponseWriter) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			_ = conn.Close()
		}, WriteUnknown, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) { tc.answer(w) })
			c := newClient(t, srv.URL, clientOpts{})
			r := c.AddGroupMember(context.Background(), "g1", "acc-1")
			if r.Class != tc.want || r.Status != tc.status {
				t.Fatalf("got %s/%d (%q), want %s/%d", r.Class, r.Status, r.Message, tc.want, tc.status)
			}
			if n := rec.count("/rest/api/3/group/user"); n != 1 {
				t.Errorf("the write was sent %d times; a write is made once", n)
			}
			if tc.want == WriteThrottled && r.RetryAfter < time.Second {
				t.Errorf("RetryAfter %s, want the server's wait", r.RetryAfter)
			}
			if strings.Contains(r.Message, testToken) {
				t.Errorf("message holds the token: %q", r.Message)
			}
		})
	}
}

// TestWriteBucketsPerRoute: POST and DELETE routes have their own buckets
// at their own rates; a burst 429 slows only its route.
func TestWriteBucketsPerRoute(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "1")
		jiraError(w, 429, "slow down")
	})
	c := newClient(t, srv.URL, clientOpts{})
	post, del := c.WriteLimiter(routeGroupUserAdd), c.WriteLimiter(routeGroupUserRemove)
	if post == del || post.Base() != DefaultPostPerSecond || del.Base() != DefaultDeletePerSecond {
		t.Fatalf("buckets: post %v/s, delete %v/s, shared %v", post.Base(), del.Base(), post == del)
	}
	if r := c.RemoveGroupMember(context.Background(), "g", "a"); r.Class != WriteThrottled {
		t.Fatalf("got %s", r.Class)
	}
	if del.RouteLimit(routeGroupUserRemove) >= DefaultDeletePerSecond || post.RouteLimit(routeGroupUserAdd) < DefaultPostPerSecond {
		t.Errorf("after a 429 on DELETE: delete route %v/s, post route %v/s", del.RouteLimit(routeGroupUserRemove), post.RouteLimit(routeGroupUserAdd))
	}
	if c.Limiter().PausedUntil().After(time.Now()) {
		t.Error("a burst 429 paused every request")
	}
}

// TestAdminWritesNeedOrgAccess: without orgId and orgApiKey no Admin API
// write is sent.
func TestAdminWritesNeedOrgAccess(t *testing.T) {
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(204) })
	c := newClient(t, srv.URL, clientOpts{noOrg: true})
	if r := c.SetAccountActive(context.Background(), "acc", false); r.Class != WriteRejected || !strings.Contains(r.Message, "orgApiKey") {
		t.Errorf("got %s %q", r.Class, r.Message)
	}
	if len(rec.all()) != 0 {
		t.Errorf("%d requests sent", len(rec.all()))
	}
}
