package sim

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Dataset is a whole site in its JSON file form (see the package doc). The
// generator produces one; testdata/sites/*.json hold fixed ones.
type Dataset struct {
	Name    string `json:"name,omitempty"`
	CloudID string `json:"cloudId,omitempty"`
	// Myself is the accountId /myself answers with; default the first user.
	Myself            string           `json:"myself,omitempty"`
	Users             []DatasetUser    `json:"users"`
	Groups            []DatasetGroup   `json:"groups"`
	Roles             []DatasetRole    `json:"roles"`
	Projects          []DatasetProject `json:"projects"`
	ApplicationRoles  []DatasetAppRole `json:"applicationRoles"`
	PermissionSchemes []DatasetScheme  `json:"permissionSchemes"`
	Org               DatasetOrg       `json:"org"`
}

// DatasetUser is a Jira user. Email is the address; EmailHidden keeps it out
// of Jira's answers (the Admin API still shows it for managed accounts).
type DatasetUser struct {
	AccountID   string `json:"accountId"`
	AccountType string `json:"accountType"`
	DisplayName string `json:"displayName"`
	Email       string `json:"email,omitempty"`
	EmailHidden bool   `json:"emailHidden,omitempty"`
	Active      bool   `json:"active"`
	TimeZone    string `json:"timeZone,omitempty"`
	Locale      string `json:"locale,omitempty"`
}

// DatasetGroup is a Jira group; Members are accountIds. OmitTotal leaves
// "total" out of its group/member pages.
type DatasetGroup struct {
	GroupID   string   `json:"groupId"`
	Name      string   `json:"name"`
	Members   []string `json:"members"`
	OmitTotal bool     `json:"omitTotal,omitempty"`
}

// DatasetRole is a global project role.
type DatasetRole struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// DefaultGroups are groupIds listed as default actors by GET /role.
	DefaultGroups []string `json:"defaultGroups,omitempty"`
}

// DatasetProject is a project with its roles.
type DatasetProject struct {
	ID          string `json:"id"`
	Key         string `json:"key"`
	Name        string `json:"name"`
	ProjectType string `json:"projectTypeKey"`
	Archived    bool   `json:"archived,omitempty"`
	// IsPrivate is left out of the answers when null.
	IsPrivate *bool `json:"isPrivate"`
	// Lead is an accountId; "" means no lead.
	Lead             string               `json:"lead,omitempty"`
	PermissionScheme int64                `json:"permissionScheme"`
	Roles            []DatasetProjectRole `json:"roles"`
}

// DatasetProjectRole is a global role in one project with its actors.
type DatasetProjectRole struct {
	RoleID int64    `json:"roleId"`
	Users  []string `json:"users,omitempty"`  // accountIds
	Groups []string `json:"groups,omitempty"` // groupIds
}

// DatasetAppRole is an application role; groups are groupIds.
type DatasetAppRole struct {
	Key           string   `json:"key"`
	Name          string   `json:"name"`
	Groups        []string `json:"groups"`
	DefaultGroups []string `json:"defaultGroups"`
	Seats         int64    `json:"numberOfSeats"`
	UserCount     int64    `json:"userCount"`
}

