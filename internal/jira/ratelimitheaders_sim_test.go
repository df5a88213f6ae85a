package jira

import (
	"context"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
)

// Against the simulator's 429s that carry only the structured headers, a
// retry waits out their t: one 429, not a second one from retrying early.
// 429s with only an X-RateLimit-Reset without seconds are survived too.
func TestSimStructuredRateLimitHeadersAreHonoured(t *testing.T) {
	for _, mode := range []string{sim.HeadersStructured, sim.HeadersResetMinutes} {
		srv, base := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1, RateLimit: sim.RateLimit{PerSecond: 0.5, Burst: 1, Headers: mode}})
		c := simClient(t, base, sim.DefaultToken, clientOpts{retries: 6, slowBackof: true})
		for i := range 2 {
			if _, err := c.UsersPage(context.Background(), 0, 10); err != nil {
				t.Fatalf("%s: request %d: %v", mode, i, err)
			}
		}
		if n := srv.Stats().Throttled; mode == sim.HeadersStructured && n != 1 {
			t.Errorf("%s: %d 429s, want 1: the retry did not wait for the reset", mode, n)
		}
	}
}
