package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// readBody decodes the request's JSON body into v; false means a 400 was sent.
func (c *call) readBody(v any) bool {
	b, err := io.ReadAll(io.LimitReader(c.r.Body, 1<<20))
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		err = json.Unmarshal(b, v)
	} else if err == nil {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		if c.rt.kind == kindAdmin {
			c.adminError(http.StatusBadRequest, "INVALID_REQUEST", "Bad Request", "The request body is not valid JSON.")
		} else {
			c.jiraError(http.StatusBadRequest, "Invalid request payload. Refer to the REST API documentation and try again.")
		}
		return false
	}
	return true
}

// afterWriteFault draws the after-write faults of a successful write: the
// change is already made, the answer is a 500 or no answer at all.
func (c *call) afterWriteFault() bool {
	s, f := c.s, &c.faults.f
	switch {
	case s.draw(f.AfterWrite500):
		c.answered = true
		s.stats.faults.Add(1)
		if c.rt.kind == kindAdmin {
			c.adminError(http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "Internal Server Error", "Internal server error (simulated, after the change was made).")
		} else {
			c.jiraError(http.StatusInternalServerError, "Internal server error (simulated, after the change was made)")
		}
		return true
	case s.draw(f.AfterWriteReset):
		c.answered = true
		s.stats.faults.Add(1)
		s.stats.status(0)
		if hj, ok := c.w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	}
	return false
}

// siteUser finds a user on the site by accountId.
func (s *site) siteUser(id string) (int32, bool) {
	i, ok := s.userIdx[id]
	if !ok || s.users[i].removed {
		return 0, false
	}
	return i, true
}

// findGroup reads groupId (or groupname) from q; false means an error was sent.
func (s *Server) findGroup(c *call, q url.Values) (int32, bool) {
	if id := q.Get("groupId"); id != "" {
		if gi, ok := s.site.groupIdx[id]; ok {
			return gi, true
		}
	} else if name := q.Get("groupname"); name != "" {
		for i := range s.site.groups {
			if s.site.groups[i].name == name {
				return int32(i), true
			}
		}
	} else {
		c.jiraError(http.StatusBadRequest, "You must specify a group name or a group ID.")
		return 0, false
	}
	c.jiraError(http.StatusNotFound, "Specified group does not exist.")
	return 0, false
}

func userNotFound(c *call, id string) {
	c.jiraError(http.StatusNotFound, "User with account ID '"+id+"' does not exist.")
}

// hGroupUserAdd: POST /group/user?groupId= {"accountId"} → 201 the group.
func (s *Server) hGroupUserAdd(c *call) {
	gi, ok := s.findGroup(c, c.r.URL.Query())
	if !ok || s.refuseSynced(c, gi) {
		return
	}
	var body struct {
		AccountID string `json:"accountId"`
	}
	if !c.readBody(&body) {
		return
	}
	if body.AccountID == "" {
		c.jiraError(http.StatusBadRequest, "You must specify the account ID of the user (accountId).")
		return
	}
	st := s.site
	ui, ok := st.siteUser(body.AccountID)
	if !ok {
		userNotFound(c, body.AccountID)
		return
	}
	g := &st.groups[gi]
	if !st.addMember(gi, ui) {
		c.jiraError(http.StatusBadRequest, "Cannot add user. User is already a member of '"+g.name+"'")
		return
	}
	st.auditMembership(s.now(), true, gi, ui)
	c.wrote()
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, `{"name":`...)
	*b = appendJSONString(*b, g.name)
	*b = append(*b, `,"groupId":`...)
	*b = appendJSONString(*b, g.id)
	*b = append(*b, `,"self":`...)
	*b = appendJSONString(*b, st.host+jiraBase+"/group?groupId="+g.id)
	*b = append(*b, `,"users":{"size":`...)
	*b = appendInt(*b, int64(len(g.members)))
	*b = append(*b, `,"items":[],"max-results":50,"start-index":0,"end-index":0},"expand":"users"}`...)
	c.json(http.StatusCreated, *b)
}

