package upload

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/govextract/jira-extractor/internal/model"
)

// SourceSystem is the Source System column of every row.
const SourceSystem = "jira"

// MetadataVersion is the Metadata Version column of every row.
const MetadataVersion = "1"

// EntityHeader is the header row of an entities CSV, in order.
var EntityHeader = []string{"App", "Name", "Entity Type", "Source System", "Source ID", "Source Type", "Metadata Version", "Metadata"}

// RelationHeader is the header row of a relations CSV, in order.
var RelationHeader = []string{"App", "Parent Entity Source ID", "Parent Entity Type", "Entity Source ID", "Entity Type", "Source System", "Metadata Version", "Metadata"}

// Relation metadata keys.
const (
	MetaConnectionType = "connectionType"
	MetaPrivilegeName  = "privilegeName"
	MetaPrivilegeValue = "privilegeValue"
	MetaProject        = "project"
	MetaRoleID         = "roleId"
)

// EntityRecord maps an entity to its CSV row. Metadata is the entity's typed
// columns (nulls left out, timestamps as RFC 3339 UTC) merged with its
// metadata object; a typed column wins over a metadata key of the same name.
func EntityRecord(app string, e model.Entity) ([]string, error) {
	meta := map[string]any{}
	if err := mergeJSON(meta, e.Metadata); err != nil {
		return nil, fmt.Errorf("entity %s %s: metadata: %w", e.SourceType, e.SourceID, err)
	}
	for k, v := range e.Attrs {
		switch t := v.(type) {
		case nil:
			continue
		case time.Time:
			meta[k] = t.UTC().Format(time.RFC3339Nano)
		default:
			meta[k] = v
		}
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("entity %s %s: metadata: %w", e.SourceType, e.SourceID, err)
	}
	return []string{app, e.Name, string(e.EntityType()), SourceSystem, e.SourceID, string(e.SourceType), MetadataVersion, string(b)}, nil
}

// Names maps ids to display names for relation metadata (role id → role
// name). A missing name falls back to the id.
type Names struct {
	Roles map[string]string
}

// RelationRecord maps a relation to its CSV row. The parent is the held
// (container) end, which is the relation's `to` side; the child is the
// holder, its `from` side. Both ends are named by source type, because
// identity/resource/connection alone does not identify an entity (projects
// and permission schemes are both resources with numeric ids).
//
// Metadata is the relation's own metadata object merged with
// connectionType (the relation kind) and, where they apply, privilegeName,
// privilegeValue, project and roleId; see the README's mapping table.
func RelationRecord(app string, r model.Relation, names Names) ([]string, error) {
	meta := map[string]any{}
	if err := mergeJSON(meta, r.Metadata); err != nil {
		return nil, fmt.Errorf("relation %s %s %s → %s %s: metadata: %w", r.Kind, r.FromType, r.FromID, r.ToType, r.ToID, err)
	}
	meta[MetaConnectionType] = string(r.Kind)
	switch r.Kind {
	case model.MemberOf:
		meta[MetaPrivilegeName] = "member"
	case model.HasRole:
		project, role, _ := model.SplitProjectRoleID(r.ToID)
		meta[MetaProject] = project
		meta[MetaRoleID] = role
		meta[MetaPrivilegeName] = names.role(role)
	case model.RoleIn, model.LeadOf:
		meta[MetaProject] = r.ToID
		if r.Kind == model.LeadOf {
			meta[MetaPrivilegeName] = "project_lead"
		}
	case model.InstanceOf:
		project, _, _ := model.SplitProjectRoleID(r.FromID)
		meta[MetaProject] = project
	case model.UsesScheme:
		meta[MetaProject] = r.FromID
	case model.ProductAccess:
		meta[MetaPrivilegeName] = r.ToID
		value := "non-default"
		if d, _ := meta["default"].(bool); d {
			value = "default"
		}
		meta[MetaPrivilegeValue] = value
	case model.HoldsPermission:
		if p, ok := meta["permission"].(string); ok {
			meta[MetaPrivilegeName] = p
		}
		meta[MetaPrivilegeValue] = "granted"
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("relation %s: metadata: %w", r.Kind, err)
	}
	return []string{app, r.ToID, r.ToType, r.FromID, r.FromType, SourceSystem, MetadataVersion, string(b)}, nil
}

func (n Names) role(id string) string {
	if name, ok := n.Roles[id]; ok && name != "" {
		return name
	}
	return id
}

// mergeJSON decodes a JSON object text into m; empty text is an empty object.
func mergeJSON(m map[string]any, text string) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(text), &obj); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	for k, v := range obj {
		m[k] = v
	}
	return nil
}

// entityKey is the compact key of an entity in the dangling check.
func entityKey(sourceType, id string) string { return sourceType + "\x00" + id }
