package extractor_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/incremental"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
)

// siteWrite makes one Jira write on the simulator as the job's account
// (so the audit log records it) and fails the test unless it succeeds.
func siteWrite(t *testing.T, base, method, path, body string) {
	t.Helper()
	req, err := http.NewRequest(method, base+"/rest/api/3/"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(sim.DefaultEmail, sim.DefaultToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b.String())
	}
}

// removable picks a user (not the account itself, no project lead) who is
// in at least two groups the API may change, and one such group.
func removable(t *testing.T, srv *sim.Server, tr sim.Truth) (user, email, group string) {
	t.Helper()
	leads, groupsOf := map[string]bool{}, map[string][]string{}
	synced := srv.SyncedGroupIDs()
	for _, r := range tr.Relations {
		switch {
		case r.Kind == model.LeadOf:
			leads[r.FromID] = true
		case r.Kind == model.MemberOf && !slices.Contains(synced, r.ToID):
			groupsOf[r.FromID] = append(groupsOf[r.FromID], r.ToID)
		}
	}
	for _, e := range tr.Entities {
		mail, _ := e.Attrs["email"].(string)
		if e.SourceType != model.User || leads[e.SourceID] || len(groupsOf[e.SourceID]) < 2 || mail == "" || e.Name == "Sim Admin" {
			continue
		}
		return e.SourceID, mail, groupsOf[e.SourceID][0]
	}
	t.Fatal("no removable user on the site")
	return "", "", ""
}

// TestIncrementalMemberRemovalsCarried: groups the audit log names only in
// member removals are not read again but carried forward without the
// removed members (with and without an org key, whose group counts then
// agree), and the run stays exact, also when a removed user comes back.
func TestIncrementalMemberRemovalsCarried(t *testing.T) {
	ctx := context.Background()
	for _, org := range []bool{false, true} {
		t.Run(map[bool]string{true: "org key", false: "no org key"}[org], func(t *testing.T) {
			srv, base := simtest.StartSim(t, sim.Config{Size: "small", Seed: 3})
			var extra map[string]any
			if org {
				extra = map[string]any{"orgId": sim.DefaultOrgID, "orgApiKey": sim.DefaultOrgAPIKey}
			}
			job := newJob(t, base, t.TempDir(), extra).Resolve().Job
			opts := sim.TruthOptions{Org: org}
			prev := incRun(t, job, "", incremental.Config{})
			before := srv.Truth(opts)
			user, email, _ := removable(t, srv, before)
			other, _, group := removable(t, srv, sim.Truth{Entities: before.Entities, Relations: slices.DeleteFunc(slices.Clone(before.Relations),
				func(r model.Relation) bool { return r.FromID == user })})
			siteWrite(t, base, http.MethodDelete, "group/user?groupId="+url.QueryEscape(group)+"&accountId="+url.QueryEscape(other), "")
			siteWrite(t, base, http.MethodDelete, "user?accountId="+url.QueryEscape(user), "")
			srv.ResetStats()
			rr := incRun(t, job, prev.Location().String(), incremental.Config{})
			m := rr.Manifest()
			if m.Mode != manifest.ModeIncremental || !strings.Contains(m.Reason, "members removed only") {
				t.Fatalf("mode %q reason %q", m.Mode, m.Reason)
			}
			st := srv.Stats()
			if n := st.ByEndpoint["GET /rest/api/3/group/member"]; n != 0 {
				t.Errorf("%d group/member requests after member removals only, want 0", n)
			}
			// What the plan read (global roles, the Admin API groups and
			// their counts) the pipeline does not read again.
			orgPages := map[bool]int64{false: 0, true: 1}[org]
			if n, m := st.ByEndpoint["GET /rest/api/3/role"], st.ByEndpoint["GET /admin/v2/orgs/{orgId}/directories/{directoryId}/groups"]; n != 1 || m != orgPages {
				t.Errorf("%d GET /role and %d Admin API groups pages, want 1 and %d", n, m, orgPages)
			}
			after := srv.Truth(opts)
			simtest.RequireTruth(t, ctx, rr, after)
			sameLines(t, "change set", runChanges(t, rr), truthChanges(before, after))

			// The removed user comes back (into the default groups only):
			// built on the first run again, the groups it left must lose it
			// although it is on the site.
			siteWrite(t, base, http.MethodPost, "user", `{"emailAddress":"`+email+`","products":["jira-software"]}`)
			back := incRun(t, job, prev.Location().String(), incremental.Config{})
			final := srv.Truth(opts)
			simtest.RequireTruth(t, ctx, back, final)
			sameLines(t, "change set", runChanges(t, back), truthChanges(before, final))
		})
	}
}
