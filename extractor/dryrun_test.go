package extractor_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/model"
)

// memberPagesBeyondFirst is what the dry run cannot know without reading
// members: one more group/member page per 50 members beyond a group's first
// 50, from the simulator's truth.
func memberPagesBeyondFirst(tr sim.Truth) int64 {
	members := map[string]int{}
	for _, r := range tr.Relations {
		if r.Kind == model.MemberOf {
			members[r.ToID]++
		}
	}
	var extra int64
	for _, n := range members {
		extra += int64(max(0, (n+49)/50-1))
	}
	return extra
}

// TestDryRunPlanEqualsRun: the requests a dry run plans, endpoint by
// endpoint, are the requests a real run then makes on the same site (the
// manifest's by_endpoint), within the stated tolerance: group/member takes
// one more page per 50 members beyond a group's first 50 (computed here from
// the site's truth), and users/search on 1,000 users or more may read up to
// 3 pages past the end.
func TestDryRunPlanEqualsRun(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   sim.Config
		extra map[string]any
	}{
		{name: "small", cfg: sim.Config{Size: "small", Seed: 1}},
		{name: "more users, filtered", cfg: sim.Config{Size: "small", Seed: 9, Users: 1234, Projects: 40},
			extra: map[string]any{"accountTypes": []string{"atlassian", "app"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, url := simtest.StartSim(t, tc.cfg)
			dest := t.TempDir()
			job := newJob(t, url, dest, tc.extra)
			p, err := extractor.DryRun(context.Background(), job.Resolve().Job, extractor.RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if p.ExitCode() != extractor.ExitComplete || len(p.Problems) != 0 {
				t.Fatalf("problems on a readable site: %v", p.Problems)
			}
			if entries, _ := os.ReadDir(dest); len(entries) != 0 {
				t.Fatalf("dry run wrote %d entries", len(entries))
			}
			u, g, pr := srv.Counts()
			if p.Counts["user"] != int64(u) || p.Counts["group"] != int64(g) || p.Counts["project"] != int64(pr) {
				t.Errorf("counts %v, want users %d groups %d projects %d", p.Counts, u, g, pr)
			}
			if st := srv.Stats(); p.Requests != st.Requests {
				t.Errorf("dry run says it made %d requests, the simulator saw %d", p.Requests, st.Requests)
			}

			m, err := runJob(context.Background(), job, extractor.RunOptions{RunID: "r"})
			if err != nil {
				t.Fatal(err)
			}
			extraMembers := memberPagesBeyondFirst(srv.Truth(sim.TruthOptions{}))
			var planned int64
			for _, s := range p.Steps {
				got := m.Requests.ByEndpoint[s.Endpoint]
				want := s.Requests
				switch s.Endpoint {
				case "GET /rest/api/3/group/member":
					want += extraMembers
				case "GET /rest/api/3/users/search":
					if s.AtLeast && got >= want && got <= want+3 {
						want = got
					}
				}
				if got != want {
					t.Errorf("%s: planned %d (at least %v), the run made %d", s.Endpoint, s.Requests, s.AtLeast, got)
				}
				planned += s.Requests
			}
			if planned != p.PlannedRequests {
				t.Errorf("steps add up to %d, plan says %d", planned, p.PlannedRequests)
			}
			for ep, n := range m.Requests.ByEndpoint {
				found := false
				for _, s := range p.Steps {
					found = found || s.Endpoint == ep
				}
				if !found {
					t.Errorf("the run made %d requests to %s, which the plan does not list", n, ep)
				}
			}
			t.Logf("planned %d (at least %v), run %d (retries %d), member pages beyond the first %d",
				p.PlannedRequests, p.AtLeast, m.Requests.Total, m.Requests.Retries, extraMembers)
		})
	}
}

// TestDryRunForbiddenScopes: a token without Administer Jira cannot read
// global roles, application roles and permission schemes: the plan names
// those scopes and its exit code is 3 (a run would be partial).
func TestDryRunForbiddenScopes(t *testing.T) {
	_, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1, Permissions: sim.Permissions{BrowseUsers: true, BrowseProjects: true}})
	p, err := extractor.DryRun(context.Background(), newJob(t, url, t.TempDir(), nil).Resolve().Job, extractor.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var scopes []string
	for _, pr := range p.Problems {
		scopes = append(scopes, pr.Scope)
		if !strings.Contains(pr.Message, "403") {
			t.Errorf("%s: %s", pr.Scope, pr.Message)
		}
	}
	if got := strings.Join(scopes, ","); got != "global roles,application roles,permission schemes" {
		t.Errorf("problems %q", got)
	}
	if p.ExitCode() != extractor.ExitPartial {
		t.Errorf("exit code %d, want 3", p.ExitCode())
	}
	var b strings.Builder
	if err := p.Print(&b); err != nil || !strings.Contains(b.String(), "3 scope(s) could not be read") {
		t.Errorf("Print: %v\n%s", err, b.String())
	}
}

func TestDryRunExitCodes(t *testing.T) {
	for _, tc := range []struct {
		p    extractor.Plan
		want int
	}{
		{extractor.Plan{Readable: 4}, extractor.ExitComplete},
		{extractor.Plan{Readable: 3, Problems: []extractor.Problem{{Scope: "groups"}}}, extractor.ExitPartial},
		{extractor.Plan{Readable: 0, Problems: []extractor.Problem{{Scope: "users"}, {Scope: "groups"}}}, extractor.ExitFailed},
	} {
		if got := tc.p.ExitCode(); got != tc.want {
			t.Errorf("%+v: exit %d, want %d", tc.p, got, tc.want)
		}
	}
}

// TestDryRunPrintAndJSON: the text report is a table of every step (kinds,
// endpoint, requests, items) with the total; the JSON report is one
// document with the same steps and total.
func TestDryRunPrintAndJSON(t *testing.T) {
	_, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1})
	p, err := extractor.DryRun(context.Background(), newJob(t, url, t.TempDir(), nil).Resolve().Job, extractor.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := p.Print(&b); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, s := range p.Steps {
		if !strings.Contains(text, s.Endpoint) || !strings.Contains(text, strings.Join(s.Kinds, ", ")) {
			t.Errorf("text lacks the step %s", s.Endpoint)
		}
	}
	if !strings.Contains(text, "KINDS") || !strings.Contains(text, "REQUESTS") || !strings.Contains(text, "ITEMS") {
		t.Errorf("no table header:\n%s", text)
	}
	b.Reset()
	if err := p.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Planned int64 `json:"planned_requests"`
		Steps   []struct {
			Endpoint string `json:"endpoint"`
			Requests int64  `json:"requests"`
			Items    int64  `json:"items"`
		} `json:"steps"`
		Problems []any `json:"problems"`
	}
	dec := json.NewDecoder(strings.NewReader(b.String()))
	if err := dec.Decode(&doc); err != nil || dec.More() {
		t.Fatalf("not one JSON document (%v):\n%s", err, b.String())
	}
	if doc.Planned != p.PlannedRequests || len(doc.Steps) != len(p.Steps) || doc.Problems == nil {
		t.Errorf("JSON %+v", doc)
	}
}
