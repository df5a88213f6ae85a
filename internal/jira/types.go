package jira

import "errors"

// The JSON shapes of the Jira Cloud REST API v3 and the Atlassian Admin API
// that the extractor reads. Fields the extractor does not
// use are left out; unknown fields are ignored when decoding.

// User is a Jira user as returned by users/search and group/member.
type User struct {
	AccountID    string `json:"accountId"`
	AccountType  string `json:"accountType"`
	Active       bool   `json:"active"`
	DisplayName  string `json:"displayName"`
	EmailAddress string `json:"emailAddress,omitempty"`
	TimeZone     string `json:"timeZone,omitempty"`
	Locale       string `json:"locale,omitempty"`
}

// Page is Jira's PageBean. Total is nil when the server leaves it out.
type Page[T any] struct {
	StartAt    int    `json:"startAt"`
	MaxResults int    `json:"maxResults"`
	Total      *int   `json:"total,omitempty"`
	IsLast     bool   `json:"isLast"`
	NextPage   string `json:"nextPage,omitempty"`
	Values     []T    `json:"values"`
}

// check refuses a page without its values list (missing or null): only an
// empty list, or isLast, or total, ends the paging.
func (p *Page[T]) check() error {
	if p.Values == nil {
		return errors.New("the page has no values list (missing or null)")
	}
	return nil
}

// Group is a group as returned by group/bulk.
type Group struct {
	GroupID string `json:"groupId"`
	Name    string `json:"name"`
}

// Project is a project as returned by project/search with expand=lead.
type Project struct {
	ID             string `json:"id"`
	Key            string `json:"key"`
	Name           string `json:"name"`
	Description    string `json:"description,omitempty"`
	ProjectTypeKey string `json:"projectTypeKey,omitempty"`
	Style          string `json:"style,omitempty"`
	IsPrivate      *bool  `json:"isPrivate,omitempty"`
	Archived       bool   `json:"archived,omitempty"`
	Lead           *User  `json:"lead,omitempty"`
}

// RoleDetail is one entry of project/{id}/roledetails.
type RoleDetail struct {
	ID          ID     `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// ProjectRole is a role with its actors (project/{id}/role/{roleId}, /role).
type ProjectRole struct {
	ID          ID          `json:"id"`
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Actors      []RoleActor `json:"actors,omitempty"`
}

// RoleActor is one holder of a project role.
type RoleActor struct {
	ID          LooseID     `json:"id"`
	DisplayName string      `json:"displayName"`
	Type        string      `json:"type"` // atlassian-user-role-actor or atlassian-group-role-actor
	ActorUser   *ActorUser  `json:"actorUser,omitempty"`
	ActorGroup  *ActorGroup `json:"actorGroup,omitempty"`
}

// ActorUser identifies a user actor.
type ActorUser struct {
	AccountID string `json:"accountId"`
}

// ActorGroup identifies a group actor.
type ActorGroup struct {
	GroupID     string `json:"groupId"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName,omitempty"`
}

// Role actor types.
const (
	UserRoleActor  = "atlassian-user-role-actor"
	GroupRoleActor = "atlassian-group-role-actor"
)

// ApplicationRole is one entry of /applicationrole.
type ApplicationRole struct {
	Key                  string       `json:"key"`
	Name                 string       `json:"name"`
	Groups               []string     `json:"groups"`
	GroupDetails         []ActorGroup `json:"groupDetails"`
	DefaultGroups        []string     `json:"defaultGroups"`
	DefaultGroupsDetails []ActorGroup `json:"defaultGroupsDetails"`
	UserCount            *int64       `json:"userCount,omitempty"`
	NumberOfSeats        *int64       `json:"numberOfSeats,omitempty"`
	HasUnlimitedSeats    bool         `json:"hasUnlimitedSeats,omitempty"`
}

// PermissionScheme is a scheme with its grants (expand=permissions).
type PermissionScheme struct {
	ID          ID                `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Permissions []PermissionGrant `json:"permissions,omitempty"`
}

// PermissionGrant is one permission held by one holder.
type PermissionGrant struct {
	ID         LooseID `json:"id"`
	Permission string  `json:"permission"`
	Holder     Holder  `json:"holder"`
}

// Holder is a permission grant's holder.
type Holder struct {
	Type      string `json:"type"`
	Parameter string `json:"parameter,omitempty"`
	Value     string `json:"value,omitempty"`
}

// Myself is the authenticated account (/myself).
type Myself struct {
	AccountID    string `json:"accountId"`
	AccountType  string `json:"accountType"`
	DisplayName  string `json:"displayName"`
	EmailAddress string `json:"emailAddress,omitempty"`
}

// OrgUser is a managed account from Admin API v1 /orgs/{orgId}/users.
type OrgUser struct {
	AccountID     string          `json:"account_id"`
	AccountType   string          `json:"account_type"`
	AccountStatus string          `json:"account_status"`
	Name          string          `json:"name"`
	Email         string          `json:"email,omitempty"`
	LastActive    string          `json:"last_active,omitempty"`
	ProductAccess []ProductAccess `json:"product_access,omitempty"`
}

// ProductAccess is one product an org user can use.
type ProductAccess struct {
	Key        string `json:"key"`
	Name       string `json:"name,omitempty"`
	URL        string `json:"url,omitempty"`
	LastActive string `json:"last_active,omitempty"`
}

// OrgGroup is a group from Admin API v2 /directories/-/groups.
type OrgGroup struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Counts.Users is how many members the directory counts (nil when the
	// API does not say).
	Counts *OrgGroupCounts `json:"counts,omitempty"`
}

// OrgGroupCounts are the counts of an Admin API group.
type OrgGroupCounts struct {
	Users *int64 `json:"users"`
}
