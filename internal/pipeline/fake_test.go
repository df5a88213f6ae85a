package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/model"
)

// statusErr is the fake's HTTP error.
type statusErr struct {
	status int
	what   string
}

func (e *statusErr) Error() string { return fmt.Sprintf("%s: HTTP %d", e.what, e.status) }

func isStatus(code int) func(error) bool {
	return func(err error) bool {
		var se *statusErr
		return errors.As(err, &se) && se.status == code
	}
}

// fakeGroup is a group with its members (indexes into fakeSite.users).
type fakeGroup struct {
	jira.Group
	members []int
}

// fakeProject is a project with role actors per role id.
type fakeProject struct {
	jira.Project
	roles map[jira.ID][]jira.RoleActor
}

// fakeSite is an in-memory Jira for the pipeline's unit tests, with fault
// injection.
type fakeSite struct {
	users    []jira.User
	groups   []fakeGroup
	projects []fakeProject
	roles    []jira.ProjectRole
	apps     []jira.ApplicationRole
	schemes  []jira.PermissionScheme
	schemeOf map[string]int64
	orgUsers []jira.OrgUser
	orgGrps  []jira.OrgGroup

	// faults
	shortUsers     bool            // users/search answers at most 7 users
	omitTotals     bool            // PageBeans without total
	staleTotals    int             // PageBeans under-report total by this many (rows added mid-run)
	forbidden      map[string]bool // project ids: roles answer 403
	notFound       map[string]bool // project ids: roles and scheme answer 404
	vanishing      map[string]bool // group ids: member pages after the first answer 404
	projects404    map[int]int     // project/search startAt → how many times it answers 404 before it answers
	failEndpoint   string          // this endpoint always fails with a 500
	blockEndpoint  string          // this endpoint blocks until ctx ends
	blocked        chan struct{}   // closed when a blocked call starts
	blockOnce      sync.Once
	mu             sync.Mutex // guards projects404
	inflight, peak atomic.Int64
	calls          sync.Map // endpoint → *atomic.Int64
	memberPages    sync.Map // group id → *atomic.Int64
}

