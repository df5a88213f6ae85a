package scim_test

import (
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/model"
)

// The extraction equals the directory's truth: every user (active and
// inactive, with and without an Atlassian account), every group and every
// membership, in SCIM 2.0 and 1.1, with and without discovery.
func TestExtractExactAgainstTruth(t *testing.T) {
	srv, url := start(t, sim.Config{Seed: 7})
	truth := srv.SCIMTruth()
	var inactive, linked, unlinked, withMeta int
	for _, e := range truth.Entities {
		if e.SourceType != model.User {
			continue
		}
		if e.Attrs["active"] == false {
			inactive++
		}
		if e.Attrs["account_id"] != nil {
			linked++
		} else {
			unlinked++
		}
		if len(e.Metadata) > 40 {
			withMeta++
		}
	}
	if inactive == 0 || linked == 0 || unlinked == 0 || withMeta == 0 || len(truth.Relations) == 0 {
		t.Fatalf("the truth lacks variety: inactive %d, linked %d, unlinked %d, metadata %d, memberships %d",
			inactive, linked, unlinked, withMeta, len(truth.Relations))
	}
	for _, tc := range []struct {
		name       string
		version    int
		readSchema bool
	}{{"v2 discovery", 2, true}, {"v2 no discovery", 2, false}, {"v1.1 discovery", 1, true}, {"v1.1 no discovery", 1, false}} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newClient(t, srv, url, tc.version, bearer(), tc.readSchema)
			got, res := extract(t, c)
			requireExact(t, truth, got)
			if res.Capabilities.Discovered != tc.readSchema {
				t.Fatalf("discovered = %v, want %v", res.Capabilities.Discovered, tc.readSchema)
			}
			st := c.Stats()
			spc := "GET /ServiceProviderConfig"
			if tc.version == 1 {
				spc += "s"
			}
			if n := st.ByEndpoint[spc]; (n == 1) != tc.readSchema {
				t.Fatalf("%s read %d times with readSchema %v", spc, n, tc.readSchema)
			}
		})
	}
}
