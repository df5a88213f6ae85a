package access

import (
	"sort"
	"strings"

	"github.com/govextract/jira-extractor/internal/model"
)

// Path kinds, as the prefix of a path.
const (
	ViaUser        = "user"
	ViaGroup       = "group:"
	ViaProjectRole = "project_role:"
	ViaProjectLead = "project_lead"
	ViaAppRole     = "application_role:"
	ViaAnyone      = "anyone"
)

// Holder types of holds_permission rows (model.Holder) that give no rows
// because they depend on an issue.
var issueHolders = map[string]bool{
	"reporter": true, "assignee": true, "group_custom_field": true, "user_custom_field": true, "sd_customer_portal_only": true,
}

// path is one way to hold a permission in a project: the users it covers
// are every user entity (all), the members of group (≥ 0), or users.
type path struct {
	via   string
	all   bool
	group int32
	users []int32
}

// permissions lists the distinct permission keys a project's scheme grants,
// sorted.
func (ix *Index) permissions(p int32) []string {
	seen := map[string]bool{}
	var out []string
	for _, g := range ix.schemes[ix.projects[p].scheme] {
		if !seen[g.permission] {
			seen[g.permission] = true
			out = append(out, g.permission)
		}
	}
	sort.Strings(out)
	return out
}

// paths returns the distinct paths by which perm is held in project p, in
// the order of the scheme's grants.
func (ix *Index) paths(p int32, perm string) []path {
	pr := &ix.projects[p]
	var out []path
	seen := map[string]bool{}
	add := func(x path) {
		if !seen[x.via] {
			seen[x.via] = true
			out = append(out, x)
		}
	}
	for _, g := range ix.schemes[pr.scheme] {
		if g.permission != perm {
			continue
		}
		switch g.holderType {
		case string(model.User):
			// Every user the scheme names shares the one path "user".
			u, ok := ix.userIdx[g.holderID]
			if !ok {
				continue
			}
			if !seen[ViaUser] {
				add(path{via: ViaUser, group: -1})
			}
			for i := range out {
				if out[i].via == ViaUser {
					if _, dup := sortedFind(out[i].users, u); !dup {
						out[i].users = sortUnique(append(append([]int32(nil), out[i].users...), u))
					}
				}
			}
		case string(model.Group):
			if gr, ok := ix.groupIdx[g.holderID]; ok {
				add(path{via: ViaGroup + g.holderID, group: gr})
			}
		case string(model.Role):
			for i := range pr.roles {
				r := &pr.roles[i]
				if r.id != g.holderID {
					continue
				}
				if len(r.users) > 0 {
					add(path{via: ViaProjectRole + r.id, group: -1, users: r.users})
				}
				for _, gr := range r.groups {
					add(path{via: ViaProjectRole + r.id + "/" + ViaGroup + ix.groups[gr], group: gr})
				}
			}
		case "project_lead":
			if pr.lead >= 0 {
				add(path{via: ViaProjectLead, group: -1, users: []int32{pr.lead}})
			}
		case string(model.ApplicationRole):
			for _, gr := range ix.appGroups[g.holderID] {
				add(path{via: ViaAppRole + g.holderID + "/" + ViaGroup + ix.groups[gr], group: gr})
			}
		case "any_logged_in_user":
			for _, k := range ix.appKeys {
				for _, gr := range ix.appGroups[k] {
					add(path{via: ViaAppRole + "/" + ViaGroup + ix.groups[gr], group: gr})
				}
			}
		case "anyone":
			add(path{via: ViaAnyone, all: true, group: -1})
		}
		// Issue-dependent and unknown holders give no rows.
	}
	return out
}

// pathUsers returns the users x covers.
func (ix *Index) pathUsers(x path) []int32 {
	switch {
	case x.all:
		return ix.entityUser
	case x.group >= 0:
		return ix.members[x.group]
	}
	return x.users
}

// userSet answers "is this user on this path?" for one user.
type userSet struct {
	ix      *Index
	u       int32
	inGroup map[int32]bool
	known   bool // the user is a user entity
}

func (ix *Index) userSet(u int32) *userSet {
	s := &userSet{ix: ix, u: u, inGroup: map[int32]bool{}}
	for g, ms := range ix.members {
		if _, ok := sortedFind(ms, u); ok {
			s.inGroup[int32(g)] = true
		}
	}
	_, s.known = sortedFind(ix.entityUser, u)
	return s
}

func (s *userSet) on(x path) bool {
	switch {
	case x.all:
		return s.known
	case x.group >= 0:
		return s.inGroup[x.group]
	}
	_, ok := sortedFind(x.users, s.u)
	return ok
}

func sortedFind(s []int32, v int32) (int, bool) {
	i := sort.Search(len(s), func(i int) bool { return s[i] >= v })
	return i, i < len(s) && s[i] == v
}

// projectRoleID is the source_id of role r in project p.
func (ix *Index) projectRoleID(p int32, r *projectRole) string {
	return model.ProjectRoleID(ix.projects[p].id, r.id)
}

// viaKind names the kind of a path: user, group, project_role,
// project_role_group, project_lead, application_role or anyone.
func viaKind(via string) string {
	switch {
	case via == ViaUser, via == ViaProjectLead, via == ViaAnyone:
		return via
	case strings.HasPrefix(via, ViaProjectRole) && strings.Contains(via, "/"):
		return "project_role_group"
	case strings.HasPrefix(via, ViaProjectRole):
		return "project_role"
	case strings.HasPrefix(via, ViaAppRole):
		return "application_role"
	case strings.HasPrefix(via, ViaGroup):
		return "group"
	}
	return via
}
