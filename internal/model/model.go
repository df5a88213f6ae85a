// Package model is the extractor's output vocabulary: the entity kinds
// (source types), the relation kinds, and the typed columns of each.
//
// It is shared by the extractor, which produces records, by the output
// writers, which turn them into Arrow tables, and by the Jira simulator, whose
// ground truth is expressed in the same terms so tests can compare the two.
package model

import (
	"encoding/json"
	"time"
)

// EntityType is the coarse class of an entity in a governance platform.
type EntityType string

// The three entity types.
const (
	Identity   EntityType = "identity"
	Resource   EntityType = "resource"
	Connection EntityType = "connection"
)

// SourceType names an entity kind: the `source_type` column and the
// `source_type=KIND` folder of the output.
type SourceType string

// The entity kinds.
const (
	User             SourceType = "user"
	Group            SourceType = "group"
	Project          SourceType = "project"
	Role             SourceType = "role"
	ProjectRole      SourceType = "project_role"
	ApplicationRole  SourceType = "application_role"
	PermissionScheme SourceType = "permission_scheme"
)

// SourceTypes lists every entity kind in output order.
var SourceTypes = []SourceType{User, Group, Project, Role, ProjectRole, ApplicationRole, PermissionScheme}

// EntityTypeOf maps an entity kind to its entity type.
func EntityTypeOf(s SourceType) EntityType {
	switch s {
	case User:
		return Identity
	case Project, PermissionScheme:
		return Resource
	default:
		return Connection
	}
}

// RelationKind names a relation kind: the `relation` column and the
// `relation=KIND` folder of the output. `from` holds, `to` is held.
type RelationKind string

// The relation kinds read from the site.
const (
	MemberOf        RelationKind = "member_of"        // user → group
	HasRole         RelationKind = "has_role"         // user or group → project_role
	RoleIn          RelationKind = "role_in"          // project_role → project
	InstanceOf      RelationKind = "instance_of"      // project_role → role
	LeadOf          RelationKind = "lead_of"          // user → project
	ProductAccess   RelationKind = "product_access"   // group → application_role
	UsesScheme      RelationKind = "uses_scheme"      // project → permission_scheme
	HoldsPermission RelationKind = "holds_permission" // holder → permission_scheme
)

// RelationKinds lists every relation kind read from the site, in output
// order. The derived kinds (DerivedRelationKinds) come after them.
var RelationKinds = []RelationKind{MemberOf, HasRole, RoleIn, InstanceOf, LeadOf, ProductAccess, UsesScheme, HoldsPermission}

// The derived relation kinds: effective access resolved from the kinds read.
const (
	// EffectiveRole: user → project_role, one row per user, project role and
	// path; metadata {"via": PATH}.
	EffectiveRole RelationKind = "effective_role"
	// EffectivePermission: user → project, one row per user, project,
	// permission and path; metadata {"permission": KEY, "via": PATH}.
	EffectivePermission RelationKind = "effective_permission"
)

// DerivedRelationKinds lists the relation kinds a run resolves from what it
// read rather than reads from the site, in output order.
var DerivedRelationKinds = []RelationKind{EffectiveRole, EffectivePermission}

// AllRelationKinds lists every relation kind of the output: the kinds read,
// then the derived ones.
func AllRelationKinds() []RelationKind {
	out := make([]RelationKind, 0, len(RelationKinds)+len(DerivedRelationKinds))
	out = append(out, RelationKinds...)
	return append(out, DerivedRelationKinds...)
}

// Entity is one row of an entity table.
//
// Attrs holds the kind's typed columns (see Columns), keyed by column name.
// Values are string, bool, int64 or time.Time; a missing key or a nil value
// is a null.
type Entity struct {
	SourceType SourceType
	SourceID   string
	Name       string
	Attrs      map[string]any
	// Metadata is JSON object text; "{}" when there is nothing to say.
	Metadata string
}

// EntityType returns the entity type of e's kind.
func (e Entity) EntityType() EntityType { return EntityTypeOf(e.SourceType) }

// Relation is one row of the relation table.
type Relation struct {
	Kind     RelationKind
	FromType string
	FromID   string
	ToType   string
	ToID     string
	// Metadata is JSON object text; "{}" when there is nothing to say.
	Metadata string
}

// Key identifies a relation row; two rows with the same key are duplicates.
func (r Relation) Key() string {
	return string(r.Kind) + "\x00" + r.FromType + "\x00" + r.FromID + "\x00" + r.ToType + "\x00" + r.ToID + "\x00" + r.Metadata
}

// Key identifies an entity row.
func (e Entity) Key() string { return string(e.SourceType) + "\x00" + e.SourceID }

// JSON renders a metadata object as compact JSON text with sorted keys, so
// the same content always gives the same text. A nil or empty map is "{}".
func JSON(m map[string]any) string {
	if len(m) == 0 {
		return "{}"
	}
	b, err := json.Marshal(m)
	if err != nil {
		// Only values that cannot be marshalled (channels, funcs) fail; the
		// model never builds such maps.
		panic("model: metadata is not JSON: " + err.Error())
	}
	return string(b)
}

// Time parses a Jira or Admin API timestamp (RFC 3339, with or without
// fractional seconds, or Jira's "2006-01-02T15:04:05.000-0700"). It reports
// false when s is empty or unparseable.
func Time(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
