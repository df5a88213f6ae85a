package pipeline

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/slots"
)

// projectWants says which parts of a project the job needs.
type projectWants struct {
	entity, lead, roles, actors, scheme bool
}

func (r *run) projectWants() projectWants {
	a := r.filter
	return projectWants{
		entity: a.WantsEntity(model.Project),
		lead:   a.WantsRelation(model.LeadOf),
		roles:  a.WantsEntity(model.ProjectRole) || a.WantsRelation(model.HasRole) || a.WantsRelation(model.RoleIn) || a.WantsRelation(model.InstanceOf),
		actors: a.WantsRelation(model.HasRole),
		scheme: a.WantsRelation(model.UsesScheme),
	}
}

// projects reads live and archived projects with their leads, then per
// project its roles with their actors and its permission scheme.
func (r *run) projects(ctx context.Context) error {
	w := r.projectWants()
	if !w.entity && !w.lead && !w.roles && !w.scheme {
		return nil
	}
	if r.userFilter && (w.lead || w.actors) {
		// Relations from users need the complete set of filtered-out users.
		if err := wait(ctx, r.usersDone); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	items, ictx := errgroup.WithContext(ctx)
	items.SetLimit(2 * r.conc)
	var mu sync.Mutex
	seen := map[string]struct{}{}
	// The listing goes ahead of other work (package slots): every project
	// waits for it.
	err := pageBeans(slots.Urgent(ctx), r, "project/search", jira.ProjectsPageSize, counted(r, r.projectsPager(), len(r.filter.ProjectKeys)), func(ctx context.Context, ps []jira.Project) error {
		for _, p := range ps {
			if p.ID == "" || !r.wantsProject(p.Key) {
				continue
			}
			mu.Lock()
			_, dup := seen[p.ID]
			seen[p.ID] = struct{}{}
			mu.Unlock()
			if dup {
				continue
			}
			done := r.item(ctx)
			if err := r.project(ctx, p); err != nil {
				return err
			}
			if (!w.roles && !w.scheme) || (r.opts.Reuse != nil && r.opts.Reuse.ReuseProject(p)) {
				done()
			} else {
				if w.roles {
					r.plan(1)
				}
				if w.scheme {
					r.plan(1)
				}
				items.Go(func() error { defer done(); return r.projectDetails(ictx, p, w) })
			}
		}
		return nil
	})
	if err != nil {
		cancel()
		_ = items.Wait()
		return err
	}
	if err := items.Wait(); err != nil {
		return err
	}
	r.log.Info("projects read", "projects", len(seen))
	return nil
}

// projectsScope names the project listing in warnings.
const projectsScope = "projects"

// projectsPage reads one project/search page for pageBeans.
//
// Jira answers 404 "when nothing matches", but a 404 can also be a fault of
// a node or a proxy, and reading it as an empty last page drops every
// project from startAt on without a word. So a 404 is asked again once (an
// answer then is used as if nothing happened), and a 404 that persists:
//   - after the first page is never the end of the listing: that page's
//     projects are missing, which makes the run partial with a warning;
//     with a total the other pages are still read;
//   - on the first page means "this site has no projects" only when a
//     plainer question (ProjectsProbe: no status filter, no expansion)
//     agrees with a 404 or zero projects. When the probe sees projects, the
//     listing is a warning and no project is read; when it fails, the run
//     fails.
//
// A 404 on a page at or past where the listing is known to end (see
// listingEnd) is that end, not a warning.
func (r *run) projectsPage(ctx context.Context, startAt, maxResults int, end *listingEnd) (jira.Page[jira.Project], error) {
	p, err := r.src.ProjectsPage(ctx, startAt, maxResults)
	if !r.notFound(err) {
		return p, err
	}
	missing := jira.Page[jira.Project]{StartAt: startAt, MaxResults: maxResults, IsLast: true, Values: []jira.Project{}}
	if past, werr := end.past(ctx, startAt); past || werr != nil {
		return missing, werr
	}
	r.log.Warn("project/search answered 404: asking again", "start_at", startAt, "error", err.Error())
	r.plan(1)
	p, err = r.src.ProjectsPage(ctx, startAt, maxResults)
	if !r.notFound(err) {
		return p, err
	}
	if startAt > 0 {
		r.warn(projectsScope, fmt.Errorf("project/search startAt=%d answered 404 twice after earlier pages listed projects: "+
			"the projects of that page (and of every later page when Jira gives no total) were not read: %w", startAt, err))
		return missing, nil
	}
	r.plan(1)
	n, perr := r.src.ProjectsProbe(ctx)
	switch {
	case r.notFound(perr) || (perr == nil && n == 0):
		r.log.Info("project/search found no projects (404 twice, and a plain project/search agrees)")
		none := 0
		missing.Total = &none
		return missing, nil
	case perr != nil:
		return p, fmt.Errorf("project/search answered 404 twice and the plain project/search that checks it failed: %w", perr)
	}
	r.warn(projectsScope, fmt.Errorf("project/search answered 404 twice, but project/search without a status filter sees %d projects: "+
		"no project was read: %w", n, err))
	return missing, nil
}

// project emits a project entity and its lead_of.
func (r *run) project(ctx context.Context, p jira.Project) error {
	lead := ""
	if p.Lead != nil {
		lead = p.Lead.AccountID
	}
	err := r.out.entity(ctx, model.NewProject(model.ProjectRecord{
		ID: p.ID, Key: p.Key, Name: p.Name, ProjectType: p.ProjectTypeKey, Archived: p.Archived,
		IsPrivate: p.IsPrivate, LeadAccountID: lead,
	}))
	if err != nil || lead == "" || !r.userKept(lead) {
		return err
	}
	return r.out.relation(ctx, model.LeadOfRel(lead, p.ID))
}

// projectDetails reads one project's roles and permission scheme.
func (r *run) projectDetails(ctx context.Context, p jira.Project, w projectWants) error {
	g, gctx := errgroup.WithContext(ctx)
	if w.scheme {
		g.Go(func() error { return r.projectScheme(gctx, p.ID) })
	}
	if w.roles {
		g.Go(func() error { return r.projectRoles(gctx, p, w.actors) })
	}
	return g.Wait()
}

// projectScheme emits uses_scheme; a 403/404 is a warning.
func (r *run) projectScheme(ctx context.Context, projectID string) error {
	ps, err := call(ctx, r, func(ctx context.Context) (jira.PermissionScheme, error) {
		return r.src.ProjectPermissionScheme(ctx, projectID)
	})
	if r.scopeErr(err) {
		r.warn("project "+projectID+" permission scheme", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("project/%s/permissionscheme: %w", projectID, err)
	}
	r.log.Debug("project scheme", "project", projectID, "scheme", ps.ID)
	return r.out.relation(ctx, model.UsesSchemeRel(projectID, ps.ID.String()))
}

// projectRoles emits a project's roles (project_role, role_in, instance_of)
// and, when actors is set, reads each role for has_role. A 403/404 on
// roledetails or on one role is a warning for the project's roles.
func (r *run) projectRoles(ctx context.Context, p jira.Project, actors bool) error {
	scope := "project " + p.ID + " roles"
	details, err := call(ctx, r, func(ctx context.Context) ([]jira.RoleDetail, error) {
		return r.src.ProjectRoleDetails(ctx, p.ID)
	})
	if r.scopeErr(err) {
		r.warn(scope, err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("project/%s/roledetails: %w", p.ID, err)
	}
	r.log.Debug("project roles", "project", p.ID, "roles", len(details))
	for _, d := range details {
		rid := d.ID.String()
		if err := r.out.entity(ctx, model.NewProjectRole(p.ID, p.Key, rid, d.Name)); err != nil {
			return err
		}
		if err := r.out.relation(ctx, model.RoleInRel(p.ID, rid)); err != nil {
			return err
		}
		if err := r.out.relation(ctx, model.InstanceOfRel(p.ID, rid)); err != nil {
			return err
		}
	}
	if !actors {
		return nil
	}
	r.plan(len(details))
	// The roles rank as work begun now (see fetchAll).
	g, gctx := errgroup.WithContext(slots.Begin(ctx))
	g.SetLimit(r.conc)
	var once sync.Once
	for _, d := range details {
		g.Go(func() error {
			role, err := call(gctx, r, func(ctx context.Context) (jira.ProjectRole, error) {
				return r.src.ProjectRole(ctx, p.ID, int64(d.ID))
			})
			if r.scopeErr(err) {
				once.Do(func() { r.warn(scope, fmt.Errorf("role %d: %w", d.ID, err)) })
				return nil
			}
			if err != nil {
				return fmt.Errorf("project/%s/role/%d: %w", p.ID, d.ID, err)
			}
			return r.roleActors(gctx, p.ID, d.ID.String(), role.Actors)
		})
	}
	return g.Wait()
}

// roleActors emits has_role for each user or group actor of a project role.
func (r *run) roleActors(ctx context.Context, projectID, roleID string, actors []jira.RoleActor) error {
	for _, a := range actors {
		var rel model.Relation
		switch {
		case a.ActorUser != nil && a.ActorUser.AccountID != "":
			if !r.userKept(a.ActorUser.AccountID) {
				continue
			}
			rel = model.HasRoleRel(model.User, a.ActorUser.AccountID, projectID, roleID)
		case a.ActorGroup != nil && a.ActorGroup.GroupID != "":
			rel = model.HasRoleRel(model.Group, a.ActorGroup.GroupID, projectID, roleID)
		default:
			r.log.Warn("role actor without an account or group id skipped", "project", projectID, "role", roleID, "type", a.Type)
			continue
		}
		if err := r.out.relation(ctx, rel); err != nil {
			return err
		}
	}
	return nil
}
