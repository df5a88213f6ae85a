package scim

import (
	"strings"

	"github.com/govextract/jira-extractor/internal/model"
)

// Schema URNs the connector knows by name.
const (
	URNAtlassianExternal = "urn:scim:schemas:extension:atlassian-external:1.0"
	URNEnterprise2       = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	URNEnterprise1       = "urn:scim:schemas:extension:enterprise:1.0"
	URNUser2             = "urn:ietf:params:scim:schemas:core:2.0:User"
	URNGroup2            = "urn:ietf:params:scim:schemas:core:2.0:Group"
	URNCore1             = "urn:scim:schemas:core:1.0"
	URNPatchOp           = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// User is a SCIM user resource as the server sent it.
type User map[string]any

// Group is a SCIM group resource as the server sent it.
type Group map[string]any

func str(v any) string {
	s, _ := v.(string)
	return s
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

// ID is the SCIM id.
func (u User) ID() string { return str(u["id"]) }

// UserName is the userName.
func (u User) UserName() string { return str(u["userName"]) }

// Active is the active flag (absent means active; "true"/"false"
// strings are accepted).
func (u User) Active() bool {
	switch v := u["active"].(type) {
	case bool:
		return v
	case string:
		return !strings.EqualFold(v, "false")
	}
	return true
}

// AccountID is the Atlassian account id of the atlassian-external
// extension, or "".
func (u User) AccountID() string {
	ext, _ := u[URNAtlassianExternal].(map[string]any)
	return str(ext["atlassianAccountId"])
}

// Email is the primary email, else the first one.
func (u User) Email() string {
	es, _ := u["emails"].([]any)
	first := ""
	for _, e := range es {
		m, _ := e.(map[string]any)
		v := str(m["value"])
		if first == "" {
			first = v
		}
		if p, _ := m["primary"].(bool); p {
			return v
		}
	}
	return first
}

// userColumns are the attributes with a typed column (or none at all:
// schemas, meta); everything else goes into the metadata.
var userColumns = map[string]bool{"schemas": true, "id": true, "meta": true, "displayName": true, "active": true,
	"emails": true, "timezone": true, "preferredLanguage": true, "password": true, "groups": true}

// Record maps the user to the output's columns: source_id the SCIM id,
// account_id the Atlassian account id, and every other attribute
// (userName, name, externalId, title, ...) in metadata, the enterprise
// extension (1.1 or 2.0) as "enterprise" and other extensions under
// "extensions" by URN.
func (u User) Record() model.SCIMUserRecord {
	rec := model.SCIMUserRecord{ID: u.ID(), AccountID: u.AccountID(), Active: u.Active(), Email: u.Email(),
		TimeZone: str(u["timezone"]), Locale: str(u["preferredLanguage"])}
	name, _ := u["name"].(map[string]any)
	rec.DisplayName = str(u["displayName"])
	if rec.DisplayName == "" {
		rec.DisplayName = str(name["formatted"])
	}
	if rec.DisplayName == "" {
		rec.DisplayName = u.UserName()
	}
	extra := map[string]any{}
	exts := map[string]any{}
	for k, v := range u {
		switch {
		case userColumns[k]:
		case k == URNEnterprise2 || k == URNEnterprise1:
			extra["enterprise"] = v
		case k == URNAtlassianExternal:
			if m, ok := v.(map[string]any); ok && len(m) > 1 {
				rest := map[string]any{}
				for kk, vv := range m {
					if kk != "atlassianAccountId" {
						rest[kk] = vv
					}
				}
				exts[k] = rest
			}
		case strings.HasPrefix(k, "urn:"):
			exts[k] = v
		default:
			extra[k] = v
		}
	}
	if len(exts) > 0 {
		extra["extensions"] = exts
	}
	rec.Extra = extra
	return rec
}

// ID is the SCIM id.
func (g Group) ID() string { return str(g["id"]) }

// DisplayName is the group's name.
func (g Group) DisplayName() string { return str(g["displayName"]) }

// Member is one member of a group.
type Member struct {
	ID string
	// Group is set for a nested group member (type "Group").
	Group bool
}

// Members lists the group's members.
func (g Group) Members() []Member {
	ms, _ := g["members"].([]any)
	out := make([]Member, 0, len(ms))
	for _, m := range ms {
		mm, _ := m.(map[string]any)
		if id := str(mm["value"]); id != "" {
			out = append(out, Member{ID: id, Group: strings.EqualFold(str(mm["type"]), "Group")})
		}
	}
	return out
}

// HasMember reports whether id is a member.
func (g Group) HasMember(id string) bool {
	for _, m := range g.Members() {
		if m.ID == id {
			return true
		}
	}
	return false
}

// Entity maps the group to its row: every attribute without a column
// (externalId, ...) in metadata.
func (g Group) Entity() model.Entity {
	extra := map[string]any{}
	for k, v := range g {
		switch k {
		case "schemas", "id", "meta", "displayName", "members":
		default:
			extra[k] = v
		}
	}
	return model.NewSCIMGroup(g.ID(), g.DisplayName(), extra)
}

// Relations are the group's member_of rows.
func (g Group) Relations() []model.Relation {
	ms := g.Members()
	out := make([]model.Relation, len(ms))
	for i, m := range ms {
		t := model.User
		if m.Group {
			t = model.Group
		}
		out[i] = model.SCIMMemberOfRel(t, m.ID, g.ID())
	}
	return out
}
