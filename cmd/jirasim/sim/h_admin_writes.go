package sim

import (
	"fmt"
	"net/http"
	"slices"
)

// hAdminDirectories: GET /v2/orgs/{orgId}/directories → the org's
// directories, one a page: {"data":[{"directoryId","name"}],"links":{"next"}}.
func (s *Server) hAdminDirectories(c *call) {
	start, ok := decodeCursor(c.r.URL.Query().Get("cursor"))
	if !ok {
		c.adminError(http.StatusBadRequest, "INVALID_CURSOR", "Bad Request", "The cursor is invalid.")
		return
	}
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, `{"data":[`...)
	if ds := s.site.directories; start < len(ds) {
		*b = append(*b, `{"directoryId":`...)
		*b = appendJSONString(*b, ds[start])
		*b = append(*b, `,"name":`...)
		*b = appendJSONString(*b, fmt.Sprintf("Sim directory %d", start+1))
		*b = append(*b, `,"icon":"https://avatar-management.invalid/directory.png"}`...)
	}
	*b = append(*b, `],"links":{`...)
	if start+1 < len(s.site.directories) {
		*b = append(*b, `"next":`...)
		*b = appendJSONString(*b, encodeCursor(start+1))
	}
	c.json(http.StatusOK, append(*b, "}}"...))
}

// dirOf is the directory that holds org account k.
func (s *site) dirOf(k int32) string { return s.directories[int(k)%len(s.directories)] }

// inDirectory reports whether the path's directory ("-": any) holds org
// account k.
func (s *site) inDirectory(c *call, k int32) bool {
	d := c.r.PathValue("directoryId")
	return d == "" || d == "-" || d == s.dirOf(k)
}

// holdsGroups reports whether directory d ("-": any) holds the org's
// groups: every group is in the first directory.
func (s *site) holdsGroups(d string) bool { return d == "-" || d == s.directoryID }

// writeDirectory refuses "-" as a directory for writes; false means a 400
// was sent.
func writeDirectory(c *call) bool {
	if c.r.PathValue("directoryId") == "-" {
		c.adminError(http.StatusBadRequest, "INVALID_DIRECTORY_ID", "Bad Request",
			"The directory id '-' is not accepted for this operation: read the directories (GET /v2/orgs/{orgId}/directories) and use one of their ids.")
		return false
	}
	return true
}

// orgAccount finds the org account of the path's accountId; nil means a
// 404 was sent.
func (s *Server) orgAccount(c *call) *orgUser {
	id := c.r.PathValue("accountId")
	k, ok := s.site.orgIdx[id]
	if !ok || !s.site.inDirectory(c, k) {
		c.adminError(http.StatusNotFound, "NOT_FOUND", "Not Found", "User not found in this directory.")
		return nil
	}
	return &s.site.orgUsers[k]
}

// jiraActive is Jira's "active" for an org account: not suspended, not
// deactivated.
func (ou *orgUser) jiraActive() bool { return ou.status == "active" && !ou.suspended }

// syncJira copies an org account's state to its Jira user, if on the site.
func (s *site) syncJira(ou *orgUser) {
	if ou.jira >= 0 && !s.users[ou.jira].removed {
		s.setActive(ou.jira, ou.jiraActive())
	}
}

func (s *Server) adminSuspend(c *call, suspend bool) {
	if !writeDirectory(c) {
		return
	}
	ou := s.orgAccount(c)
	if ou == nil {
		return
	}
	msg := "User access suspended."
	if !suspend {
		msg = "User access restored."
	}
	if ou.suspended != suspend {
		ou.suspended = suspend
		s.site.syncJira(ou)
		c.wrote()
	}
	b := appendJSONString([]byte(`{"message":`), msg)
	c.json(http.StatusOK, append(b, '}'))
}

// hAdminSuspend: POST .../directories/{directoryId}/users/{accountId}/suspend
// → 200 {"message"}; Jira shows the user inactive, v2 users status
// "suspended".
func (s *Server) hAdminSuspend(c *call) { s.adminSuspend(c, true) }

// hAdminRestore: POST .../users/{accountId}/restore → 200 {"message"}.
func (s *Server) hAdminRestore(c *call) { s.adminSuspend(c, false) }

