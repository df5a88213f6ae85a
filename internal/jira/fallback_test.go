package jira

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestUsersByEmailPagesAndMatchesExactly: the address is on user/search's
// second page; a single fuzzy match without an address is not taken.
func TestUsersByEmailPagesAndMatchesExactly(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
		us := []map[string]any{}
		switch {
		case r.URL.Query().Get("query") == "hidden@example.com":
			us = append(us, map[string]any{"accountId": "fuzzy", "active": true})
		case start == 0:
			for i := range 50 {
				us = append(us, map[string]any{"accountId": fmt.Sprint("a", i), "emailAddress": fmt.Sprintf("jane%d@example.com", i)})
			}
		case start == 50:
			us = append(us, map[string]any{"accountId": "jane", "emailAddress": "Jane@Example.com", "active": true})
		}
		writeJSON(w, 200, us)
	})
	c := newClient(t, srv.URL, clientOpts{})
	us, err := c.UsersByEmail(context.Background(), "jane@example.com")
	if err != nil || len(us) != 1 || us[0].AccountID != "jane" {
		t.Fatalf("got %+v, %v; want the account on the second page", us, err)
	}
	us, err = c.UsersByEmail(context.Background(), "hidden@example.com")
	if err != nil || len(us) != 0 {
		t.Fatalf("a single fuzzy result without an address was taken: %+v, %v", us, err)
	}
}

// TestUsersByEmailWithoutUserSearch: a server that does not serve
// user/search (an HTML 404) is asked through users/search, once.
func TestUsersByEmailWithoutUserSearch(t *testing.T) {
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if strings.HasSuffix(r.URL.Path, "/user/search") {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(404)
			_, _ = w.Write([]byte("<html>dead link</html>"))
			return
		}
		if r.URL.Query().Get("startAt") != "0" {
			writeJSON(w, 200, []any{})
			return
		}
		writeJSON(w, 200, []map[string]any{{"accountId": "x", "emailAddress": "x@example.com"}, {"accountId": "b", "emailAddress": "B@example.com"}})
	})
	c := newClient(t, srv.URL, clientOpts{})
	for range 2 {
		us, err := c.UsersByEmail(context.Background(), "b@example.com")
		if err != nil || len(us) != 1 || us[0].AccountID != "b" {
			t.Fatalf("got %+v, %v", us, err)
		}
	}
	if n := rec.count("/rest/api/3/user/search"); n != 1 {
		t.Fatalf("user/search asked %d times, want once", n)
	}
}

// TestDirectoryUserWithoutTheSingleRead: a 405 from the single-account
// read falls back to the directories/-/users list; an account not in it
// is not found.
func TestDirectoryUserWithoutTheSingleRead(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/directories/-/users") && r.URL.Query().Get("cursor") == "":
			writeJSON(w, 200, map[string]any{"data": []map[string]any{{"accountId": "a1", "status": "active"}}, "links": map[string]any{"next": "c2"}})
		case strings.HasSuffix(r.URL.Path, "/directories/-/users"):
			writeJSON(w, 200, map[string]any{"data": []map[string]any{{"accountId": "a2", "status": "inactive"}}, "links": map[string]any{}})
		default:
			w.WriteHeader(405)
		}
	})
	c := newClient(t, srv.URL, clientOpts{})
	u, err := c.DirectoryUserByID(context.Background(), "a2")
	if err != nil || !u.Deactivated() {
		t.Fatalf("got %+v, %v", u, err)
	}
	if _, err := c.DirectoryUserByID(context.Background(), "nobody"); !IsNotFound(err) {
		t.Fatalf("an unknown account: %v, want not found", err)
	}
}
