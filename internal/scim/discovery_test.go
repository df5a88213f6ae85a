package scim_test

import (
	"context"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/scim"
)

// A server that answers /ResourceTypes and /Schemas with a bare JSON array
// (not a ListResponse) is discovered as well as one that does not, and its
// users are read exactly.
func TestDiscoveryAcceptsBareLists(t *testing.T) {
	for _, bare := range []bool{false, true} {
		srv, url := start(t, sim.Config{Seed: 8, SCIM: sim.SCIMConfig{BareDiscoveryLists: bare}})
		c, _ := newClient(t, srv, url, 2, bearer(), true)
		caps, err := c.Capabilities(context.Background())
		if err != nil {
			t.Fatalf("bare %v: discovery: %v", bare, err)
		}
		if caps.UsersPath != "/Users" || caps.GroupsPath != "/Groups" || len(caps.Schemas) < 3 || len(caps.Extensions) == 0 {
			t.Fatalf("bare %v: capabilities %+v", bare, caps)
		}
		users, _ := countUsers(srv.SCIMTruth())
		got := 0
		if err := c.ListUsers(context.Background(), "", func(us []scim.User) error { got += len(us); return nil }); err != nil {
			t.Fatalf("bare %v: list users: %v", bare, err)
		}
		if got != users {
			t.Fatalf("bare %v: read %d users, the directory has %d", bare, got, users)
		}
	}
}
