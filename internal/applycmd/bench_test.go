package applycmd

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/plan"
)

// Jira's write burst rates, per endpoint: the simulator enforces them in
// the benchmark and the floor is computed from them.
const (
	benchPost   = 100.0
	benchDelete = 50.0
)

// mixedPlan is n actions, a quarter each of member_of grants and revokes
// and has_role (user) grants and revokes, on distinct users, shuffled.
func mixedPlan(s *site, n int, rng *rand.Rand) *plan.Plan {
	st := s.state()
	var users []string
	for id, e := range st.users {
		if id != s.self && st.site[id] && e.Attrs["active"] == true && e.Attrs["account_type"] == "atlassian" {
			users = append(users, id)
		}
	}
	var members, roles []model.Relation
	var groups, projectRoles []string
	seenG, seenR := map[string]bool{}, map[string]bool{}
	for _, r := range st.rels {
		switch {
		case r.Kind == model.MemberOf:
			members = append(members, r)
			if !seenG[r.ToID] {
				seenG[r.ToID] = true
				groups = append(groups, r.ToID)
			}
		case r.Kind == model.HasRole:
			if r.FromType == "user" {
				roles = append(roles, r)
			}
			if !seenR[r.ToID] {
				seenR[r.ToID] = true
				projectRoles = append(projectRoles, r.ToID)
			}
		}
	}
	// Map iteration order is random: sort before shuffling with the seed.
	sortRels(members)
	sortRels(roles)
	sortStrings(users)
	sortStrings(groups)
	sortStrings(projectRoles)
	rng.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	rng.Shuffle(len(roles), func(i, j int) { roles[i], roles[j] = roles[j], roles[i] })
	used := map[string]bool{s.self: true}
	var acts []plan.Action
	add := func(op plan.Op, r model.Relation) {
		used[r.FromID] = true
		acts = append(acts, actionOf(fmt.Sprintf("%s-%s-%d", op, r.Kind, len(acts)), op, r))
	}
	q := n / 4
	for _, src := range []struct {
		rels []model.Relation
	}{{members}, {roles}} {
		k := 0
		for _, r := range src.rels {
			if k == q {
				break
			}
			if !used[r.FromID] {
				add(plan.Revoke, r)
				k++
			}
		}
	}
	grant := func(kind model.RelationKind, targets []string) {
		for k := 0; k < q; {
			u := users[rng.IntN(len(users))]
			to := targets[rng.IntN(len(targets))]
			var r model.Relation
			if kind == model.MemberOf {
				r = model.MemberOfRel(u, to)
			} else {
				p, ro, _ := plan.ParseProjectRole(to)
				r = model.HasRoleRel(model.User, u, p, ro)
			}
			if used[u] || st.has(r) {
				continue
			}
			add(plan.Grant, r)
			k++
		}
	}
	grant(model.MemberOf, groups)
	grant(model.HasRole, projectRoles)
	rng.Shuffle(len(acts), func(i, j int) { acts[i], acts[j] = acts[j], acts[i] })
	return &plan.Plan{Actions: acts}
}

// floorOf is the least time the write buckets allow for p: each endpoint
// and method has its own bucket, so the slowest one sets the floor.
func floorOf(p *plan.Plan) time.Duration {
	n := map[string]int{}
	for _, a := range p.Actions {
		n[a.Relation+string(a.Op)]++
	}
	var worst float64
	for k, c := range n {
		rate := benchPost
		if k[len(k)-6:] == "revoke" {
			rate = benchDelete
		}
		worst = max(worst, float64(c)/rate)
	}
	return time.Duration(worst * float64(time.Second))
}

// BenchmarkApplyMixed applies 2,000 mixed grants and revokes to the medium
// site under the simulator's write buckets (POST 100/s, DELETE 50/s per
// endpoint; reads unlimited) and reports the wall time against the floor
// those rates allow. The site afterwards must be exactly as the plan says.
func BenchmarkApplyMixed(b *testing.B) {
	n := 2000
	if os.Getenv("BENCH_QUICK") != "" {
		n = 400
	}
	for range b.N {
		b.StopTimer()
		s := startSite(b, sim.Config{Size: "medium", Seed: 1,
			RateLimit: sim.RateLimit{PostPerSecond: benchPost, DeletePerSecond: benchDelete}})
		p := mixedPlan(s, n, rand.New(rand.NewPCG(1, 2)))
		before := s.state()
		job := s.job(b, b.TempDir(), map[string]any{"appConfig.requestsPerSecond": 2000, "appConfig.burst": 200})
		s.srv.ResetStats()
		b.StartTimer()
		start := time.Now()
		res, err := Apply(context.Background(), job, p, Options{MaxChanges: -1}, nil)
		wall := time.Since(start)
		b.StopTimer()
		if err != nil || res.ExitCode != 0 {
			b.Fatalf("apply: exit %d, %v", res.ExitCode, err)
		}
		for _, o := range res.Apply.Outcomes {
			if o.Status != apply.Applied {
				b.Fatalf("%s: %s %s", o.ID, o.Status, o.Message)
			}
		}
		want := wantAfter(before, p)
		got := s.state()
		bad := 0
		for k := range want {
			if _, ok := got.rels[k]; !ok {
				bad++
			}
		}
		if bad > 0 || len(got.rels) != len(want) {
			b.Fatalf("site differs from the plan: %d missing, %d rows vs %d wanted", bad, len(got.rels), len(want))
		}
		floor := floorOf(p)
		st := s.srv.Stats()
		ratio := wall.Seconds() / floor.Seconds()
		b.ReportMetric(wall.Seconds(), "wall_s")
		b.ReportMetric(floor.Seconds(), "floor_s")
		b.ReportMetric(ratio, "x_floor")
		fmt.Printf("apply: %d actions on the medium site in %.2fs; floor %.2fs (POST %.0f/s, DELETE %.0f/s per endpoint) → %.2f× (goal ≤ 1.2×); writes %d, requests %d, throttled %d; site matches the plan\n",
			len(p.Actions), wall.Seconds(), floor.Seconds(), benchPost, benchDelete, ratio, st.Writes, st.Requests, st.Throttled)
	}
}
