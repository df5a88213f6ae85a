package pipeline

import (
	"context"
	"fmt"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/model"
)

// globalRoles emits the site's project roles (GET /role). A 403/404 (the
// token lacks Administer Jira) is a warning.
func (r *run) globalRoles(ctx context.Context) error {
	if !r.filter.WantsEntity(model.Role) {
		return nil
	}
	r.plan(1)
	roles, err := call(ctx, r, r.src.GlobalRoles)
	if r.scopeErr(err) {
		r.warn("global roles", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("role: %w", err)
	}
	for _, x := range roles {
		if err := r.out.entity(ctx, model.NewRole(x.ID.String(), x.Name, x.Description)); err != nil {
			return err
		}
	}
	r.log.Info("global roles read", "roles", len(roles))
	return nil
}

// applicationRoles emits product access roles and the groups that grant them.
func (r *run) applicationRoles(ctx context.Context) error {
	if !r.filter.WantsEntity(model.ApplicationRole) {
		return nil
	}
	r.plan(1)
	roles, err := call(ctx, r, r.src.ApplicationRoles)
	if r.scopeErr(err) {
		r.warn("application roles", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("applicationrole: %w", err)
	}
	for _, x := range roles {
		users, seats := int64(-1), int64(-1)
		if x.UserCount != nil {
			users = *x.UserCount
		}
		if x.NumberOfSeats != nil {
			seats = *x.NumberOfSeats
		}
		if err := r.out.entity(ctx, model.NewApplicationRole(x.Key, x.Name, users, seats)); err != nil {
			return err
		}
		for _, rel := range productAccess(x) {
			if err := r.out.relation(ctx, rel); err != nil {
				return err
			}
		}
	}
	r.log.Info("application roles read", "roles", len(roles))
	return nil
}

// productAccess lists the product_access relations of one application role:
// one per group in groupDetails (by groupId), default when the group is
// among defaultGroups (by name) or defaultGroupsDetails (by id).
func productAccess(x jira.ApplicationRole) []model.Relation {
	defaults := map[string]bool{}
	for _, n := range x.DefaultGroups {
		defaults["name:"+n] = true
	}
	for _, d := range x.DefaultGroupsDetails {
		defaults["id:"+d.GroupID] = true
		defaults["name:"+d.Name] = true
	}
	var out []model.Relation
	seen := map[string]bool{}
	for _, g := range x.GroupDetails {
		if g.GroupID == "" || seen[g.GroupID] {
			continue
		}
		seen[g.GroupID] = true
		out = append(out, model.ProductAccessRel(g.GroupID, x.Key, defaults["id:"+g.GroupID] || defaults["name:"+g.Name]))
	}
	return out
}

// permissionSchemes emits every permission scheme and its grants.
func (r *run) permissionSchemes(ctx context.Context) error {
	if !r.filter.WantsEntity(model.PermissionScheme) {
		return nil
	}
	if r.userFilter && r.filter.WantsRelation(model.HoldsPermission) {
		if err := wait(ctx, r.usersDone); err != nil {
			return err
		}
	}
	r.plan(1)
	schemes, err := call(ctx, r, r.src.PermissionSchemes)
	if r.scopeErr(err) {
		r.warn("permission schemes", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("permissionscheme: %w", err)
	}
	for _, s := range schemes {
		id := s.ID.String()
		if err := r.out.entity(ctx, model.NewPermissionScheme(id, s.Name, s.Description)); err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, p := range s.Permissions {
			h := p.Holder
			rel := model.HoldsPermissionRel(h.Type, h.Parameter, h.Value, id, p.Permission)
			if rel.FromType == string(model.User) && !r.userKept(rel.FromID) {
				continue
			}
			if seen[rel.Key()] {
				continue
			}
			seen[rel.Key()] = true
			if err := r.out.relation(ctx, rel); err != nil {
				return err
			}
		}
	}
	r.log.Info("permission schemes read", "schemes", len(schemes))
	return nil
}
