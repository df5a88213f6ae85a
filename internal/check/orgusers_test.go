package check

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
)

// A retired Admin API v1 users listing (404 or 410) is a warning when v2
// answers, not "denied": a run degrades to v2. The check still passes.
func TestCheckOrgUsersV1RetiredIsAWarning(t *testing.T) {
	for _, status := range []int{404, 410} {
		_, base := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1, Faults: sim.Faults{OrgUsersV1Status: status}})
		c, app := realClient(t, base, map[string]any{"appConfig.orgId": sim.DefaultOrgID, "appConfig.orgApiKey": sim.DefaultOrgAPIKey})
		rep, err := Run(context.Background(), c, app)
		if err != nil {
			t.Fatal(err)
		}
		r := result(t, rep, "org users")
		if r.State != Warning || !strings.Contains(r.Detail, "HTTP "+strconv.Itoa(status)) || !strings.Contains(r.Detail, "product access") {
			t.Errorf("v1 %d: org users %+v", status, r)
		}
		if !rep.OK() {
			t.Errorf("v1 %d: the check fails: %+v", status, rep.Results)
		}
	}
}
