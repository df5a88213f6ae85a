package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/model"
)

// send makes a request with a JSON body (nil: none) and returns status,
// headers and body; err is a transport error (a dropped connection).
func (c *client) sendErr(method, path string, body any) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatalf("request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	} else {
		req.SetBasicAuth(c.email, c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

func (c *client) send(method, path string, body any) (int, []byte) {
	c.t.Helper()
	status, _, b, err := c.sendErr(method, path, body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return status, b
}

// expect sends and requires a status, returning the body.
func (c *client) expect(want int, method, path string, body any) []byte {
	c.t.Helper()
	status, b := c.send(method, path, body)
	if status != want {
		c.t.Fatalf("%s %s: status %d, want %d: %.400s", method, path, status, want, b)
	}
	return b
}

func admin(t testing.TB, base string) *client {
	c := newClient(t, base)
	c.bearer = DefaultOrgAPIKey
	return c
}

// jiraErr decodes a Jira error collection.
type jiraErr struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
	Status        int               `json:"status"`
}

func decodeJiraErr(t testing.TB, b []byte) jiraErr {
	t.Helper()
	var e jiraErr
	if err := json.Unmarshal(b, &e); err != nil || e.Status == 0 {
		t.Fatalf("not a Jira error body (%v): %.300s", err, b)
	}
	return e
}

// state is the access a site shows: user activity, memberships and role
// actors, as sorted lines.
type state struct {
	users   []string // accountId=active
	members []string // accountId|groupId
	actors  []string // user|accountId|projectId:roleId or group|groupId|...
}

func sorted(xs []string) []string { sort.Strings(xs); return xs }

// truthState is the state the truth tells.
func truthState(t Truth) state {
	var st state
	for _, e := range t.Entities {
		if e.SourceType == model.User {
			st.users = append(st.users, e.SourceID+"="+strconv.FormatBool(e.Attrs["active"].(bool)))
		}
	}
	for _, r := range t.Relations {
		switch r.Kind {
		case model.MemberOf:
			st.members = append(st.members, r.FromID+"|"+r.ToID)
		case model.HasRole:
			st.actors = append(st.actors, r.FromType+"|"+r.FromID+"|"+r.ToID)
		}
	}
	st.users, st.members, st.actors = sorted(st.users), sorted(st.members), sorted(st.actors)
	return st
}

// readState reads the same state over HTTP, as an extraction does.
func readState(t testing.TB, c *client) state {
	t.Helper()
	var st state
	for start := 0; ; {
		var page []struct {
			AccountID string `json:"accountId"`
			Active    bool   `json:"active"`
		}
		c.getJSON("/rest/api/3/users/search?maxResults=1000&startAt="+strconv.Itoa(start), &page)
		if len(page) == 0 {
			break
		}
		for _, u := range page {
			st.users = append(st.users, u.AccountID+"="+strconv.FormatBool(u.Active))
		}
		start += len(page)
	}
	type bean struct {
		IsLast bool              `json:"isLast"`
		Values []json.RawMessage `json:"values"`
	}
	pages := func(path string, each func(json.RawMessage)) {
		for start := 0; ; {
			var b bean
			c.getJSON(path+"&startAt="+strconv.Itoa(start), &b)
			for _, v := range b.Values {
				each(v)
			}
			start += len(b.Values)
			if b.IsLast || len(b.Values) == 0 {
				return
			}
		}
	}
	var groups []string
	pages("/rest/api/3/group/bulk?maxResults=50", func(v json.RawMessage) {
		var g struct{ GroupID string }
		_ = json.Unmarshal(v, &g)
		groups = append(groups, g.GroupID)
	})
	for _, g := range groups {
		pages("/rest/api/3/group/member?includeInactiveUsers=true&groupId="+url.QueryEscape(g), func(v json.RawMessage) {
			var u struct{ AccountID string }
			_ = json.Unmarshal(v, &u)
			st.members = append(st.members, u.AccountID+"|"+g)
		})
	}
	var projects []string
	pages("/rest/api/3/project/search?status=live&status=archived&maxResults=100", func(v json.RawMessage) {
		var p struct{ ID string }
		_ = json.Unmarshal(v, &p)
		projects = append(projects, p.ID)
	})
	for _, p := range projects {
		var roles []struct{ ID int64 }
		c.getJSON("/rest/api/3/project/"+p+"/roledetails", &roles)
		for _, r := range roles {
			var role struct {
				Actors []struct {
					Type       string
					ActorUser  struct{ AccountID string }
					ActorGroup struct{ GroupID string }
				}
			}
			rid := strconv.FormatInt(r.ID, 10)
			c.getJSON("/rest/api/3/project/"+p+"/role/"+rid, &role)
			for _, a := range role.Actors {
				if a.Type == "atlassian-user-role-actor" {
					st.actors = append(st.actors, "user|"+a.ActorUser.AccountID+"|"+p+":"+rid)
				} else {
					st.actors = append(st.actors, "group|"+a.ActorGroup.GroupID+"|"+p+":"+rid)
				}
			}
		}
	}
	st.users, st.members, st.actors = sorted(st.users), sorted(st.members), sorted(st.actors)
	return st
}

func sameLines(t testing.TB, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: reads and truth differ (%d vs %d lines)\nreads: %.600v\ntruth: %.600v", what, len(got), len(want), got, want)
	}
}

// fakeClock is a settable clock for rate limits and timestamps.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }

func (f *fakeClock) advance(d time.Duration) { f.mu.Lock(); f.t = f.t.Add(d); f.mu.Unlock() }
