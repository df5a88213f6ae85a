package scim_test

import (
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/model"
)

func countUsers(tr sim.Truth) (users, groups int) {
	for _, e := range tr.Entities {
		if e.SourceType == model.User {
			users++
		} else {
			groups++
		}
	}
	return users, groups
}

// Paging edge cases: a page size that divides totalResults (the last page
// ends exactly at it), a server that returns fewer than count, and a page
// size the server declares below 100; each is exact with the request
// count paging implies.
func TestPagingEdges(t *testing.T) {
	probe, _ := start(t, sim.Config{Seed: 11})
	users, _ := countUsers(probe.SCIMTruth())
	exact := 0
	for d := 30; d >= 2; d-- {
		if users%d == 0 {
			exact = d
			break
		}
	}
	if exact == 0 {
		t.Fatalf("no page size divides %d users", users)
	}
	for _, tc := range []struct {
		name string
		cfg  sim.SCIMConfig
	}{
		{"page ends exactly at totalResults", sim.SCIMConfig{PageSize: exact}},
		{"fewer than count", sim.SCIMConfig{PageSize: 20, ShortPages: true}},
		{"declared page size", sim.SCIMConfig{PageSize: 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, url := start(t, sim.Config{Seed: 11, SCIM: tc.cfg})
			c, _ := newClient(t, srv, url, 2, bearer(), true)
			got, res := extract(t, c)
			requireExact(t, srv.SCIMTruth(), got)
			if res.Capabilities.PageSize != tc.cfg.PageSize {
				t.Fatalf("page size %d, the server declares %d", res.Capabilities.PageSize, tc.cfg.PageSize)
			}
			pages := c.Stats().ByEndpoint["GET /Users"]
			full := int64((users + tc.cfg.PageSize - 1) / tc.cfg.PageSize)
			switch {
			case tc.cfg.ShortPages && pages <= full:
				t.Fatalf("%d user pages with short pages, full pages would take %d", pages, full)
			case !tc.cfg.ShortPages && pages != full:
				t.Fatalf("%d user pages, want %d (no extra request after the last page)", pages, full)
			}
		})
	}
}

// 429s with Retry-After and 5xx answers are retried (on the fake clock)
// and the extraction stays exact.
func TestThrottledAndFaultsExact(t *testing.T) {
	srv, url := start(t, sim.Config{Seed: 5, SCIM: sim.SCIMConfig{PageSize: 10},
		Faults: sim.Faults{Rate429: 0.2, Rate503: 0.1}})
	c, clk := newClient(t, srv, url, 2, bearer(), true)
	got, _ := extract(t, c)
	requireExact(t, srv.SCIMTruth(), got)
	st := c.Stats()
	if st.Throttled == 0 || st.Retries == 0 {
		t.Fatalf("no throttling seen: %+v", st)
	}
	if len(clk.Sleeps()) == 0 {
		t.Fatal("no Retry-After wait on the clock")
	}
}
