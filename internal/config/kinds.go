package config

import "github.com/govextract/jira-extractor/internal/model"

func sourceTypeNames() []string {
	out := make([]string, len(model.SourceTypes))
	for i, s := range model.SourceTypes {
		out[i] = string(s)
	}
	return out
}

func relationKindNames() []string {
	out := make([]string, len(model.RelationKinds))
	for i, s := range model.RelationKinds {
		out[i] = string(s)
	}
	return out
}

// WantsEntity reports whether the entityKinds filter lets kind through
// (an empty filter extracts every kind).
func (a AppConfig) WantsEntity(kind model.SourceType) bool {
	return len(a.EntityKinds) == 0 || contains(a.EntityKinds, string(kind))
}

// WantsRelation reports whether the relationKinds filter lets kind through
// and the kinds at both of its ends are extracted.
func (a AppConfig) WantsRelation(kind model.RelationKind) bool {
	if len(a.RelationKinds) > 0 && !contains(a.RelationKinds, string(kind)) {
		return false
	}
	switch kind {
	case model.MemberOf:
		return a.WantsEntity(model.User) && a.WantsEntity(model.Group)
	case model.HasRole:
		return a.WantsEntity(model.ProjectRole)
	case model.RoleIn:
		return a.WantsEntity(model.ProjectRole) && a.WantsEntity(model.Project)
	case model.InstanceOf:
		return a.WantsEntity(model.ProjectRole) && a.WantsEntity(model.Role)
	case model.LeadOf:
		return a.WantsEntity(model.User) && a.WantsEntity(model.Project)
	case model.ProductAccess:
		return a.WantsEntity(model.Group) && a.WantsEntity(model.ApplicationRole)
	case model.UsesScheme:
		return a.WantsEntity(model.Project) && a.WantsEntity(model.PermissionScheme)
	case model.HoldsPermission:
		return a.WantsEntity(model.PermissionScheme)
	}
	return false
}

// WantsAccountType reports whether the accountTypes filter lets a user of
// this account type through (an empty filter keeps every type).
func (a AppConfig) WantsAccountType(t string) bool {
	return len(a.AccountTypes) == 0 || contains(a.AccountTypes, t)
}
