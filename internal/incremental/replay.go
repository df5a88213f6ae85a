package incremental

import (
	"context"
	"sync"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/pipeline"
)

// answers holds what Prepare read that the pipeline reads again: the
// global roles and the Admin API groups pages (by cursor).
type answers struct {
	mu       sync.Mutex
	roles    []jira.ProjectRole
	haveRole bool
	orgPages map[string]orgPage
}

type orgPage struct {
	groups []jira.OrgGroup
	next   string
}

func (a *answers) keepRoles(roles []jira.ProjectRole) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.roles, a.haveRole = roles, true
}

func (a *answers) keepOrgPage(cursor string, groups []jira.OrgGroup, next string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.orgPages == nil {
		a.orgPages = map[string]orgPage{}
	}
	a.orgPages[cursor] = orgPage{groups, next}
}

// Source returns src answering GlobalRoles and OrgGroupsPage once each from
// what Prepare already read, so an incremental run reads them once; every
// other call, and every later one, goes to src.
func (p *Plan) Source(src pipeline.Source) pipeline.Source {
	return &replay{Source: src, a: &p.answers}
}

// replay is the pipeline.Source of Plan.Source.
type replay struct {
	pipeline.Source
	a *answers
}

// GlobalRoles implements pipeline.Source.
func (r *replay) GlobalRoles(ctx context.Context) ([]jira.ProjectRole, error) {
	r.a.mu.Lock()
	roles, ok := r.a.roles, r.a.haveRole
	r.a.roles, r.a.haveRole = nil, false
	r.a.mu.Unlock()
	if ok {
		return roles, nil
	}
	return r.Source.GlobalRoles(ctx)
}

// OrgGroupsPage implements pipeline.Source.
func (r *replay) OrgGroupsPage(ctx context.Context, cursor string) ([]jira.OrgGroup, string, error) {
	r.a.mu.Lock()
	pg, ok := r.a.orgPages[cursor]
	delete(r.a.orgPages, cursor)
	r.a.mu.Unlock()
	if ok {
		return pg.groups, pg.next, nil
	}
	return r.Source.OrgGroupsPage(ctx, cursor)
}

// InFlightLimit passes on src's bound on requests in flight (the pipeline
// adds none of its own then).
func (r *replay) InFlightLimit() int {
	if b, ok := r.Source.(interface{ InFlightLimit() int }); ok {
		return b.InFlightLimit()
	}
	return 0
}