// hGroupUserRemove: DELETE /group/user?groupId=&accountId= → 200; a user
// who is not a member gets 400 "... is not a member of ...".
func (s *Server) hGroupUserRemove(c *call) {
	q := c.r.URL.Query()
	gi, ok := s.findGroup(c, q)
	if !ok || s.refuseSynced(c, gi) {
		return
	}
	id := q.Get("accountId")
	if id == "" {
		c.jiraError(http.StatusBadRequest, "You must specify the account ID of the user (accountId).")
		return
	}
	st := s.site
	ui, ok := st.siteUser(id)
	if !ok {
		userNotFound(c, id)
		return
	}
	if !st.removeMember(gi, ui) {
		c.jiraError(http.StatusBadRequest, "Cannot remove user. User is not a member of '"+st.groups[gi].name+"'")
		return
	}
	st.auditMembership(s.now(), false, gi, ui)
	c.wrote()
	c.write(http.StatusOK, "application/json;charset=UTF-8", nil)
}

// hUserGroups: GET /user/groups?accountId= → [{name, groupId, self}].
func (s *Server) hUserGroups(c *call) {
	id := c.r.URL.Query().Get("accountId")
	if id == "" {
		c.jiraError(http.StatusBadRequest, "You must specify the account ID of the user (accountId).")
		return
	}
	st := s.site
	ui, ok := st.siteUser(id)
	if !ok {
		userNotFound(c, id)
		return
	}
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, '[')
	for k, gi := range st.groupsOf(ui) {
		g := &st.groups[gi]
		if k > 0 {
			*b = append(*b, ',')
		}
		*b = append(*b, `{"name":`...)
		*b = appendJSONString(*b, g.name)
		*b = append(*b, `,"groupId":`...)
		*b = appendJSONString(*b, g.id)
		*b = append(*b, `,"self":`...)
		*b = appendJSONString(*b, st.host+jiraBase+"/group?groupId="+g.id)
		*b = append(*b, '}')
	}
	*b = append(*b, ']')
	c.json(http.StatusOK, *b)
}

// roleTarget is the project role a role write addresses; nil when an error
// was sent.
func (s *Server) roleTarget(c *call) (*project, *projectRole) {
	p := s.project(c, true)
	if p == nil {
		return nil, nil
	}
	raw := c.r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	var pr *projectRole
	if err == nil {
		pr = s.site.roleOf(p, id)
	}
	if pr == nil {
		c.jiraError(http.StatusNotFound, "Could not find project role with id '"+raw+"'.")
		return nil, nil
	}
	return p, pr
}

// roleActor resolves a user (active, on the site) or group for a role
// write; false means a 404 was sent.
func (s *Server) roleActor(c *call, accountID, groupID, groupName string) (ui, gi int32, ok bool) {
	st := s.site
	switch {
	case accountID != "":
		i, found := st.siteUser(accountID)
		if !found || !st.users[i].active {
			c.jiraError(http.StatusNotFound, "The user with account ID '"+accountID+"' does not exist or is not active.")
			return 0, 0, false
		}
		return i, -1, true
	case groupID != "":
		g, found := st.groupIdx[groupID]
		if !found {
			c.jiraError(http.StatusNotFound, "Group with ID '"+groupID+"' could not be found.")
			return 0, 0, false
		}
		return -1, g, true
	}
	for k := range st.groups {
		if st.groups[k].name == groupName {
			return -1, int32(k), true
		}
	}
	c.jiraError(http.StatusNotFound, "Group with name '"+groupName+"' could not be found.")
	return 0, 0, false
}

// hRoleActorsAdd: POST /project/{id}/role/{roleId} {"user":[...]} or
// {"groupId":[...]} (or "group": names) → 200 the role with every actor.
// Nothing is added when one of them is missing or already an actor.
func (s *Server) hRoleActorsAdd(c *call) {
	p, pr := s.roleTarget(c)
	if p == nil {
		return
	}
	var body struct {
		User    []string `json:"user"`
		GroupID []string `json:"groupId"`
		Group   []string `json:"group"`
	}
	if !c.readBody(&body) {
		return
	}
	if len(body.User)+len(body.GroupID)+len(body.Group) == 0 {
		c.jiraError(http.StatusBadRequest, "You must specify a user (user) or a group (groupId) to add to the project role.")
		return
	}
	type pair struct{ ui, gi int32 }
	var add []pair
	check := func(ui, gi int32, label string) bool {
		if actorIndex(pr, ui, gi) >= 0 || slices.Contains(add, pair{ui, gi}) {
			c.jiraError(http.StatusBadRequest, label+" is already a member of the project role.")
			return false
		}
		add = append(add, pair{ui, gi})
		return true
	}
	st := s.site
	for _, id := range body.User {
		ui, gi, ok := s.roleActor(c, id, "", "")
		if !ok || !check(ui, gi, "User '"+id+"'") {
			return
		}
	}
	for _, id := range body.GroupID {
		ui, gi, ok := s.roleActor(c, "", id, "")
		if !ok || !check(ui, gi, "Group '"+st.groups[gi].name+"'") {
			return
		}
	}
	for _, name := range body.Group {
		ui, gi, ok := s.roleActor(c, "", "", name)
		if !ok || !check(ui, gi, "Group '"+name+"'") {
			return
		}
	}
	now := s.now()
	for _, a := range add {
		st.addActor(pr, a.ui, a.gi)
		st.auditRole(now, p, pr, true, a.ui, a.gi)
		c.wrote()
	}
	b := getBuf()
	defer putBuf(b)
	r := &st.roles[pr.role]
	*b = st.appendRole(*b, r, st.roleURL(p, r), pr.actors)
	c.json(http.StatusOK, *b)
}

