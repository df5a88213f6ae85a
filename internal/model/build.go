package model

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"
)

// The constructors below are the single definition of how Jira objects become
// rows. The extractor and the simulator's ground truth both call them, so a
// difference between an extraction and the truth is a difference in data, not
// in convention.

// UserRecord carries what Jira (and optionally the Admin API) says of a user.
// Empty strings and a zero LastActive become nulls.
type UserRecord struct {
	AccountID     string
	AccountType   string
	DisplayName   string
	Active        bool
	Email         string
	TimeZone      string
	Locale        string
	AccountStatus string    // Admin API only
	LastActive    time.Time // Admin API only
	ProductAccess []string  // Admin API only; nil means unknown
}

// NewUser builds a user entity. Its name is the display name.
func NewUser(u UserRecord) Entity {
	attrs := map[string]any{
		"account_type": u.AccountType,
		"active":       u.Active,
		"display_name": u.DisplayName,
	}
	putString(attrs, "email", u.Email)
	putString(attrs, "time_zone", u.TimeZone)
	putString(attrs, "locale", u.Locale)
	putString(attrs, "account_status", u.AccountStatus)
	if !u.LastActive.IsZero() {
		attrs["last_active"] = u.LastActive.UTC().Truncate(time.Millisecond)
	}
	if u.ProductAccess != nil {
		b, _ := json.Marshal(u.ProductAccess)
		attrs["product_access"] = string(b)
	}
	return Entity{SourceType: User, SourceID: u.AccountID, Name: u.DisplayName, Attrs: attrs, Metadata: "{}"}
}

// NewGroup builds a group entity; description is empty for Jira groups.
func NewGroup(groupID, name, description string) Entity {
	attrs := map[string]any{}
	putString(attrs, "description", description)
	return Entity{SourceType: Group, SourceID: groupID, Name: name, Attrs: attrs, Metadata: "{}"}
}

// ProjectRecord carries what Jira says of a project.
type ProjectRecord struct {
	ID            string
	Key           string
	Name          string
	ProjectType   string
	Archived      bool
	IsPrivate     *bool
	LeadAccountID string
}

// NewProject builds a project entity.
func NewProject(p ProjectRecord) Entity {
	attrs := map[string]any{"key": p.Key, "archived": p.Archived}
	putString(attrs, "project_type", p.ProjectType)
	putString(attrs, "lead_account_id", p.LeadAccountID)
	if p.IsPrivate != nil {
		attrs["is_private"] = *p.IsPrivate
	}
	return Entity{SourceType: Project, SourceID: p.ID, Name: p.Name, Attrs: attrs, Metadata: "{}"}
}

// NewRole builds a global project role entity.
func NewRole(roleID, name, description string) Entity {
	attrs := map[string]any{}
	putString(attrs, "description", description)
	return Entity{SourceType: Role, SourceID: roleID, Name: name, Attrs: attrs, Metadata: "{}"}
}

// ProjectRoleID is the source_id of a role within a project: "PROJECTID:ROLEID".
func ProjectRoleID(projectID, roleID string) string { return projectID + ":" + roleID }

// SplitProjectRoleID splits a ProjectRoleID at its last colon: role ids are
// numeric, while a project id may itself hold a colon. ok is false when
// either part is empty.
func SplitProjectRoleID(id string) (projectID, roleID string, ok bool) {
	i := strings.LastIndexByte(id, ':')
	if i <= 0 || i == len(id)-1 {
		return "", "", false
	}
	return id[:i], id[i+1:], true
}

// NewProjectRole builds the entity of a role within one project. Its name is
// the role's name; project_key says which project.
func NewProjectRole(projectID, projectKey, roleID, roleName string) Entity {
	attrs := map[string]any{"project_id": projectID, "project_key": projectKey, "role_id": roleID}
	return Entity{SourceType: ProjectRole, SourceID: ProjectRoleID(projectID, roleID), Name: roleName, Attrs: attrs, Metadata: "{}"}
}

// NewApplicationRole builds an application role (product access) entity;
// negative counts are unknown and become nulls.
func NewApplicationRole(key, name string, userCount, seats int64) Entity {
	attrs := map[string]any{}
	if userCount >= 0 {
		attrs["user_count"] = userCount
	}
	if seats >= 0 {
		attrs["number_of_seats"] = seats
	}
	return Entity{SourceType: ApplicationRole, SourceID: key, Name: name, Attrs: attrs, Metadata: "{}"}
}

// NewPermissionScheme builds a permission scheme entity.
func NewPermissionScheme(schemeID, name, description string) Entity {
	attrs := map[string]any{}
	putString(attrs, "description", description)
	return Entity{SourceType: PermissionScheme, SourceID: schemeID, Name: name, Attrs: attrs, Metadata: "{}"}
}

func putString(attrs map[string]any, key, v string) {
	if v != "" {
		attrs[key] = v
	}
}

