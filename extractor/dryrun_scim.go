package extractor

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/scim"
)

// SCIMPlan is what the SCIM part of a run reads: the directory, what its
// discovery declares, and how many users and groups it lists.
type SCIMPlan struct {
	Base    string `json:"base"`
	Version int    `json:"version"`
	Auth    string `json:"auth"`
	// Discovered reports that the discovery endpoints were read (readSchema).
	Discovered bool `json:"discovered"`
	PageSize   int  `json:"page_size"`
	Patch      bool `json:"patch"`
	Filter     bool `json:"filter"`
	Bulk       bool `json:"bulk"`
	// Users and Groups are the directory's totals; -1 when unknown.
	Users  int64 `json:"users"`
	Groups int64 `json:"groups"`
	// PlannedRequests is the SCIM part's share of the plan's requests.
	PlannedRequests   int64   `json:"planned_requests"`
	RequestsPerSecond float64 `json:"requests_per_second"`
}

// lines adds the SCIM part's header lines to a printed plan.
func (sp *SCIMPlan) lines(line func(k, v string)) {
	if sp == nil {
		return
	}
	line("scim directory", fmt.Sprintf("%s (SCIM %s, %s auth, %g requests/s)", sp.Base, map[int]string{1: "1.1", 2: "2.0"}[sp.Version], sp.Auth, sp.RequestsPerSecond))
	yes := map[bool]string{true: "yes", false: "no"}
	caps := fmt.Sprintf("page size %d, PATCH %s, filter %s, bulk %s", sp.PageSize, yes[sp.Patch], yes[sp.Filter], yes[sp.Bulk])
	if !sp.Discovered {
		caps = "not read (scim.readSchema is false): " + caps
	}
	line("scim discovery", caps)
}

// scimOnlyPlan is the plan of a job without a Jira site: the SCIM part
// alone writes users, groups and memberships.
func scimOnlyPlan(job Job) *Plan {
	p := newPlan(job, scimSource)
	p.EntityKinds, p.RelationKinds = []string{string(model.User), string(model.Group)}, []string{string(model.MemberOf)}
	return p
}

// dryRunSCIM adds the SCIM part to p: discovery as a run makes it, then
// one page of one user and one group for the totals. A run reads the
// users and the groups (members included) in pages of the declared size,
// so its requests are discovery's plus one per page; more where the
// server returns fewer than it was asked for. A refused credential (or
// certificate, or redirect) is an error; another failure is a Problem.
func dryRunSCIM(ctx context.Context, job Job, p *Plan, log *slog.Logger) error {
	c, err := newSCIMClient(job, log)
	if err != nil {
		return fmt.Errorf("dry run: %w", err)
	}
	sp := &SCIMPlan{Base: c.BaseURL(), Version: c.Version(), Auth: string(c.AuthKind()), RequestsPerSecond: c.RequestsPerSecond(), Users: -1, Groups: -1}
	p.SCIM = sp
	if p.RequestsPerSecond <= 0 { // a SCIM-only plan
		p.RequestsPerSecond = sp.RequestsPerSecond
	}
	defer func() { p.Requests += c.Stats().Total }()
	fail := func(scope string, err error) error {
		if ctx.Err() != nil || scim.IsAuth(err) || scim.IsFinal(err) {
			return fmt.Errorf("dry run: %s: %w", scope, err)
		}
		p.Problems = append(p.Problems, Problem{Scope: scope, Message: err.Error()})
		return nil
	}
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return fail("scim discovery", err)
	}
	sp.Discovered, sp.PageSize, sp.Patch, sp.Filter, sp.Bulk = caps.Discovered, caps.PageSize, caps.Patch, caps.Filter, caps.Bulk
	if eps := c.DiscoveryEndpoints(); len(eps) > 0 {
		p.Readable++
		for _, ep := range eps {
			sp.add(p, Step{Kinds: []string{"(scim discovery)"}, Endpoint: ep, Requests: 1, Items: -1})
		}
	}
	note := fmt.Sprintf("%d a page; more if the server returns fewer than asked", caps.PageSize)
	for _, r := range []struct {
		scope, path string
		kinds       []string
		count       func(context.Context) (int, error)
		total       *int64
	}{
		{"scim users", caps.UsersPath, []string{"scim user"}, c.CountUsers, &sp.Users},
		{"scim groups", caps.GroupsPath, []string{"scim group", "scim member_of"}, c.CountGroups, &sp.Groups},
	} {
		n, err := r.count(ctx)
		if err != nil {
			if err := fail(r.scope, err); err != nil {
				return err
			}
			continue
		}
		p.Readable++
		*r.total = int64(n)
		p.Counts[r.kinds[0]] = int64(n)
		sp.add(p, Step{Kinds: r.kinds, Endpoint: "GET " + r.path, Requests: int64(caps.Requests(n)), Items: int64(n), Note: note})
	}
	log.Info("dry run of the scim directory", "base", sp.Base, "users", sp.Users, "groups", sp.Groups, "planned_requests", sp.PlannedRequests)
	return nil
}

// add adds a SCIM step to p, with its time at the SCIM rate.
func (sp *SCIMPlan) add(p *Plan, s Step) {
	p.add(s)
	sp.PlannedRequests += s.Requests
	p.EstimatedDuration += time.Duration(float64(s.Requests) / sp.RequestsPerSecond * float64(time.Second))
}