func (f *fakeSite) enter(ctx context.Context, endpoint string) (func(), error) {
	n := f.inflight.Add(1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	c, _ := f.calls.LoadOrStore(endpoint, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
	done := func() { f.inflight.Add(-1) }
	if endpoint == f.blockEndpoint {
		f.blockOnce.Do(func() { close(f.blocked) })
		<-ctx.Done()
		done()
		return nil, ctx.Err()
	}
	if endpoint == f.failEndpoint {
		done()
		return nil, &statusErr{500, endpoint}
	}
	return done, nil
}

func (f *fakeSite) count(endpoint string) int64 {
	c, ok := f.calls.Load(endpoint)
	if !ok {
		return 0
	}
	return c.(*atomic.Int64).Load()
}

func page[T any](all []T, startAt, maxResults, cap int, omitTotal bool, stale int) jira.Page[T] {
	maxResults = min(maxResults, cap)
	end := min(len(all), startAt+maxResults)
	var vals []T
	if startAt < len(all) {
		vals = append(vals, all[startAt:end]...)
	}
	p := jira.Page[T]{StartAt: startAt, MaxResults: maxResults, IsLast: end >= len(all), Values: vals}
	if !omitTotal {
		t := max(0, len(all)-stale)
		p.Total = &t
	}
	return p
}

func (f *fakeSite) UsersPage(ctx context.Context, startAt, maxResults int) ([]jira.User, error) {
	done, err := f.enter(ctx, "users")
	if err != nil {
		return nil, err
	}
	defer done()
	if f.shortUsers {
		maxResults = min(maxResults, 7)
	}
	if startAt >= len(f.users) {
		return []jira.User{}, nil
	}
	return append([]jira.User(nil), f.users[startAt:min(len(f.users), startAt+maxResults)]...), nil
}

func (f *fakeSite) GroupsPage(ctx context.Context, startAt, maxResults int) (jira.Page[jira.Group], error) {
	done, err := f.enter(ctx, "groups")
	if err != nil {
		return jira.Page[jira.Group]{}, err
	}
	defer done()
	gs := make([]jira.Group, len(f.groups))
	for i, g := range f.groups {
		gs[i] = g.Group
	}
	return page(gs, startAt, maxResults, 50, f.omitTotals, f.staleTotals), nil
}

func (f *fakeSite) GroupMembersPage(ctx context.Context, groupID string, includeInactive bool, startAt, maxResults int) (jira.Page[jira.User], error) {
	done, err := f.enter(ctx, "members")
	if err != nil {
		return jira.Page[jira.User]{}, err
	}
	defer done()
	c, _ := f.memberPages.LoadOrStore(groupID, new(atomic.Int64))
	if c.(*atomic.Int64).Add(1) > 1 && f.vanishing[groupID] {
		return jira.Page[jira.User]{}, &statusErr{404, "group/member " + groupID}
	}
	for _, g := range f.groups {
		if g.GroupID != groupID {
			continue
		}
		var us []jira.User
		for _, i := range g.members {
			if includeInactive || f.users[i].Active {
				us = append(us, f.users[i])
			}
		}
		return page(us, startAt, maxResults, 50, f.omitTotals, f.staleTotals), nil
	}
	return jira.Page[jira.User]{}, &statusErr{404, "group/member " + groupID}
}

func (f *fakeSite) ProjectsPage(ctx context.Context, startAt, maxResults int) (jira.Page[jira.Project], error) {
	done, err := f.enter(ctx, "projects")
	if err != nil {
		return jira.Page[jira.Project]{}, err
	}
	defer done()
	f.mu.Lock()
	inject := f.projects404[startAt] > 0
	if inject {
		f.projects404[startAt]--
	}
	f.mu.Unlock()
	// Like Jira (and the real client, which passes the 404 on): 404 when
	// nothing matches, an empty page past the end of a non-empty list.
	if inject || len(f.projects) == 0 {
		return jira.Page[jira.Project]{}, &statusErr{404, "project/search"}
	}
	ps := make([]jira.Project, len(f.projects))
	for i, p := range f.projects {
		ps[i] = p.Project
	}
	return page(ps, startAt, maxResults, 100, f.omitTotals, f.staleTotals), nil
}

// ProjectsProbe is project/search?maxResults=1 without a status filter:
// live projects only, 404 when there is none.
func (f *fakeSite) ProjectsProbe(ctx context.Context) (int, error) {
	done, err := f.enter(ctx, "projectsprobe")
	if err != nil {
		return 0, err
	}
	defer done()
	live := 0
	for _, p := range f.projects {
		if !p.Archived {
			live++
		}
	}
	if live == 0 {
		return 0, &statusErr{404, "project/search"}
	}
	return live, nil
}

func (f *fakeSite) project(id string) (fakeProject, error) {
	if f.forbidden[id] {
		return fakeProject{}, &statusErr{403, "project " + id}
	}
	if f.notFound[id] {
		return fakeProject{}, &statusErr{404, "project " + id}
	}
	for _, p := range f.projects {
		if p.ID == id {
			return p, nil
		}
	}
	return fakeProject{}, &statusErr{404, "project " + id}
}

func (f *fakeSite) ProjectRoleDetails(ctx context.Context, projectID string) ([]jira.RoleDetail, error) {
	done, err := f.enter(ctx, "roledetails")
	if err != nil {
		return nil, err
	}
	defer done()
	p, err := f.project(projectID)
	if err != nil {
		return nil, err
	}
	var out []jira.RoleDetail
	for _, r := range f.roles {
		if _, ok := p.roles[r.ID]; ok {
			out = append(out, jira.RoleDetail{ID: r.ID, Name: r.Name, Description: r.Description})
		}
	}
	return out, nil
}

func (f *fakeSite) ProjectRole(ctx context.Context, projectID string, roleID int64) (jira.ProjectRole, error) {
	done, err := f.enter(ctx, "role")
	if err != nil {
		return jira.ProjectRole{}, err
	}
	defer done()
	p, err := f.project(projectID)
	if err != nil {
		return jira.ProjectRole{}, err
	}
	for _, r := range f.roles {
		if int64(r.ID) == roleID {
			return jira.ProjectRole{ID: r.ID, Name: r.Name, Actors: p.roles[r.ID]}, nil
		}
	}
	return jira.ProjectRole{}, &statusErr{404, "role"}
}

func (f *fakeSite) GlobalRoles(ctx context.Context) ([]jira.ProjectRole, error) {
	done, err := f.enter(ctx, "globalroles")
	if err != nil {
		return nil, err
	}
	defer done()
	return f.roles, nil
}

func (f *fakeSite) ApplicationRoles(ctx context.Context) ([]jira.ApplicationRole, error) {
	done, err := f.enter(ctx, "apps")
	if err != nil {
		return nil, err
	}
	defer done()
	return f.apps, nil
}

func (f *fakeSite) PermissionSchemes(ctx context.Context) ([]jira.PermissionScheme, error) {
	done, err := f.enter(ctx, "schemes")
	if err != nil {
		return nil, err
	}
	defer done()
	return f.schemes, nil
}

func (f *fakeSite) ProjectPermissionScheme(ctx context.Context, projectID string) (jira.PermissionScheme, error) {
	done, err := f.enter(ctx, "projectscheme")
	if err != nil {
		return jira.PermissionScheme{}, err
	}
	defer done()
	if f.notFound[projectID] {
		return jira.PermissionScheme{}, &statusErr{404, "project scheme " + projectID}
	}
	id := f.schemeOf[projectID]
	for _, s := range f.schemes {
		if int64(s.ID) == id {
			return jira.PermissionScheme{ID: s.ID, Name: s.Name}, nil
		}
	}
	return jira.PermissionScheme{}, &statusErr{404, "scheme"}
}

// cursor pages: the cursor is the next index as text.
func cursorPage[T any](all []T, cursor string, size int) ([]T, string) {
	i, _ := strconv.Atoi(cursor)
	end := min(len(all), i+size)
	next := ""
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	return append([]T(nil), all[i:end]...), next
}

func (f *fakeSite) OrgUsersPage(ctx context.Context, cursor string) ([]jira.OrgUser, string, error) {
	done, err := f.enter(ctx, "orgusers")
	if err != nil {
		return nil, "", err
	}
	defer done()
	us, next := cursorPage(f.orgUsers, cursor, 7)
	return us, next, nil
}

func (f *fakeSite) OrgGroupsPage(ctx context.Context, cursor string) ([]jira.OrgGroup, string, error) {
	done, err := f.enter(ctx, "orggroups")
	if err != nil {
		return nil, "", err
	}
	defer done()
	gs, next := cursorPage(f.orgGrps, cursor, 3)
	return gs, next, nil
}

// newFakeSite builds a site with nUsers users (every 5th inactive, every 7th
// an app, every 11th a customer, every 3rd hiding its email), nGroups groups
// of varied sizes (some over 50 members), nProjects projects with 3 roles.
func newFakeSite(nUsers, nGroups, nProjects int) *fakeSite {
	f := &fakeSite{schemeOf: map[string]int64{}, forbidden: map[string]bool{}, notFound: map[string]bool{}, vanishing: map[string]bool{},
		projects404: map[int]int{}, blocked: make(chan struct{})}
	for i := range nUsers {
		u := jira.User{AccountID: fmt.Sprintf("acc-%04d", i), AccountType: "atlassian", Active: i%5 != 0, DisplayName: fmt.Sprintf("User %d", i), TimeZone: "UTC"}
		switch {
		case i%7 == 0:
			u.AccountType = "app"
		case i%11 == 0:
			u.AccountType = "customer"
		}
		if i%3 != 0 {
			u.EmailAddress = fmt.Sprintf("u%d@example.com", i)
		}
		f.users = append(f.users, u)
	}
	for g := range nGroups {
		fg := fakeGroup{Group: jira.Group{GroupID: fmt.Sprintf("grp-%03d", g), Name: fmt.Sprintf("group-%d", g)}}
		size := (g * 37) % min(nUsers+1, 301)
		if g%4 == 0 {
			size = 0
		}
		for m := range size {
			fg.members = append(fg.members, (m*13+g)%nUsers)
		}
		fg.members = uniq(fg.members)
		f.groups = append(f.groups, fg)
	}
	f.roles = []jira.ProjectRole{{ID: 10002, Name: "Administrators", Description: "admins"}, {ID: 10003, Name: "Developers"}, {ID: 10004, Name: "Viewers"}}
	f.schemes = []jira.PermissionScheme{
		{ID: 0, Name: "Default", Permissions: []jira.PermissionGrant{
			{ID: 1, Permission: "BROWSE_PROJECTS", Holder: jira.Holder{Type: "anyone"}},
			{ID: 2, Permission: "ADMINISTER_PROJECTS", Holder: jira.Holder{Type: "projectRole", Parameter: "10002", Value: "10002"}},
			{ID: 3, Permission: "BROWSE_PROJECTS", Holder: jira.Holder{Type: "group", Parameter: "group-1", Value: "grp-001"}},
			{ID: 4, Permission: "CREATE_ISSUES", Holder: jira.Holder{Type: "user", Parameter: "acc-0007", Value: "acc-0007"}},
			{ID: 5, Permission: "CREATE_ISSUES", Holder: jira.Holder{Type: "user", Parameter: "acc-0001", Value: "acc-0001"}},
		}},
		{ID: 10100, Name: "Private", Description: "locked down", Permissions: []jira.PermissionGrant{
			{ID: 6, Permission: "BROWSE_PROJECTS", Holder: jira.Holder{Type: "applicationRole", Parameter: "jira-software"}},
			{ID: 7, Permission: "BROWSE_PROJECTS", Holder: jira.Holder{Type: "applicationRole", Parameter: "jira-software"}}, // repeated grant
		}},
	}
	for p := range nProjects {
		id := strconv.Itoa(10000 + p)
		fp := fakeProject{Project: jira.Project{ID: id, Key: fmt.Sprintf("P%d", p), Name: fmt.Sprintf("Project %d", p), ProjectTypeKey: "software", Archived: p%6 == 5,
			Lead: &f.users[(p*3)%nUsers]}, roles: map[jira.ID][]jira.RoleActor{}}
		for _, r := range f.roles {
			var actors []jira.RoleActor
			for a := range 3 {
				u := f.users[(p+a*17+int(r.ID))%nUsers]
				actors = append(actors, jira.RoleActor{Type: jira.UserRoleActor, ActorUser: &jira.ActorUser{AccountID: u.AccountID}})
			}
			if len(f.groups) > 0 {
				g := f.groups[(p+int(r.ID))%len(f.groups)]
				actors = append(actors, jira.RoleActor{Type: jira.GroupRoleActor, ActorGroup: &jira.ActorGroup{GroupID: g.GroupID, Name: g.Name}})
			}
			fp.roles[r.ID] = actors
		}
		f.schemeOf[id] = int64(f.schemes[p%2].ID)
		f.projects = append(f.projects, fp)
	}
	if nGroups > 2 {
		cnt, seats := int64(nUsers), int64(1000)
		f.apps = []jira.ApplicationRole{{Key: "jira-software", Name: "Jira Software", UserCount: &cnt, NumberOfSeats: &seats,
			Groups: []string{"group-1", "group-2"}, GroupDetails: []jira.ActorGroup{{GroupID: "grp-001", Name: "group-1"}, {GroupID: "grp-002", Name: "group-2"}},
			DefaultGroups: []string{"group-2"}}}
	}
	return f
}

func uniq(xs []int) []int {
	sort.Ints(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// memSink collects rows and checks batch discipline.
type memSink struct {
	t        *testing.T
	max      int
	mu       sync.Mutex
	ents     map[string]model.Entity
	entDups  []string
	rels     map[string]model.Relation
	relDups  []string
	biggest  int
	failKind model.SourceType
}

func newMemSink(t *testing.T, max int) *memSink {
	return &memSink{t: t, max: max, ents: map[string]model.Entity{}, rels: map[string]model.Relation{}}
}

// WriteEntities fails on a cancelled ctx, as a sink writing to S3 would.
func (s *memSink) WriteEntities(ctx context.Context, kind model.SourceType, batch []model.Entity) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if kind == s.failKind {
		return errors.New("disk full")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.biggest = max(s.biggest, len(batch))
	for _, e := range batch {
		if e.SourceType != kind {
			s.t.Errorf("batch of %s holds a %s", kind, e.SourceType)
		}
		if _, dup := s.ents[e.Key()]; dup {
			s.entDups = append(s.entDups, e.Key())
		}
		s.ents[e.Key()] = e
	}
	return nil
}

func (s *memSink) WriteRelations(ctx context.Context, kind model.RelationKind, batch []model.Relation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.biggest = max(s.biggest, len(batch))
	for _, r := range batch {
		if r.Kind != kind {
			s.t.Errorf("batch of %s holds a %s", kind, r.Kind)
		}
		if _, dup := s.rels[r.Key()]; dup {
			s.relDups = append(s.relDups, r.Key())
		}
		s.rels[r.Key()] = r
	}
	return nil
}

// OrgUsersV2Page is the Admin API v2 listing: the v1 accounts without
// their last active dates and product access.
func (f *fakeSite) OrgUsersV2Page(ctx context.Context, cursor string) ([]jira.OrgUser, string, error) {
	done, err := f.enter(ctx, "orgusers-v2")
	if err != nil {
		return nil, "", err
	}
	defer done()
	us, next := cursorPage(f.orgUsers, cursor, 5)
	for i := range us {
		us[i].LastActive, us[i].ProductAccess = "", nil
	}
	return us, next, nil
}
