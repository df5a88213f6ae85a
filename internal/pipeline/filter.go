package pipeline

import (
	"slices"

	"github.com/govextract/jira-extractor/internal/model"
)

// Filter says which rows a run keeps. The zero Filter keeps everything.
type Filter struct {
	// ProjectKeys keeps only these projects (empty: every project).
	ProjectKeys []string
	// AccountTypes keeps only users of these account types (empty: all).
	AccountTypes []string
	// EntityKinds and RelationKinds keep only these kinds (empty: all).
	EntityKinds   []string
	RelationKinds []string
	// ExcludeInactive drops inactive users (appConfig.includeInactiveUsers
	// set to false).
	ExcludeInactive bool
}

// IncludeInactive reports whether inactive users are kept.
func (f Filter) IncludeInactive() bool { return !f.ExcludeInactive }

// WantsEntity reports whether the entity kinds filter lets kind through
// (an empty filter extracts every kind).
func (f Filter) WantsEntity(kind model.SourceType) bool {
	return len(f.EntityKinds) == 0 || slices.Contains(f.EntityKinds, string(kind))
}

// WantsRelation reports whether the relation kinds filter lets kind through
// and the kinds at both of its ends are extracted.
func (f Filter) WantsRelation(kind model.RelationKind) bool {
	if len(f.RelationKinds) > 0 && !slices.Contains(f.RelationKinds, string(kind)) {
		return false
	}
	switch kind {
	case model.MemberOf:
		return f.WantsEntity(model.User) && f.WantsEntity(model.Group)
	case model.HasRole:
		return f.WantsEntity(model.ProjectRole)
	case model.RoleIn:
		return f.WantsEntity(model.ProjectRole) && f.WantsEntity(model.Project)
	case model.InstanceOf:
		return f.WantsEntity(model.ProjectRole) && f.WantsEntity(model.Role)
	case model.LeadOf:
		return f.WantsEntity(model.User) && f.WantsEntity(model.Project)
	case model.ProductAccess:
		return f.WantsEntity(model.Group) && f.WantsEntity(model.ApplicationRole)
	case model.UsesScheme:
		return f.WantsEntity(model.Project) && f.WantsEntity(model.PermissionScheme)
	case model.HoldsPermission:
		return f.WantsEntity(model.PermissionScheme)
	}
	return false
}

// WantsAccountType reports whether the account types filter lets a user of
// this account type through (an empty filter keeps every type).
func (f Filter) WantsAccountType(t string) bool {
	return len(f.AccountTypes) == 0 || slices.Contains(f.AccountTypes, t)
}
