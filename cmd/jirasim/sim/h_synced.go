package sim

import (
	"encoding/json"
	"net/http"
	"slices"
)

// refuseSynced answers a Jira group membership write on a group synced from
// an identity provider (its directory group is marked synced) the way Jira
// does: 403, with words that say the change belongs to the identity
// provider. It reports whether it answered.
func (s *Server) refuseSynced(c *call, gi int32) bool {
	g := &s.site.groups[gi]
	k, ok := s.site.orgGroupIdx[g.id]
	if !ok || !s.site.orgGroups[k].synced {
		return false
	}
	c.jiraError(http.StatusForbidden, "You can't change the members of group '"+g.name+
		"' because it is synced from an identity provider. Manage its members in your identity provider instead.")
	return true
}

// SyncedGroupIDs lists the Jira groups synced from an identity provider:
// their memberships cannot be changed through Jira's API or the Admin API.
func (s *Server) SyncedGroupIDs() []string {
	s.siteMu.RLock()
	defer s.siteMu.RUnlock()
	var ids []string
	for _, g := range s.site.groups {
		if k, ok := s.site.orgGroupIdx[g.id]; ok && s.site.orgGroups[k].synced {
			ids = append(ids, g.id)
		}
	}
	return ids
}

// IssueTruth is an issue as the simulator holds it (ground truth for tests).
type IssueTruth struct {
	Key, Project, IssueType, Summary string
	Labels                           []string
	Description                      json.RawMessage // ADF, or nil
	Status, StatusCategory           string
}

// Issues lists every issue created on the site, oldest first.
func (s *Server) Issues() []IssueTruth {
	s.siteMu.RLock()
	defer s.siteMu.RUnlock()
	out := make([]IssueTruth, 0, len(s.site.w.issues))
	for _, is := range s.site.w.issues {
		st := statuses[is.status]
		out = append(out, IssueTruth{Key: is.key, Project: s.site.projects[is.project].key, IssueType: is.typ.name,
			Summary: is.summary, Labels: slices.Clone(is.labels), Description: slices.Clone(is.description),
			Status: st.name, StatusCategory: st.catKey})
	}
	return out
}

// groupsByID are the groups with these ids, in site order.
func (st *site) groupsByID(ids []string) []group {
	var out []group
	for i := range st.groups {
		if slices.Contains(ids, st.groups[i].id) {
			out = append(out, st.groups[i])
		}
	}
	return out
}