// hRoleActorsRemove: DELETE /project/{id}/role/{roleId}?user= or ?groupId=
// (or ?group=) → 204; an actor that is not there gets 404 "... is not a
// member of the project role".
func (s *Server) hRoleActorsRemove(c *call) {
	p, pr := s.roleTarget(c)
	if p == nil {
		return
	}
	q := c.r.URL.Query()
	user, groupID, group := q.Get("user"), q.Get("groupId"), q.Get("group")
	n := 0
	for _, v := range []string{user, groupID, group} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		c.jiraError(http.StatusBadRequest, "Specify exactly one of user, groupId or group.")
		return
	}
	st := s.site
	var ui, gi int32
	var label string
	switch {
	case user != "":
		i, ok := st.siteUser(user)
		if !ok {
			userNotFound(c, user)
			return
		}
		ui, gi, label = i, -1, "User '"+user+"'"
	default:
		var ok bool
		if ui, gi, ok = s.roleActor(c, "", groupID, group); !ok {
			return
		}
		label = "Group '" + st.groups[gi].name + "'"
	}
	if !st.removeActor(pr, ui, gi) {
		c.jiraError(http.StatusNotFound, label+" is not a member of the project role.")
		return
	}
	st.auditRole(s.now(), p, pr, false, ui, gi)
	c.wrote()
	c.write(http.StatusNoContent, "application/json;charset=UTF-8", nil)
}

// productRole maps a product key of POST /user to the application role whose
// default groups it joins.
var productRole = map[string]string{"jira-software": "jira-software", "jira-servicedesk": "jira-servicedesk"}

// hUserCreate: POST /user {"emailAddress", "products": [...]} → 201 the
// user. An existing user with Jira access gets 201 (nothing changes); one
// without gets 400. A user removed from the site comes back; an org account
// with the address joins the site with its accountId.
func (s *Server) hUserCreate(c *call) {
	var body struct {
		EmailAddress string    `json:"emailAddress"`
		DisplayName  string    `json:"displayName"`
		Products     *[]string `json:"products"`
	}
	if !c.readBody(&body) {
		return
	}
	email := strings.TrimSpace(body.EmailAddress)
	errs := map[string]string{}
	if at := strings.Index(email, "@"); at <= 0 || at == len(email)-1 || strings.ContainsAny(email, " ,;") {
		errs["emailAddress"] = "You must specify a valid email address."
	}
	if body.Products == nil {
		errs["products"] = "You must specify the products the user gets access to (products), or [] for none."
	} else {
		for _, p := range *body.Products {
			if !slices.Contains(jiraProducts, p) {
				errs["products"] = "Invalid product '" + p + "': use " + strings.Join(jiraProducts, ", ") + "."
			}
		}
	}
	if len(errs) > 0 {
		c.fieldErrors(http.StatusBadRequest, errs)
		return
	}
	st := s.site
	now := s.now()
	ui := int32(-1)
	for i := range st.users {
		if strings.EqualFold(st.users[i].email, email) {
			ui = int32(i)
			break
		}
	}
	if ui >= 0 && !st.users[ui].removed {
		if !st.hasJiraAccess(ui) {
			c.jiraError(http.StatusBadRequest, "A user with email '"+email+"' already exists on the site without access to Jira: grant product access instead.")
			return
		}
		c.userAnswer(http.StatusCreated, ui)
		return
	}
	if ui >= 0 { // back on the site
		st.users[ui].removed = false
		st.refreshVisible()
	} else {
		u := user{accountType: "atlassian", displayName: body.DisplayName, email: email, active: true}
		if k := slices.IndexFunc(st.orgUsers, func(o orgUser) bool { return strings.EqualFold(o.email, email) }); k >= 0 {
			ou := &st.orgUsers[k]
			u.accountID, u.accountType = ou.accountID, ou.accountType
			if u.displayName == "" {
				u.displayName = ou.name
			}
			u.active = ou.status == "active" && !ou.suspended
		} else {
			u.accountID = "557058:" + uuidOf("jirasim-user-"+strconv.Itoa(len(st.users))+"-"+email)
		}
		if u.displayName == "" {
			u.displayName = email[:strings.Index(email, "@")]
		}
		ui = st.addUser(u)
	}
	ou := st.orgUserOf(ui)
	if ou == nil {
		u := &st.users[ui]
		st.orgIdx[u.accountID] = int32(len(st.orgUsers))
		st.orgUsers = append(st.orgUsers, orgUser{accountID: u.accountID, accountType: u.accountType, status: "active",
			name: u.displayName, email: u.email, products: []string{}, jira: ui})
		ou = &st.orgUsers[len(st.orgUsers)-1]
	}
	ou.jira = ui
	st.addAudit(now, "User created", "user management", st.userItem(ui), nil)
	for _, p := range *body.Products {
		if !slices.Contains(ou.products, p) {
			ou.products = append(slices.Clip(ou.products), p)
		}
		for _, a := range st.appRoles {
			if a.key != productRole[p] {
				continue
			}
			for _, gi := range a.defaults {
				if st.addMember(gi, ui) {
					st.auditMembership(now, true, gi, ui)
				}
			}
		}
	}
	c.wrote()
	c.userAnswer(http.StatusCreated, ui)
}

