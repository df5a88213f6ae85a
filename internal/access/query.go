package access

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
)

// Load builds an Index with names from a finished run's raw tables. The
// memberships (by far the largest table) are read beside the rest.
func Load(ctx context.Context, rr *output.RunReader) (*Index, error) {
	b := NewBuilder(BuildOptions{Names: true})
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return loadRelations(ctx, rr, b, model.MemberOf) })
	g.Go(func() error {
		for _, k := range []model.SourceType{model.User, model.Group, model.Project, model.Role, model.ApplicationRole} {
			batch := make([]model.Entity, 0, 1024)
			err := rr.ScanEntities(ctx, k, func(e model.Entity) error {
				if batch = append(batch, e); len(batch) == cap(batch) {
					b.AddEntities(k, batch)
					batch = batch[:0]
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("read %s entities of %s: %w", k, rr.Location(), err)
			}
			b.AddEntities(k, batch)
		}
		return loadRelations(ctx, rr, b, model.HasRole, model.RoleIn, model.LeadOf, model.ProductAccess, model.UsesScheme, model.HoldsPermission)
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return b.Index(), nil
}

func loadRelations(ctx context.Context, rr *output.RunReader, b *Builder, kinds ...model.RelationKind) error {
	for _, k := range kinds {
		batch := make([]model.Relation, 0, 4096)
		err := rr.ScanRelations(ctx, k, func(r model.Relation) error {
			if batch = append(batch, r); len(batch) == cap(batch) {
				b.AddRelations(k, batch)
				batch = batch[:0]
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("read %s relations of %s: %w", k, rr.Location(), err)
		}
		b.AddRelations(k, batch)
	}
	return nil
}

// Row is one answer: a user holds a permission in a project (Permission
// set) or a project role (Role set), by the path Via.
type Row struct {
	User       UserInfo
	ProjectID  string
	ProjectKey string
	Permission string
	Role       string // project role id PROJECTID:ROLEID, for role rows
	RoleName   string
	Via        string
	// ViaName names the path's group, role or product for people.
	ViaName string
}

// ProjectRef is a project found by FindProject.
type ProjectRef struct {
	ID, Key, Name string
	idx           int32
}

// NotFoundError is a project, user or permission the run does not know;
// Suggestion is the closest name it knows ("" when none is close).
type NotFoundError struct {
	What, Name, Suggestion string
}

func (e *NotFoundError) Error() string {
	s := fmt.Sprintf("no %s %q in this run", e.What, e.Name)
	if e.Suggestion != "" {
		s += fmt.Sprintf(" (did you mean %q?)", e.Suggestion)
	}
	return s
}

// FindProject finds a project by key (any case) or id.
func (ix *Index) FindProject(s string) (ProjectRef, error) {
	var names []string
	for i := range ix.projects {
		p := &ix.projects[i]
		if p.id == s || (p.key != "" && strings.EqualFold(p.key, s)) {
			return ProjectRef{ID: p.id, Key: p.key, Name: p.name, idx: int32(i)}, nil
		}
		names = append(names, p.key, p.id)
	}
	return ProjectRef{}, &NotFoundError{What: "project", Name: s, Suggestion: Closest(s, names)}
}

// FindUser finds a user by account id or email (any case).
func (ix *Index) FindUser(s string) (UserInfo, error) {
	if u, ok := ix.userIdx[s]; ok && ix.info(u).Known {
		return ix.info(u), nil
	}
	var names []string
	for _, u := range ix.entityUser {
		info := ix.info(u)
		if info.Email != "" && strings.EqualFold(info.Email, s) {
			return info, nil
		}
		names = append(names, info.AccountID)
		if info.Email != "" {
			names = append(names, info.Email)
		}
	}
	return UserInfo{}, &NotFoundError{What: "user", Name: s, Suggestion: Closest(s, names)}
}

// CheckPermission accepts "*", a permission some scheme of the run grants,
// or a standard Jira project permission key.
func (ix *Index) CheckPermission(k string) error {
	if k == "*" {
		return nil
	}
	known := map[string]bool{}
	for _, p := range StandardPermissions {
		known[p] = true
	}
	for _, gs := range ix.schemes {
		for _, g := range gs {
			known[g.permission] = true
		}
	}
	if known[k] {
		return nil
	}
	names := make([]string, 0, len(known))
	for p := range known {
		names = append(names, p)
	}
	sort.Strings(names)
	return &NotFoundError{What: "permission", Name: k, Suggestion: Closest(k, names)}
}

func (ix *Index) info(u int32) UserInfo {
	if int(u) < len(ix.userInfo) {
		return ix.userInfo[u]
	}
	return UserInfo{AccountID: ix.users[u]}
}

// viaName names a path's group, role or product for people.
func (ix *Index) viaName(via string) string {
	var parts []string
	for _, seg := range strings.Split(via, "/") {
		kind, id, ok := strings.Cut(seg, ":")
		if !ok {
			continue
		}
		switch kind {
		case "group":
			if g, ok := ix.groupIdx[id]; ok && ix.groupName[g] != "" {
				parts = append(parts, "group "+ix.groupName[g])
			}
		case "project_role":
			if n := ix.roleName[id]; n != "" {
				parts = append(parts, "role "+n)
			}
		case "application_role":
			if id == "" {
				parts = append(parts, "any logged-in user")
			} else if n := ix.appName[id]; n != "" {
				parts = append(parts, "product "+n)
			}
		}
	}
	return strings.Join(parts, ", ")
}

func (ix *Index) permsOf(p int32, perms []string) []string {
	if perms == nil {
		return ix.permissions(p)
	}
	return perms
}

// Who calls fn for each user who holds perms (nil: every permission the
// project's scheme grants) in project, path by path; rows of one
// permission and path come together, their users in accountId order (the
// index numbers users in the order they were read, which two loads of one
// run need not share).
func (ix *Index) Who(project ProjectRef, perms []string, fn func(Row) error) error {
	p := project.idx
	for _, perm := range ix.permsOf(p, perms) {
		for _, x := range ix.paths(p, perm) {
			name := ix.viaName(x.via)
			users := slices.Clone(ix.pathUsers(x))
			slices.SortFunc(users, func(a, b int32) int { return strings.Compare(ix.users[a], ix.users[b]) })
			for _, u := range users {
				if err := fn(Row{User: ix.info(u), ProjectID: project.ID, ProjectKey: project.Key, Permission: perm, Via: x.via, ViaName: name}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// What calls fn for each project role user holds and each permission of
// perms (nil: every permission) they hold, project by project, with the
// paths.
func (ix *Index) What(user UserInfo, perms []string, fn func(Row) error) error {
	u, ok := ix.userIdx[user.AccountID]
	if !ok {
		return nil
	}
	set := ix.userSet(u)
	for p := range ix.projects {
		pr := &ix.projects[p]
		for i := range pr.roles {
			r := &pr.roles[i]
			prID := ix.projectRoleID(int32(p), r)
			if _, ok := sortedFind(r.users, u); ok {
				if err := fn(Row{User: user, ProjectID: pr.id, ProjectKey: pr.key, Role: prID, RoleName: ix.roleName[r.id], Via: ViaUser}); err != nil {
					return err
				}
			}
			for _, g := range r.groups {
				if set.inGroup[g] {
					via := ViaGroup + ix.groups[g]
					if err := fn(Row{User: user, ProjectID: pr.id, ProjectKey: pr.key, Role: prID, RoleName: ix.roleName[r.id], Via: via, ViaName: ix.viaName(via)}); err != nil {
						return err
					}
				}
			}
		}
		for _, perm := range ix.permsOf(int32(p), perms) {
			for _, x := range ix.paths(int32(p), perm) {
				if set.on(x) {
					if err := fn(Row{User: user, ProjectID: pr.id, ProjectKey: pr.key, Permission: perm, Via: x.via, ViaName: ix.viaName(x.via)}); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// DefaultPermissions is the permission set a run resolves into the
// effective_permission table unless the job names others.
var DefaultPermissions = []string{"ADMINISTER_PROJECTS"}

// StandardPermissions are Jira Cloud's built-in project permission keys.
var StandardPermissions = []string{
	"ADD_COMMENTS", "ADMINISTER_PROJECTS", "ARCHIVE_ISSUES", "ASSIGNABLE_USER", "ASSIGN_ISSUES", "BROWSE_PROJECTS",
	"CLOSE_ISSUES", "CREATE_ATTACHMENTS", "CREATE_ISSUES", "DELETE_ALL_ATTACHMENTS", "DELETE_ALL_COMMENTS",
	"DELETE_ALL_WORKLOGS", "DELETE_ISSUES", "DELETE_OWN_ATTACHMENTS", "DELETE_OWN_COMMENTS", "DELETE_OWN_WORKLOGS",
	"EDIT_ALL_COMMENTS", "EDIT_ALL_WORKLOGS", "EDIT_ISSUES", "EDIT_ISSUE_LAYOUT", "EDIT_OWN_COMMENTS", "EDIT_OWN_WORKLOGS",
	"LINK_ISSUES", "MANAGE_SPRINTS_PERMISSION", "MANAGE_WATCHERS", "MODIFY_REPORTER", "MOVE_ISSUES", "RESOLVE_ISSUES",
	"RESTORE_ISSUES", "SCHEDULE_ISSUES", "SERVICEDESK_AGENT", "SET_ISSUE_SECURITY", "TRANSITION_ISSUES",
	"UNARCHIVE_ISSUES", "VIEW_AGGREGATED_DATA", "VIEW_DEV_TOOLS", "VIEW_READONLY_WORKFLOW", "VIEW_VOTERS_AND_WATCHERS",
	"WORK_ON_ISSUES", "WORKLOG_DELETE_ALL", "WORKLOG_DELETE_OWN", "WORKLOG_EDIT_ALL", "WORKLOG_EDIT_OWN",
}

// Closest returns the name nearest to s by edit distance (ignoring case),
// or "" when none is within a third of the longer length.
func Closest(s string, names []string) string {
	best, bestD := "", -1
	ls := strings.ToLower(s)
	for _, n := range names {
		if n == "" {
			continue
		}
		d := levenshtein(ls, strings.ToLower(n))
		if bestD < 0 || d < bestD {
			best, bestD = n, d
		}
	}
	if bestD < 0 || bestD > max(2, max(len([]rune(s)), len([]rune(best)))/3) {
		return ""
	}
	return best
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
