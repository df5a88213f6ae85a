package jira

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"testing"
)

// A users/search that answers 409 above 200 users: the page is read with
// maxResults halved until it answers (each 409 a retry), later pages start
// at the learned size, and at the floor a 409 is retried like a 5xx.
func TestUsersPageHalvesMaxResultsOn409(t *testing.T) {
	var asked []int
	limit := 200
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		m, _ := strconv.Atoi(r.URL.Query().Get("maxResults"))
		asked = append(asked, m)
		if m > limit {
			writeJSON(w, 409, map[string]any{"errorMessages": []string{"The request took too long to process."}})
			return
		}
		us := make([]map[string]any, m)
		for i := range us {
			us[i] = map[string]any{"accountId": "a" + strconv.Itoa(i)}
		}
		writeJSON(w, 200, us)
	})
	c := newClient(t, srv.URL, clientOpts{retries: 2})
	us, err := c.UsersPage(context.Background(), 0, 1000)
	if err != nil || len(us) != 125 {
		t.Fatalf("first page: %d users, %v", len(us), err)
	}
	if _, retries, _ := c.Counts(); retries != 3 {
		t.Errorf("%d retries counted, want 3 (one per 409)", retries)
	}
	if us, err = c.UsersPage(context.Background(), 125, 875); err != nil || len(us) != 125 {
		t.Fatalf("second page: %d users, %v", len(us), err)
	}
	want := []int{1000, 500, 250, 125, 125}
	if !slices.Equal(asked, want) {
		t.Errorf("maxResults asked %v, want %v", asked, want)
	}

	limit, asked = 10, nil
	c = newClient(t, srv.URL, clientOpts{retries: 2})
	_, err = c.UsersPage(context.Background(), 0, 100)
	var re *RetryError
	if !errors.As(err, &re) || re.Attempts != 3 {
		t.Fatalf("409 at the floor: %v", err)
	}
	if want := []int{100, 50, 50, 50}; !slices.Equal(asked, want) {
		t.Errorf("maxResults asked %v, want %v", asked, want)
	}
}