// adminGroup finds the path's directory group; -1 means an answer was sent
// (404, or 403 for a group synced from an identity provider).
func (s *Server) adminGroup(c *call) int32 {
	k, ok := s.site.orgGroupIdx[c.r.PathValue("groupId")]
	if !ok || !s.site.holdsGroups(c.r.PathValue("directoryId")) {
		c.adminError(http.StatusNotFound, "NOT_FOUND", "Not Found", "Group not found in this directory.")
		return -1
	}
	if s.site.orgGroups[k].synced {
		c.adminError(http.StatusForbidden, "GROUP_SYNCED_FROM_IDP", "Forbidden",
			"You can't change the members of a group synced from an identity provider. Manage this group in your identity provider instead.")
		return -1
	}
	return k
}

// adminMembership adds or removes an account; Jira groups change in Jira,
// directory-only groups keep their own member list. Repeating a change is
// not an error.
func (s *Server) adminMembership(c *call, id string, add bool) bool {
	k := s.adminGroup(c)
	if k < 0 {
		return false
	}
	ko, ok := s.site.orgIdx[id]
	if !ok {
		c.adminError(http.StatusNotFound, "NOT_FOUND", "Not Found", "User not found in this directory.")
		return false
	}
	st := s.site
	og, ou := &st.orgGroups[k], &st.orgUsers[ko]
	if gi, jira := st.groupIdx[og.id]; jira {
		if ou.jira < 0 || st.users[ou.jira].removed {
			c.adminError(http.StatusNotFound, "NOT_FOUND", "Not Found", "User has no access to the site of this group.")
			return false
		}
		var changed bool
		if add {
			changed = st.addMember(gi, ou.jira)
		} else {
			changed = st.removeMember(gi, ou.jira)
		}
		if changed {
			c.wrote()
		}
		return true
	}
	has := slices.Contains(og.members, id)
	switch {
	case add && !has:
		og.members = append(slices.Clip(og.members), id)
		c.wrote()
	case !add && has:
		og.members = slices.DeleteFunc(slices.Clone(og.members), func(m string) bool { return m == id })
		c.wrote()
	}
	return true
}

// hAdminMembershipAdd: POST .../groups/{groupId}/memberships
// {"account_id"} → 200 (no body).
func (s *Server) hAdminMembershipAdd(c *call) {
	if !writeDirectory(c) {
		return
	}
	var body struct {
		AccountID string `json:"account_id"`
	}
	if !c.readBody(&body) {
		return
	}
	if body.AccountID == "" {
		c.adminError(http.StatusBadRequest, "INVALID_REQUEST", "Bad Request", "account_id is required.")
		return
	}
	if s.adminMembership(c, body.AccountID, true) {
		c.write(http.StatusOK, "application/json", nil)
	}
}

// hAdminMembershipRemove: DELETE .../groups/{groupId}/memberships/{accountId}
// → 204.
func (s *Server) hAdminMembershipRemove(c *call) {
	if !writeDirectory(c) {
		return
	}
	if s.adminMembership(c, c.r.PathValue("accountId"), false) {
		c.write(http.StatusNoContent, "application/json", nil)
	}
}

func (s *Server) adminLifecycle(c *call, enable bool) {
	if c.r.ContentLength != 0 {
		var body struct {
			Message string `json:"message"`
		}
		if !c.readBody(&body) {
			return
		}
	}
	ou := s.orgAccount(c)
	if ou == nil {
		return
	}
	if ou.status == "closed" {
		c.adminError(http.StatusBadRequest, "ACCOUNT_CLOSED", "Bad Request", "The account is closed.")
		return
	}
	want := "inactive"
	if enable {
		want = "active"
	}
	if ou.status != want {
		ou.status = want
		s.site.syncJira(ou)
		c.wrote()
	}
	c.write(http.StatusNoContent, "application/json", nil)
}

// hAdminLifecycleDisable: POST /users/{accountId}/manage/lifecycle/disable
// (optional {"message"}) → 204; account_status "inactive", Jira inactive.
func (s *Server) hAdminLifecycleDisable(c *call) { s.adminLifecycle(c, false) }

// hAdminLifecycleEnable: POST /users/{accountId}/manage/lifecycle/enable → 204.
func (s *Server) hAdminLifecycleEnable(c *call) { s.adminLifecycle(c, true) }
