package applycmd

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/plan"
)

// site is a running simulator and what a test knows of it.
type site struct {
	srv  *sim.Server
	url  string
	self string // the job's own account id
}

func startSite(t testing.TB, cfg sim.Config) *site {
	t.Helper()
	srv, url := simtest.StartSim(t, cfg)
	s := &site{srv: srv, url: url}
	c, err := jira.New(s.job(t, t.TempDir(), nil).Resolve().Job.Jira)
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.Detect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.self = id.Myself.AccountID
	return s
}

// job is a job file for the simulator with org access, writing to dest.
func (s *site) job(t testing.TB, dest string, extra map[string]any) *config.Job {
	t.Helper()
	all := map[string]any{"appConfig.orgId": sim.DefaultOrgID, "appConfig.orgApiKey": sim.DefaultOrgAPIKey}
	maps.Copy(all, extra)
	job, err := config.Parse(simtest.Job(t, s.url, dest, all), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// state is the part of the site's truth an apply changes.
type state struct {
	rels  map[string]model.Relation // member_of and has_role, by key
	users map[string]model.Entity   // Jira users by account id (org truth)
	site  map[string]bool           // account ids of the users on the site
	leads map[string]bool
}

func (s *site) state() state {
	tr := s.srv.Truth(sim.TruthOptions{Org: true})
	st := state{rels: map[string]model.Relation{}, users: map[string]model.Entity{}, site: map[string]bool{}, leads: map[string]bool{}}
	for _, e := range s.srv.Truth(sim.TruthOptions{}).Entities {
		if e.SourceType == model.User {
			st.site[e.SourceID] = true
		}
	}
	for _, r := range tr.Relations {
		switch r.Kind {
		case model.MemberOf, model.HasRole:
			st.rels[r.Key()] = r
		case model.LeadOf:
			st.leads[r.FromID] = true
		}
	}
	for _, e := range tr.Entities {
		if e.SourceType == model.User {
			st.users[e.SourceID] = e
		}
	}
	return st
}

func (st state) has(r model.Relation) bool { _, ok := st.rels[r.Key()]; return ok }

// relOf is the relation an action grants or revokes.
func relOf(a plan.Action) model.Relation {
	if a.Relation == plan.MemberOf {
		return model.MemberOfRel(a.FromID, a.ToID)
	}
	p, r, _ := plan.ParseProjectRole(a.ToID)
	return model.HasRoleRel(model.SourceType(a.FromType), a.FromID, p, r)
}

// picker hands out users, groups and project roles of a site that no
// earlier action of the plan touches.
type picker struct {
	st    state
	self  string
	used  map[string]bool
	users []string // active atlassian users on the site, not self, not leads
	selfG map[string]bool
}

func newPicker(t testing.TB, s *site) *picker {
	st := s.state()
	p := &picker{st: st, self: s.self, used: map[string]bool{}, selfG: map[string]bool{}}
	for id, e := range st.users {
		if id != s.self && !st.leads[id] && e.Attrs["active"] == true && e.Attrs["account_type"] == "atlassian" &&
			e.Attrs["account_status"] == "active" {
			p.users = append(p.users, id)
		}
	}
	sort.Strings(p.users)
	for _, r := range st.rels {
		if r.Kind == model.MemberOf && r.FromID == s.self {
			p.selfG[r.ToID] = true
		}
	}
	if len(p.users) < 20 {
		t.Fatalf("the site has only %d usable users", len(p.users))
	}
	return p
}

func (p *picker) user() string {
	for _, u := range p.users {
		if !p.used["u"+u] {
			p.used["u"+u] = true
			return u
		}
	}
	panic("out of users")
}

// relation returns an existing (exists) or missing relation of kind and
// from type whose ends no other action uses.
func (p *picker) relation(kind model.RelationKind, fromType string, exists bool) model.Relation {
	var cands []model.Relation
	if exists {
		for _, r := range p.st.rels {
			if r.Kind == kind && r.FromType == fromType {
				cands = append(cands, r)
			}
		}
	} else {
		// Pair every existing target with holders that do not hold it.
		var targets []string
		seen := map[string]bool{}
		for _, r := range p.st.rels {
			if r.Kind == kind && !seen[r.ToID] {
				seen[r.ToID] = true
				targets = append(targets, r.ToID)
			}
		}
		sort.Strings(targets)
		var holders []string
		if fromType == "user" {
			holders = p.users
		} else {
			hs := map[string]bool{}
			for _, r := range p.st.rels {
				if r.Kind == model.MemberOf {
					hs[r.ToID] = true
				}
			}
			holders = slices.Sorted(maps.Keys(hs))
		}
		for i, to := range targets {
			h := holders[(i*7)%len(holders)]
			var r model.Relation
			if kind == model.MemberOf {
				r = model.MemberOfRel(h, to)
			} else {
				pid, rid, _ := strings.Cut(to, ":")
				r = model.HasRoleRel(model.SourceType(fromType), h, pid, rid)
			}
			if !p.st.has(r) {
				cands = append(cands, r)
			}
		}
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].Key() < cands[j].Key() })
	for _, r := range cands {
		if r.FromID == p.self || p.selfG[r.FromID] || p.st.leads[r.FromID] || p.used["u"+r.FromID] || p.used["t"+r.ToID] {
			continue
		}
		if fromType == "user" && !slices.Contains(p.users, r.FromID) {
			continue
		}
		p.used["u"+r.FromID], p.used["t"+r.ToID] = true, true
		return r
	}
	panic(fmt.Sprintf("no %v %s relation (exists %v) left", kind, fromType, exists))
}

func actionOf(id string, op plan.Op, r model.Relation) plan.Action {
	return plan.Action{ID: id, Op: op, Relation: string(r.Kind), FromType: r.FromType, FromID: r.FromID, ToType: r.ToType, ToID: r.ToID}
}

func userAction(id string, op plan.Op, account string) plan.Action {
	return plan.Action{ID: id, Op: op, Entity: "user", ToID: account}
}

func sortRels(rs []model.Relation) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Key() < rs[j].Key() })
}

func sortStrings(s []string) { sort.Strings(s) }
