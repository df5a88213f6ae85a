package jira

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
)

func simClient(t *testing.T, base, token string, o clientOpts) *Client {
	o.email, o.token = sim.DefaultEmail, token
	o.orgID, o.orgKey = sim.DefaultOrgID, sim.DefaultOrgAPIKey
	return newClient(t, base, o)
}

// siteSummary is what a walk read: enough to compare two walks.
type siteSummary struct {
	users, groups, members, projects, roleActors, schemes, grants int
	orgUsers, orgGroups                                           int
	ids                                                           []string
}

// walk reads the whole site the way the pipeline does, with `workers`
// goroutines for the per-group and per-project calls.
func walk(ctx context.Context, c *Client, workers int, org bool) (siteSummary, error) {
	var s siteSummary
	var mu sync.Mutex
	add := func(f func()) { mu.Lock(); f(); mu.Unlock() }
	for start := 0; ; {
		users, err := c.UsersPage(ctx, start, UsersPageSize)
		if err != nil {
			return s, err
		}
		if len(users) == 0 {
			break
		}
		for _, u := range users {
			s.ids = append(s.ids, "user:"+u.AccountID)
		}
		s.users += len(users)
		start += len(users)
	}
	var groups []Group
	for start := 0; ; {
		p, err := c.GroupsPage(ctx, start, GroupsPageSize)
		if err != nil {
			return s, err
		}
		groups = append(groups, p.Values...)
		next, last := p.NextStartAt(start)
		if last {
			break
		}
		start = next
	}
	s.groups = len(groups)
	var projects []Project
	for start := 0; ; {
		p, err := c.ProjectsPage(ctx, start, ProjectsPageSize)
		if err != nil {
			return s, err
		}
		projects = append(projects, p.Values...)
		next, last := p.NextStartAt(start)
		if last {
			break
		}
		start = next
	}
	s.projects = len(projects)

	jobs := make(chan func() error)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := j(); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for _, g := range groups {
		jobs <- func() error {
			for start := 0; ; {
				p, err := c.GroupMembersPage(ctx, g.GroupID, true, start, MembersPageSize)
				if err != nil {
					return err
				}
				add(func() {
					s.members += len(p.Values)
					for _, u := range p.Values {
						s.ids = append(s.ids, "member:"+g.GroupID+":"+u.AccountID)
					}
				})
				next, last := p.NextStartAt(start)
				if last {
					return nil
				}
				start = next
			}
		}
	}
	for _, p := range projects {
		jobs <- func() error {
			roles, err := c.ProjectRoleDetails(ctx, p.ID)
			if err != nil {
				return err
			}
			for _, r := range roles {
				pr, err := c.ProjectRole(ctx, p.ID, int64(r.ID))
				if err != nil {
					return err
				}
				add(func() {
					s.roleActors += len(pr.Actors)
					for _, a := range pr.Actors {
						s.ids = append(s.ids, fmt.Sprintf("actor:%s:%d:%s", p.ID, r.ID, a.Type))
					}
				})
			}
			ps, err := c.ProjectPermissionScheme(ctx, p.ID)
			if err != nil {
				return err
			}
			add(func() { s.ids = append(s.ids, fmt.Sprintf("uses:%s:%d", p.ID, ps.ID)) })
			return nil
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return s, err
	default:
	}
	if _, err := c.GlobalRoles(ctx); err != nil {
		return s, err
	}
	if _, err := c.ApplicationRoles(ctx); err != nil {
		return s, err
	}
	schemes, err := c.PermissionSchemes(ctx)
	if err != nil {
		return s, err
	}
	s.schemes = len(schemes)
	for _, sc := range schemes {
		s.grants += len(sc.Permissions)
	}
	if org {
		for cur := ""; ; {
			us, next, err := c.OrgUsersPage(ctx, cur)
			if err != nil {
				return s, err
			}
			s.orgUsers += len(us)
			if next == "" {
				break
			}
			cur = next
		}
		for cur := ""; ; {
			gs, next, err := c.OrgGroupsPage(ctx, cur)
			if err != nil {
				return s, err
			}
			s.orgGroups += len(gs)
			if next == "" {
				break
			}
			cur = next
		}
	}
	sort.Strings(s.ids)
	return s, nil
}

// A clean walk of the small site takes exactly the simulator's request
// floor, and the client's counters agree with the server's.
func TestSimWalkMatchesFloor(t *testing.T) {
	srv, base := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1})
	c := simClient(t, base, sim.DefaultToken, clientOpts{retries: 3, slowBackof: true})
	ctx := context.Background()
	id, err := c.Detect(ctx)
	if err != nil || id.Kind != Unscoped {
		t.Fatalf("Detect: %+v %v", id, err)
	}
	s, err := walk(ctx, c, 4, true)
	if err != nil {
		t.Fatal(err)
	}
	users, groups, projects := srv.Counts()
	if s.users != users || s.groups != groups || s.projects != projects {
		t.Fatalf("walk read %d users %d groups %d projects, site has %d %d %d", s.users, s.groups, s.projects, users, groups, projects)
	}
	st := srv.Stats()
	mine := c.Stats()
	if mine.Total != st.FloorOrg || st.Requests != mine.Total {
		t.Fatalf("client %d requests, server saw %d, floor %d", mine.Total, st.Requests, st.FloorOrg)
	}
	// Where the two name a route alike, they count alike (the simulator
	// names path parameters differently: {projectIdOrKey}, {directoryId}).
	for k, n := range mine.ByEndpoint {
		if want, ok := st.ByEndpoint[k]; ok && want != n {
			t.Errorf("%s: client %d, server %d", k, n, want)
		}
	}
	if s.orgUsers == 0 || s.orgGroups == 0 || s.grants == 0 || s.members == 0 {
		t.Fatalf("walk %+v", s)
	}
}

