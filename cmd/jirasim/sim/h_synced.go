package sim

import "net/http"

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
