package scim_test

import (
	"context"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/scim"
)

// A user is found by userName with a filter where the server declares
// filter support, and by listing every user where it does not (a filter
// there would be refused); without discovery, filter is assumed.
func TestFilterSupportIsHonoured(t *testing.T) {
	for _, tc := range []struct {
		name       string
		noFilter   bool
		readSchema bool
		filtered   bool // the lookup takes one filtered page
	}{
		{"filter declared", false, true, true},
		{"filter not declared", true, true, false},
		{"no discovery", false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, url := start(t, sim.Config{Seed: 8, SCIM: sim.SCIMConfig{NoFilter: tc.noFilter, PageSize: 20}})
			probe, _ := newClient(t, srv, url, 2, bearer(), false)
			var name string // the last user's
			err := probe.ListUsers(context.Background(), "", func(us []scim.User) error {
				name = us[len(us)-1].UserName()
				return nil
			})
			if err != nil || name == "" {
				t.Fatalf("no user name to look up: %v", err)
			}
			c, _ := newClient(t, srv, url, 2, bearer(), tc.readSchema)
			us, err := c.UsersByUserName(context.Background(), name)
			if err != nil || len(us) != 1 || us[0].UserName() != name {
				t.Fatalf("lookup of %q: %d users, %v", name, len(us), err)
			}
			users, _ := countUsers(srv.SCIMTruth())
			pages := c.Stats().ByEndpoint["GET /Users"]
			if tc.filtered && pages != 1 || !tc.filtered && pages != int64((users+19)/20) {
				t.Fatalf("%d user pages for one lookup (filtered %v, %d users)", pages, tc.filtered, users)
			}
		})
	}
}
