package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// writeState is what writes add to a site: issues, audit records and id
// counters. Server.mu guards it with the rest of the site.
type writeState struct {
	nextActorID int64

	issues      []issue
	issueIdx    map[string]int32 // by key and by id
	issueSeq    map[int32]int    // last issue number per project
	nextIssueID int64
	required    map[string][]string // project key → required custom field ids

	audit       []auditRecord // oldest first
	nextAuditID int64
}

// The mutations below run under the server's write lock.

// changedUser re-encodes user i after a change to its fields.
func (s *site) changedUser(i int32) {
	if s.userOver == nil {
		s.userOver = make([][]byte, len(s.users))
	}
	s.userOver[i] = s.appendUserJSON(nil, &s.users[i])
}

// addUser appends a new user to the site and the arena.
func (s *site) addUser(u user) int32 {
	i := int32(len(s.users))
	s.users = append(s.users, u)
	s.userJSON = s.appendUserJSON(s.userJSON, &s.users[i])
	s.userJSON = append(s.userJSON, ',')
	s.userOff = append(s.userOff, len(s.userJSON))
	s.userIdx[u.accountID] = i
	if s.userOver != nil {
		s.userOver = append(s.userOver, nil)
	}
	if s.visible != nil {
		s.visible = append(s.visible, i)
	}
	return i
}

// setActive changes Jira's "active" of user i and the groups' active members.
func (s *site) setActive(i int32, active bool) bool {
	if s.users[i].active == active {
		return false
	}
	s.users[i].active = active
	s.changedUser(i)
	for gi := range s.groups {
		if slices.Contains(s.groups[gi].members, i) {
			s.refreshActive(int32(gi))
		}
	}
	return true
}

func (s *site) refreshActive(gi int32) {
	g := &s.groups[gi]
	g.activeMembers = g.activeMembers[:0:0]
	for _, m := range g.members {
		if s.users[m].active {
			g.activeMembers = append(g.activeMembers, m)
		}
	}
}

// isMember reports whether user i is a member of group gi.
func (s *site) isMember(gi, i int32) bool { return slices.Contains(s.groups[gi].members, i) }

// insertSorted inserts v before the first element greater than it.
func insertSorted(xs []int32, v int32) []int32 {
	at := len(xs)
	for k, x := range xs {
		if x > v {
			at = k
			break
		}
	}
	return slices.Insert(xs, at, v)
}

// addMember adds user i to group gi; false when already a member.
func (s *site) addMember(gi, i int32) bool {
	g := &s.groups[gi]
	if slices.Contains(g.members, i) {
		return false
	}
	g.members = insertSorted(slices.Clip(g.members), i)
	if s.users[i].active {
		g.activeMembers = insertSorted(slices.Clip(g.activeMembers), i)
	}
	return true
}

// removeMember removes user i from group gi; false when not a member.
func (s *site) removeMember(gi, i int32) bool {
	g := &s.groups[gi]
	k := slices.Index(g.members, i)
	if k < 0 {
		return false
	}
	g.members = slices.Delete(slices.Clone(g.members), k, k+1)
	if k := slices.Index(g.activeMembers, i); k >= 0 {
		g.activeMembers = slices.Delete(slices.Clone(g.activeMembers), k, k+1)
	}
	return true
}

// groupsOf lists the groups user i is a member of, in group order.
func (s *site) groupsOf(i int32) []int32 {
	var out []int32
	for gi := range s.groups {
		if slices.Contains(s.groups[gi].members, i) {
			out = append(out, int32(gi))
		}
	}
	return out
}

// roleOf finds a role of project p by role id; nil when the project has none.
func (s *site) roleOf(p *project, roleID int64) *projectRole {
	for k := range p.roles {
		if s.roles[p.roles[k].role].id == roleID {
			return &p.roles[k]
		}
	}
	return nil
}

// actorIndex finds the actor for user ui (or group gi when ui < 0).
func actorIndex(pr *projectRole, ui, gi int32) int {
	for k, a := range pr.actors {
		if (ui >= 0 && a.user == ui) || (ui < 0 && a.group == gi) {
			return k
		}
	}
	return -1
}

// addActor adds a user (ui >= 0) or group actor; false when already one.
func (s *site) addActor(pr *projectRole, ui, gi int32) bool {
	if actorIndex(pr, ui, gi) >= 0 {
		return false
	}
	a := actor{id: s.w.nextActorID, user: ui, group: -1}
	if ui < 0 {
		a.user, a.group = -1, gi
	}
	s.w.nextActorID++
	pr.actors = append(slices.Clip(pr.actors), a)
	return true
}

// removeActor removes a user (ui >= 0) or group actor; false when not one.
func (s *site) removeActor(pr *projectRole, ui, gi int32) bool {
	k := actorIndex(pr, ui, gi)
	if k < 0 {
		return false
	}
	pr.actors = slices.Delete(slices.Clone(pr.actors), k, k+1)
	return true
}

// refreshVisible rebuilds the list of users on the site.
func (s *site) refreshVisible() {
	vis := make([]int32, 0, len(s.users))
	for i := range s.users {
		if !s.users[i].removed {
			vis = append(vis, int32(i))
		}
	}
	if len(vis) == len(s.users) {
		vis = nil
	}
	s.visible = vis
}

// orgUserOf returns the org account of Jira user i, or nil.
func (s *site) orgUserOf(i int32) *orgUser {
	if k, ok := s.orgIdx[s.users[i].accountID]; ok {
		return &s.orgUsers[k]
	}
	return nil
}

// jiraProducts are the product keys POST /user accepts.
var jiraProducts = []string{"jira-software", "jira-servicedesk", "jira-product-discovery", "jira-core"}

// hasJiraAccess: a member of an application role's group, or an org
// account with a Jira product.
func (s *site) hasJiraAccess(i int32) bool {
	for _, a := range s.appRoles {
		for _, g := range a.groups {
			if s.isMember(g, i) {
				return true
			}
		}
	}
	if ou := s.orgUserOf(i); ou != nil {
		for _, p := range ou.products {
			if strings.HasPrefix(p, "jira-") {
				return true
			}
		}
	}
	return false
}

// timeStamp formats t as Jira does: 2025-06-01T12:00:00.000+0000.
func timeStamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// initWrites prepares the write state: ids, the directory, required fields.
func (s *site) initWrites(c Config) {
	s.directoryID = uuidOf("jirasim-directory-" + c.OrgID)
	s.directories = []string{s.directoryID}
	for i := 2; i <= c.Directories; i++ {
		s.directories = append(s.directories, uuidOf(fmt.Sprintf("jirasim-directory-%d-%s", i, c.OrgID)))
	}
	s.w.issueIdx = map[string]int32{}
	s.w.issueSeq = map[int32]int{}
	s.w.nextIssueID = 10000
	s.w.nextAuditID = 10000
	s.w.required = map[string][]string{}
	for k, v := range c.RequiredIssueFields {
		s.w.required[k] = slices.Clone(v)
	}
}
