package sim

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// scimUserBody is a user resource as POST and PUT (and a SCIM 1.1 PATCH)
// send it.
type scimUserBody struct {
	UserName    string `json:"userName"`
	ExternalID  string `json:"externalId"`
	DisplayName string `json:"displayName"`
	Name        *struct {
		GivenName  string `json:"givenName"`
		FamilyName string `json:"familyName"`
	} `json:"name"`
	Emails []struct {
		Value   string `json:"value"`
		Primary bool   `json:"primary"`
	} `json:"emails"`
	Active            json.RawMessage `json:"active"`
	Title             string          `json:"title"`
	Department        string          `json:"department"`
	Organization      string          `json:"organization"`
	Timezone          string          `json:"timezone"`
	PreferredLanguage string          `json:"preferredLanguage"`
}

// scimBool reads a SCIM boolean; some clients send "True" and "False" as
// strings.
func scimBool(raw json.RawMessage) (v, ok bool) {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch strings.ToLower(s) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// apply copies the body's fields onto u; false means a 400 was sent.
func (b *scimUserBody) apply(c *call, u *scimUser, partial bool) bool {
	if b.UserName != "" {
		u.userName = b.UserName
	}
	set := func(dst *string, v string) {
		if v != "" || !partial {
			*dst = v
		}
	}
	set(&u.externalID, b.ExternalID)
	set(&u.displayName, b.DisplayName)
	set(&u.title, b.Title)
	set(&u.department, b.Department)
	set(&u.organization, b.Organization)
	set(&u.timezone, b.Timezone)
	set(&u.locale, b.PreferredLanguage)
	if b.Name != nil {
		u.givenName, u.familyName = b.Name.GivenName, b.Name.FamilyName
	}
	if len(b.Emails) > 0 {
		u.email = b.Emails[0].Value
		for _, e := range b.Emails {
			if e.Primary {
				u.email = e.Value
			}
		}
	}
	if len(b.Active) > 0 {
		v, ok := scimBool(b.Active)
		if !ok {
			c.scimError(http.StatusBadRequest, "invalidValue", "active must be a boolean.")
			return false
		}
		u.active = v
	}
	if u.displayName == "" {
		u.displayName = strings.TrimSpace(u.givenName + " " + u.familyName)
	}
	return true
}

// hSCIMUserCreate: POST /Users → 201 with the user; 409 uniqueness when
// the userName is taken. The directory links a new Atlassian account.
func (s *Server) hSCIMUserCreate(c *call) {
	var b scimUserBody
	if !c.readBody(&b) {
		return
	}
	if strings.TrimSpace(b.UserName) == "" {
		c.scimError(http.StatusBadRequest, "invalidValue", "userName is required.")
		return
	}
	d := s.scim.dir
	if d.userByName(b.UserName) >= 0 {
		c.scimError(http.StatusConflict, "uniqueness", "A user with userName "+b.UserName+" already exists.")
		return
	}
	u := scimUser{id: d.nextID("user"), active: true}
	u.accountID = "557058:" + uuidOf("scim-account-"+u.id)
	if !b.apply(c, &u, false) {
		return
	}
	d.addUser(u)
	c.wrote()
	c.scimJSON(http.StatusCreated, s.scimUserJSON(c, &d.users[len(d.users)-1]))
}

// hSCIMUserReplace: PUT /Users/{id} → 200 with the user.
func (s *Server) hSCIMUserReplace(c *call) {
	u := s.scimUserAt(c)
	if u == nil {
		return
	}
	var b scimUserBody
	if !c.readBody(&b) {
		return
	}
	if strings.TrimSpace(b.UserName) == "" {
		c.scimError(http.StatusBadRequest, "invalidValue", "userName is required.")
		return
	}
	if i := s.scim.dir.userByName(b.UserName); i >= 0 && s.scim.dir.users[i].id != u.id {
		c.scimError(http.StatusConflict, "uniqueness", "A user with userName "+b.UserName+" already exists.")
		return
	}
	before := *u
	if !b.apply(c, u, false) {
		return
	}
	if !scimUserEqual(before, *u) {
		c.wrote()
	}
	c.scimJSON(http.StatusOK, s.scimUserJSON(c, u))
}

func scimUserEqual(a, b scimUser) bool { return reflect.DeepEqual(a, b) }

// patchOp is one operation of a SCIM 2.0 PatchOp.
type patchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

// readPatch reads a SCIM 2.0 PatchOp body; nil means a 400 was sent.
func (c *call) readPatch() []patchOp {
	var body struct {
		Schemas    []string  `json:"schemas"`
		Operations []patchOp `json:"Operations"`
	}
	if !c.readBody(&body) {
		return nil
	}
	if !slices.Contains(body.Schemas, urnPatchOp2) || len(body.Operations) == 0 {
		c.scimError(http.StatusBadRequest, "invalidSyntax", "A PATCH body is a PatchOp with at least one operation.")
		return nil
	}
	return body.Operations
}

func (s *Server) patchAllowed(c *call) bool {
	if s.scim.cfg.NoPatch {
		c.scimError(http.StatusNotImplemented, "", "PATCH is not supported by this service provider.")
		return false
	}
	return true
}

// hSCIMUserPatch: PATCH /Users/{id} → 200 with the user. Version 2 takes
// replace/add operations on active, displayName, title, userName (or a
// value object without path); version 1.1 a partial resource.
func (s *Server) hSCIMUserPatch(c *call) {
	if !s.patchAllowed(c) {
		return
	}
	u := s.scimUserAt(c)
	if u == nil {
		return
	}
	before := *u
	if c.v1() {
		var b scimUserBody
		if !c.readBody(&b) || !b.apply(c, u, true) {
			return
		}
	} else {
		ops := c.readPatch()
		if ops == nil {
			return
		}
		next := *u
		for _, op := range ops {
			if o := strings.ToLower(op.Op); o != "replace" && o != "add" {
				c.scimError(http.StatusBadRequest, "invalidSyntax", "Only add and replace operations are supported on users.")
				return
			}
			var b scimUserBody
			raw := op.Value
			if op.Path != "" {
				raw, _ = json.Marshal(map[string]json.RawMessage{op.Path: op.Value})
				switch op.Path {
				case "active", "displayName", "title", "userName", "externalId", "department", "organization", "timezone", "preferredLanguage":
				default:
					c.scimError(http.StatusBadRequest, "invalidPath", "The path "+op.Path+" is not supported.")
					return
				}
			}
			if err := json.Unmarshal(raw, &b); err != nil {
				c.scimError(http.StatusBadRequest, "invalidValue", "The operation's value does not fit its path.")
				return
			}
			if !b.apply(c, &next, true) {
				return
			}
		}
		*u = next
	}
	if !scimUserEqual(before, *u) {
		c.wrote()
	}
	c.scimJSON(http.StatusOK, s.scimUserJSON(c, u))
}

// hSCIMUserDelete: DELETE /Users/{id} → 204.
func (s *Server) hSCIMUserDelete(c *call) {
	if u := s.scimUserAt(c); u != nil {
		s.scim.dir.removeUser(u.id)
		c.wrote()
		c.write(http.StatusNoContent, "application/scim+json", nil)
	}
}

// hSCIMGroupCreate: POST /Groups {"displayName"} → 201; 409 uniqueness.
func (s *Server) hSCIMGroupCreate(c *call) {
	var b struct {
		DisplayName string `json:"displayName"`
		ExternalID  string `json:"externalId"`
	}
	if !c.readBody(&b) {
		return
	}
	d := s.scim.dir
	if strings.TrimSpace(b.DisplayName) == "" {
		c.scimError(http.StatusBadRequest, "invalidValue", "displayName is required.")
		return
	}
	for i := range d.groups {
		if d.groups[i].displayName == b.DisplayName {
			c.scimError(http.StatusConflict, "uniqueness", "A group named "+b.DisplayName+" already exists.")
			return
		}
	}
	g := scimGroup{id: d.nextID("group"), displayName: b.DisplayName, externalID: b.ExternalID}
	d.groupIdx[g.id] = len(d.groups)
	d.groups = append(d.groups, g)
	c.wrote()
	c.scimJSON(http.StatusCreated, s.scimGroupJSON(c, &d.groups[len(d.groups)-1]))
}

type memberRef struct {
	Value     string `json:"value"`
	Operation string `json:"operation"` // SCIM 1.1: "delete" removes
}

// changeMembers adds or removes members of g; false means a 400 was sent
// (a member that is not a user of the directory).
func (s *Server) changeMembers(c *call, g *scimGroup, refs []memberRef, add bool) bool {
	d := s.scim.dir
	next := slices.Clone(g.members)
	for _, m := range refs {
		remove := !add || strings.EqualFold(m.Operation, "delete")
		has := slices.Contains(next, m.Value)
		switch {
		case remove && has:
			next = slices.DeleteFunc(next, func(x string) bool { return x == m.Value })
		case !remove && !has:
			if _, ok := d.userIdx[m.Value]; !ok {
				c.scimError(http.StatusBadRequest, "invalidValue", "Member "+m.Value+" is not a user of this directory.")
				return false
			}
			next = append(next, m.Value)
		}
	}
	if !slices.Equal(next, g.members) {
		g.members = next
		c.wrote()
	}
	return true
}

// hSCIMGroupPatch: PATCH /Groups/{id} → 204. Version 2: add on members
// with a value list; remove on members[value eq "ID"] or members with a
// value list; replace on displayName. Version 1.1: {"members":[{"value",
// "operation":"delete"?}]}.
func (s *Server) hSCIMGroupPatch(c *call) {
	if !s.patchAllowed(c) {
		return
	}
	g := s.scimGroupAt(c)
	if g == nil {
		return
	}
	if c.v1() {
		var b struct {
			DisplayName string      `json:"displayName"`
			Members     []memberRef `json:"members"`
		}
		if !c.readBody(&b) || !s.changeMembers(c, g, b.Members, true) {
			return
		}
		if b.DisplayName != "" && b.DisplayName != g.displayName {
			g.displayName = b.DisplayName
			c.wrote()
		}
		c.write(http.StatusNoContent, "application/scim+json", nil)
		return
	}
	ops := c.readPatch()
	if ops == nil {
		return
	}
	for _, op := range ops {
		o := strings.ToLower(op.Op)
		var refs []memberRef
		switch {
		case o == "replace" && op.Path == "displayName":
			var name string
			if json.Unmarshal(op.Value, &name) != nil || name == "" {
				c.scimError(http.StatusBadRequest, "invalidValue", "displayName must be a non-empty string.")
				return
			}
			if name != g.displayName {
				g.displayName = name
				c.wrote()
			}
			continue
		case (o == "add" || o == "remove") && op.Path == "members":
			if json.Unmarshal(op.Value, &refs) != nil || len(refs) == 0 {
				c.scimError(http.StatusBadRequest, "invalidValue", "members takes a list of {\"value\": ID}.")
				return
			}
		case o == "remove" && strings.HasPrefix(op.Path, "members[value eq "):
			v := strings.TrimSuffix(strings.TrimPrefix(op.Path, "members[value eq "), "]")
			var id string
			if json.Unmarshal([]byte(v), &id) != nil {
				c.scimError(http.StatusBadRequest, "invalidPath", "The path "+op.Path+" is not a valid value filter.")
				return
			}
			refs = []memberRef{{Value: id}}
		default:
			c.scimError(http.StatusBadRequest, "invalidPath", "Unsupported operation "+op.Op+" on "+op.Path+".")
			return
		}
		if !s.changeMembers(c, g, refs, o == "add") {
			return
		}
	}
	c.write(http.StatusNoContent, "application/scim+json", nil)
}

// hSCIMGroupReplace: PUT /Groups/{id} with the whole group → 200.
func (s *Server) hSCIMGroupReplace(c *call) {
	g := s.scimGroupAt(c)
	if g == nil {
		return
	}
	var b struct {
		DisplayName string      `json:"displayName"`
		Members     []memberRef `json:"members"`
	}
	if !c.readBody(&b) {
		return
	}
	if strings.TrimSpace(b.DisplayName) == "" {
		c.scimError(http.StatusBadRequest, "invalidValue", "displayName is required.")
		return
	}
	d := s.scim.dir
	next := make([]string, 0, len(b.Members))
	for _, m := range b.Members {
		if _, ok := d.userIdx[m.Value]; !ok {
			c.scimError(http.StatusBadRequest, "invalidValue", "Member "+m.Value+" is not a user of this directory.")
			return
		}
		if !slices.Contains(next, m.Value) {
			next = append(next, m.Value)
		}
	}
	if b.DisplayName != g.displayName || !slices.Equal(next, g.members) {
		g.displayName, g.members = b.DisplayName, next
		c.wrote()
	}
	c.scimJSON(http.StatusOK, s.scimGroupJSON(c, g))
}