// DatasetScheme is a permission scheme with its grants.
type DatasetScheme struct {
	ID          int64          `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Permissions []DatasetGrant `json:"permissions"`
}

// DatasetGrant is one permission grant; Holder fields are Jira's.
type DatasetGrant struct {
	ID         int64         `json:"id"`
	Permission string        `json:"permission"`
	Holder     DatasetHolder `json:"holder"`
}

// DatasetHolder is a permission holder exactly as Jira shows it.
type DatasetHolder struct {
	Type      string `json:"type"`
	Parameter string `json:"parameter,omitempty"`
	Value     string `json:"value,omitempty"`
}

// DatasetOrg is the Atlassian organization seen by the Admin API.
type DatasetOrg struct {
	Users  []DatasetOrgUser  `json:"users"`
	Groups []DatasetOrgGroup `json:"groups"`
}

// DatasetOrgUser is a managed account. It matches a Jira user by accountId,
// or stands alone (an org account without access to the site).
type DatasetOrgUser struct {
	AccountID   string `json:"accountId"`
	AccountType string `json:"accountType"`
	Status      string `json:"status"` // active, inactive, closed
	Name        string `json:"name"`
	Email       string `json:"email,omitempty"`
	// LastActive is RFC 3339; "" for never.
	LastActive    string   `json:"lastActive,omitempty"`
	ProductAccess []string `json:"productAccess"`
}

// DatasetOrgGroup is a directory group; ID equals the Jira groupId for
// groups mirrored from the site.
type DatasetOrgGroup struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Synced marks a group synced from an identity provider: the Admin API
	// refuses membership changes to it.
	Synced bool `json:"synced,omitempty"`
}

// LoadDataset reads a dataset file.
func LoadDataset(path string) (*Dataset, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read dataset: %w", err)
	}
	var d Dataset
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("parse dataset %s: %w", path, err)
	}
	return &d, nil
}

// compile indexes a dataset into a servable site, checking its references.
func compile(d *Dataset, siteName string) (*site, error) {
	s := &site{
		name:      siteName,
		host:      "https://" + siteName + ".atlassian.net.invalid",
		userIdx:   make(map[string]int32, len(d.Users)),
		groupIdx:  make(map[string]int32, len(d.Groups)),
		projIdx:   make(map[string]int32, 2*len(d.Projects)),
		roleIdx:   make(map[int64]int32, len(d.Roles)),
		schemeIdx: make(map[int64]int32, len(d.PermissionSchemes)),
	}
	s.users = make([]user, len(d.Users))
	for i, u := range d.Users {
		if u.AccountID == "" {
			return nil, fmt.Errorf("user %d: empty accountId", i)
		}
		if _, dup := s.userIdx[u.AccountID]; dup {
			return nil, fmt.Errorf("user %d: duplicate accountId %q", i, u.AccountID)
		}
		s.userIdx[u.AccountID] = int32(i)
		s.users[i] = user{accountID: u.AccountID, accountType: u.AccountType, displayName: u.DisplayName,
			email: u.Email, emailHidden: u.EmailHidden, active: u.Active, timeZone: u.TimeZone, locale: u.Locale}
	}
	s.myself = 0
	if d.Myself != "" {
		i, ok := s.userIdx[d.Myself]
		if !ok {
			return nil, fmt.Errorf("myself %q is not a user", d.Myself)
		}
		s.myself = i
	}
	if len(s.users) == 0 {
		return nil, fmt.Errorf("dataset has no users (myself needs one)")
	}
	lookupUser := func(what, id string) (int32, error) {
		i, ok := s.userIdx[id]
		if !ok {
			return 0, fmt.Errorf("%s: unknown accountId %q", what, id)
		}
		return i, nil
	}
	groupNames := make(map[string]bool, len(d.Groups))
	stamp := make([]int32, len(d.Users)) // stamp[u] == group index+1: already a member
	s.groups = make([]group, len(d.Groups))
	for i, g := range d.Groups {
		if _, dup := s.groupIdx[g.GroupID]; dup || g.GroupID == "" {
			return nil, fmt.Errorf("group %d: empty or duplicate groupId %q", i, g.GroupID)
		}
		if groupNames[g.Name] {
			return nil, fmt.Errorf("group %d: duplicate name %q", i, g.Name)
		}
		groupNames[g.Name] = true
		s.groupIdx[g.GroupID] = int32(i)
		gr := group{id: g.GroupID, name: g.Name, omitTotal: g.OmitTotal, members: make([]int32, 0, len(g.Members))}
		for _, m := range g.Members {
			ui, err := lookupUser("group "+g.GroupID+" member", m)
			if err != nil {
				return nil, err
			}
			if stamp[ui] == int32(i+1) {
				return nil, fmt.Errorf("group %s: duplicate member %q", g.GroupID, m)
			}
			stamp[ui] = int32(i + 1)
			gr.members = append(gr.members, ui)
		}
		for _, ui := range gr.members {
			if s.users[ui].active {
				gr.activeMembers = append(gr.activeMembers, ui)
			}
		}
		s.groups[i] = gr
	}
	lookupGroup := func(what, id string) (int32, error) {
		i, ok := s.groupIdx[id]
		if !ok {
			return 0, fmt.Errorf("%s: unknown groupId %q", what, id)
		}
		return i, nil
	}
	s.roles = make([]role, len(d.Roles))
	for i, r := range d.Roles {
		if _, dup := s.roleIdx[r.ID]; dup {
			return nil, fmt.Errorf("role %d: duplicate id %d", i, r.ID)
		}
		s.roleIdx[r.ID] = int32(i)
		ro := role{id: r.ID, name: r.Name, description: r.Description}
		for _, g := range r.DefaultGroups {
			gi, err := lookupGroup("role default group", g)
			if err != nil {
				return nil, err
			}
			ro.defaultGroups = append(ro.defaultGroups, gi)
		}
		s.roles[i] = ro
	}
	s.schemes = make([]scheme, len(d.PermissionSchemes))
	for i, sc := range d.PermissionSchemes {
		if _, dup := s.schemeIdx[sc.ID]; dup {
			return nil, fmt.Errorf("permission scheme %d: duplicate id %d", i, sc.ID)
		}
		s.schemeIdx[sc.ID] = int32(i)
		out := scheme{id: sc.ID, name: sc.Name, description: sc.Description, grants: make([]grant, len(sc.Permissions))}
		for j, g := range sc.Permissions {
			out.grants[j] = grant{id: g.ID, permission: g.Permission, typ: g.Holder.Type, parameter: g.Holder.Parameter, value: g.Holder.Value}
		}
		s.schemes[i] = out
	}
	var actorID int64 = 10100
	s.projects = make([]project, len(d.Projects))
	for i, p := range d.Projects {
		if p.ID == "" || p.Key == "" {
			return nil, fmt.Errorf("project %d: empty id or key", i)
		}
		if _, dup := s.projIdx[p.ID]; dup {
			return nil, fmt.Errorf("project %d: duplicate id %q", i, p.ID)
		}
		if _, dup := s.projIdx[p.Key]; dup {
			return nil, fmt.Errorf("project %d: duplicate key %q", i, p.Key)
		}
		s.projIdx[p.ID] = int32(i)
		s.projIdx[p.Key] = int32(i)
		pr := project{id: p.ID, key: p.Key, name: p.Name, typeKey: p.ProjectType, archived: p.Archived, isPrivate: p.IsPrivate, lead: -1}
		if p.Lead != "" {
			li, err := lookupUser("project "+p.ID+" lead", p.Lead)
			if err != nil {
				return nil, err
			}
			pr.lead = li
		}
		si, ok := s.schemeIdx[p.PermissionScheme]
		if !ok {
			return nil, fmt.Errorf("project %s: unknown permission scheme %d", p.ID, p.PermissionScheme)
		}
		pr.scheme = si
		seenRole := map[int64]bool{}
		for _, r := range p.Roles {
			ri, ok := s.roleIdx[r.RoleID]
			if !ok || seenRole[r.RoleID] {
				return nil, fmt.Errorf("project %s: unknown or repeated role %d", p.ID, r.RoleID)
			}
			seenRole[r.RoleID] = true
			prr := projectRole{role: ri}
			seenActor := map[string]bool{}
			for _, a := range r.Users {
				ui, err := lookupUser("project "+p.ID+" role actor", a)
				if err != nil {
					return nil, err
				}
				if seenActor["u"+a] {
					return nil, fmt.Errorf("project %s role %d: repeated user actor %q", p.ID, r.RoleID, a)
				}
				seenActor["u"+a] = true
				prr.actors = append(prr.actors, actor{id: actorID, user: ui, group: -1})
				actorID++
			}
			for _, a := range r.Groups {
				gi, err := lookupGroup("project "+p.ID+" role actor", a)
				if err != nil {
					return nil, err
				}
				if seenActor["g"+a] {
					return nil, fmt.Errorf("project %s role %d: repeated group actor %q", p.ID, r.RoleID, a)
				}
				seenActor["g"+a] = true
				prr.actors = append(prr.actors, actor{id: actorID, user: -1, group: gi})
				actorID++
			}
			pr.roles = append(pr.roles, prr)
		}
		s.projects[i] = pr
		s.all = append(s.all, int32(i))
		if pr.archived {
			s.archived = append(s.archived, int32(i))
		} else {
			s.live = append(s.live, int32(i))
		}
	}
	appKeys := map[string]bool{}
	for _, a := range d.ApplicationRoles {
		if appKeys[a.Key] {
			return nil, fmt.Errorf("application role %q repeated", a.Key)
		}
		appKeys[a.Key] = true
		ar := appRole{key: a.Key, name: a.Name, seats: a.Seats, userCount: a.UserCount}
		inGroups := map[int32]bool{}
		for _, g := range a.Groups {
			gi, err := lookupGroup("application role "+a.Key, g)
			if err != nil {
				return nil, err
			}
			if inGroups[gi] {
				return nil, fmt.Errorf("application role %s: repeated group %q", a.Key, g)
			}
			inGroups[gi] = true
			ar.groups = append(ar.groups, gi)
		}
		for _, g := range a.DefaultGroups {
			gi, err := lookupGroup("application role "+a.Key+" default", g)
			if err != nil {
				return nil, err
			}
			if !inGroups[gi] {
				return nil, fmt.Errorf("application role %s: default group %q is not one of its groups", a.Key, g)
			}
			ar.defaults = append(ar.defaults, gi)
		}
		s.appRoles = append(s.appRoles, ar)
	}
	orgSeen := map[string]bool{}
	s.orgIdx = make(map[string]int32, len(d.Org.Users))
	for _, u := range d.Org.Users {
		if orgSeen[u.AccountID] || u.AccountID == "" {
			return nil, fmt.Errorf("org user: empty or repeated accountId %q", u.AccountID)
		}
		orgSeen[u.AccountID] = true
		ou := orgUser{accountID: u.AccountID, accountType: u.AccountType, status: u.Status, name: u.Name, email: u.Email, products: u.ProductAccess, jira: -1}
		if ou.products == nil {
			ou.products = []string{}
		}
		if u.LastActive != "" {
			t, err := time.Parse(time.RFC3339Nano, u.LastActive)
			if err != nil {
				return nil, fmt.Errorf("org user %s: lastActive: %w", u.AccountID, err)
			}
			ou.lastActive = t.UTC()
		}
		if ji, ok := s.userIdx[u.AccountID]; ok {
			ou.jira = ji
		}
		s.orgIdx[u.AccountID] = int32(len(s.orgUsers))
		s.orgUsers = append(s.orgUsers, ou)
	}
	s.orgGroupIdx = make(map[string]int32, len(d.Org.Groups))
	for _, g := range d.Org.Groups {
		if _, seen := s.orgGroupIdx[g.ID]; seen || g.ID == "" {
			return nil, fmt.Errorf("org group: empty or repeated id %q", g.ID)
		}
		s.orgGroupIdx[g.ID] = int32(len(s.orgGroups))
		s.orgGroups = append(s.orgGroups, orgGroup{id: g.ID, name: g.Name, description: g.Description, synced: g.Synced})
	}
	s.w.nextActorID = actorID
	s.encodeUsers()
	return s, nil
}