// userAnswer answers with user i's JSON (copied: the answer is sent after
// the lock is released).
func (c *call) userAnswer(status int, i int32) {
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, c.s.site.userBytes(i)...)
	c.json(status, *b)
}

// hUserDelete: DELETE /user?accountId= → 204. The user leaves the site (and
// every group and project role); the Atlassian account stays in the org.
func (s *Server) hUserDelete(c *call) {
	id := c.r.URL.Query().Get("accountId")
	if id == "" {
		c.jiraError(http.StatusBadRequest, "You must specify the account ID of the user (accountId).")
		return
	}
	st := s.site
	ui, ok := st.siteUser(id)
	if !ok {
		userNotFound(c, id)
		return
	}
	if ui == st.myself {
		c.jiraError(http.StatusBadRequest, "You cannot delete the user you are logged in as.")
		return
	}
	var leads []string
	for k := range st.projects {
		if st.projects[k].lead == ui {
			leads = append(leads, st.projects[k].key)
		}
	}
	if len(leads) > 0 {
		c.jiraError(http.StatusBadRequest, "Cannot delete user '"+id+"': the user is the lead of project(s) "+strings.Join(leads, ", ")+". Change the project lead first.")
		return
	}
	st.deleteUser(s.now(), ui)
	if ou := st.orgUserOf(ui); ou != nil {
		ou.products = slices.DeleteFunc(slices.Clone(ou.products), func(p string) bool { return strings.HasPrefix(p, "jira-") })
	}
	c.wrote()
	c.write(http.StatusNoContent, "application/json;charset=UTF-8", nil)
}

// deleteUser removes site user ui from its groups and project roles, with
// the audit records Jira writes for each, and then from the site.
func (st *site) deleteUser(now time.Time, ui int32) {
	for _, gi := range st.groupsOf(ui) {
		st.removeMember(gi, ui)
		st.auditMembership(now, false, gi, ui)
	}
	for k := range st.projects {
		p := &st.projects[k]
		for r := range p.roles {
			if st.removeActor(&p.roles[r], ui, -1) {
				st.auditRole(now, p, &p.roles[r], false, ui, -1)
			}
		}
	}
	st.users[ui].removed = true
	st.refreshVisible()
	st.addAudit(now, "User deleted", "user management", st.userItem(ui), nil)
}

// fieldErrors answers with Jira's error collection keyed by field.
func (c *call) fieldErrors(status int, errs map[string]string) {
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := append([]byte(nil), `{"errorMessages":[],"errors":{`...)
	for i, k := range keys {
		b = appendKey(b, k, i == 0)
		b = appendJSONString(b, errs[k])
	}
	b = append(b, `},"status":`...)
	b = appendInt(b, int64(status))
	c.json(status, append(b, '}'))
}