// MemberOfRel: a user is a member of a group (inactive users too).
func MemberOfRel(accountID, groupID string) Relation {
	return Relation{Kind: MemberOf, FromType: string(User), FromID: accountID, ToType: string(Group), ToID: groupID, Metadata: "{}"}
}

// HasRoleRel: a role actor holds a role in a project. actorType is User or
// Group; actorID is the accountId or groupId.
func HasRoleRel(actorType SourceType, actorID, projectID, roleID string) Relation {
	return Relation{Kind: HasRole, FromType: string(actorType), FromID: actorID, ToType: string(ProjectRole), ToID: ProjectRoleID(projectID, roleID), Metadata: "{}"}
}

// RoleInRel: a project role belongs to its project.
func RoleInRel(projectID, roleID string) Relation {
	return Relation{Kind: RoleIn, FromType: string(ProjectRole), FromID: ProjectRoleID(projectID, roleID), ToType: string(Project), ToID: projectID, Metadata: "{}"}
}

// InstanceOfRel: a project role is an instance of a global role.
func InstanceOfRel(projectID, roleID string) Relation {
	return Relation{Kind: InstanceOf, FromType: string(ProjectRole), FromID: ProjectRoleID(projectID, roleID), ToType: string(Role), ToID: roleID, Metadata: "{}"}
}

// LeadOfRel: a user leads a project.
func LeadOfRel(accountID, projectID string) Relation {
	return Relation{Kind: LeadOf, FromType: string(User), FromID: accountID, ToType: string(Project), ToID: projectID, Metadata: "{}"}
}

// ProductAccessRel: a group grants an application role; isDefault says it is
// one of the role's default groups.
func ProductAccessRel(groupID, appKey string, isDefault bool) Relation {
	return Relation{Kind: ProductAccess, FromType: string(Group), FromID: groupID, ToType: string(ApplicationRole), ToID: appKey, Metadata: JSON(map[string]any{"default": isDefault})}
}

// UsesSchemeRel: a project uses a permission scheme.
func UsesSchemeRel(projectID, schemeID string) Relation {
	return Relation{Kind: UsesScheme, FromType: string(Project), FromID: projectID, ToType: string(PermissionScheme), ToID: schemeID, Metadata: "{}"}
}

// HoldsPermissionRel: a permission grant of a scheme. holderType, parameter
// and value are Jira's holder fields; permission is e.g. BROWSE_PROJECTS.
func HoldsPermissionRel(holderType, parameter, value, schemeID, permission string) Relation {
	fromType, fromID := Holder(holderType, parameter, value)
	return Relation{Kind: HoldsPermission, FromType: fromType, FromID: fromID, ToType: string(PermissionScheme), ToID: schemeID,
		Metadata: JSON(map[string]any{"permission": permission})}
}

// Holder maps a Jira permission holder to a relation's from_type and from_id:
//
//	user → user/accountId (value)       group → group/groupId (value, else parameter)
//	projectRole → role/role id (value)  applicationRole → application_role/key (parameter,
//	                                     else value); without a key: any_logged_in_user/""
//	anyone, projectLead, reporter, assignee, sd.customer.portal.only → snake_case type, ""
//	groupCustomField, userCustomField → snake_case type / custom field id (parameter)
//
// Unknown holder types keep their name in snake_case with parameter (or value) as id.
func Holder(holderType, parameter, value string) (fromType, fromID string) {
	switch holderType {
	case "user":
		return string(User), firstNonEmpty(value, parameter)
	case "group":
		return string(Group), firstNonEmpty(value, parameter)
	case "projectRole":
		return string(Role), firstNonEmpty(value, parameter)
	case "applicationRole":
		// value repeats parameter for every holder but a group's; either
		// may be the one sent.
		key := firstNonEmpty(parameter, value)
		if key == "" {
			return "any_logged_in_user", ""
		}
		return string(ApplicationRole), key
	case "anyone", "projectLead", "reporter", "assignee", "sd.customer.portal.only":
		return SnakeCase(holderType), ""
	default:
		return SnakeCase(holderType), firstNonEmpty(parameter, value)
	}
}

// SpecialHolder reports whether a from_type names a holder that is not an
// entity of the site (anyone, project_lead, ...).
func SpecialHolder(fromType string) bool {
	switch SourceType(fromType) {
	case User, Group, Role, ApplicationRole, ProjectRole, Project, PermissionScheme:
		return false
	}
	return true
}

// SnakeCase turns "groupCustomField" or "sd.customer.portal.only" into
// "group_custom_field" or "sd_customer_portal_only".
func SnakeCase(s string) string {
	var b strings.Builder
	prevUnderscore := true
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			if !prevUnderscore {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			prevUnderscore = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
			prevUnderscore = false
		default:
			if !prevUnderscore {
				b.WriteByte('_')
				prevUnderscore = true
			}
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