// Under faults and a tight rate limit a concurrent walk reads exactly what a
// clean walk reads.
func TestSimWalkSurvivesFaultsAndThrottling(t *testing.T) {
	_, base := simtest.StartSim(t, sim.Config{Size: "small", Seed: 2})
	clean, err := walk(context.Background(), simClient(t, base, sim.DefaultToken, clientOpts{retries: 3}), 4, true)
	if err != nil {
		t.Fatal(err)
	}

	srv, base := simtest.StartSim(t, sim.Config{Size: "small", Seed: 2})
	srv.SetFaults(sim.Faults{Rate500: 0.03, Rate502: 0.03, Rate503: 0.03, Rate504: 0.02, RateReset: 0.03,
		RateTruncated: 0.04, Rate409UserSearch: 0.3, Rate429: 0.02, ShortUserPages: true})
	srv.SetRateLimit(sim.RateLimit{PerSecond: 150, Burst: 10})
	c := simClient(t, base, sim.DefaultToken, clientOpts{retries: 8, rps: 300, burst: 30, timeout: "5s"})
	c.backoff.throttle.Base, c.backoff.throttle.Cap = 200e6, 2e9 // 429s here always carry Retry-After
	got, err := walk(context.Background(), c, 8, true)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(clean) {
		t.Fatalf("faulty walk differs: %d users %d members %d actors vs %d %d %d",
			got.users, got.members, got.roleActors, clean.users, clean.members, clean.roleActors)
	}
	req, retries, throttled := c.Counts()
	st := srv.Stats()
	// net/http itself replays a GET whose reused connection was closed before
	// any answer; the client counts those re-sends too, so both sides agree.
	if retries == 0 || throttled == 0 || st.Faults == 0 || req != st.Requests {
		t.Fatalf("client req %d retries %d throttled %d; server req %d faults %d throttled %d", req, retries, throttled, st.Requests, st.Faults, st.Throttled)
	}
	if throttled != st.Throttled {
		t.Errorf("client saw %d 429s, server sent %d", throttled, st.Throttled)
	}
	t.Logf("faulty walk: %d requests, %d retries, %d throttled (server faults %d)", req, retries, throttled, st.Faults)
}

func TestSimTokenKinds(t *testing.T) {
	srv, base := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1})
	ctx := context.Background()

	c := simClient(t, base, sim.DefaultScopedToken, clientOpts{retries: 3})
	id, err := c.Detect(ctx)
	if err != nil || id.Kind != Scoped || id.CloudID != srv.CloudID() {
		t.Fatalf("scoped: %+v %v", id, err)
	}
	if p, err := c.ProjectsPage(ctx, 0, ProjectsPageSize); err != nil || len(p.Values) == 0 {
		t.Fatalf("scoped projects: %v", err)
	}

	c = simClient(t, base, sim.DefaultUnderScopedToken, clientOpts{retries: 3})
	if id, err := c.Detect(ctx); err != nil || id.Kind != Scoped {
		t.Fatalf("under-scoped detect: %+v %v", id, err)
	}
	_, err = c.ProjectsPage(ctx, 0, ProjectsPageSize)
	var ae *AuthError
	if !errors.As(err, &ae) || !ae.MissingScope || ae.Scope != "read:jira-work" {
		t.Fatalf("under-scoped projects: %v", err)
	}

	for _, plain := range []bool{false, true} {
		srv.SetFaults(sim.Faults{PlainText401: plain})
		srv.ResetStats()
		c = simClient(t, base, "wrong-token", clientOpts{retries: 6, slowBackof: true})
		_, err = c.Detect(ctx)
		if !errors.As(err, &ae) || ae.MissingScope {
			t.Fatalf("bad token (plain %v): %v", plain, err)
		}
		if n := srv.Stats().Requests; n != 3 {
			t.Fatalf("bad token took %d requests, want 3", n)
		}
	}
}
