package access

import (
	"fmt"
	"strings"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/pipeline"
)

// Notes says which paths a run with filter f cannot resolve, because
// the kinds they need were filtered out, and which filters narrow the
// resolved rows. A run without filters gets none.
func Notes(app pipeline.Filter) []manifest.Warning {
	var notes []manifest.Warning
	missing := func(kinds ...model.RelationKind) []string {
		var out []string
		for _, k := range kinds {
			if !app.WantsRelation(k) {
				out = append(out, string(k))
			}
		}
		return out
	}
	note := func(scope, paths string, kinds []string) {
		if len(kinds) == 0 {
			return
		}
		notes = append(notes, manifest.Warning{Scope: scope, Message: fmt.Sprintf(
			"paths %s are not resolved: %s not extracted (appConfig.entityKinds or appConfig.relationKinds)", paths, strings.Join(kinds, ", ")+plural(kinds))})
	}
	perm, role := string(model.EffectivePermission), string(model.EffectiveRole)
	note(perm, "of every kind", missing(model.UsesScheme, model.HoldsPermission))
	note(perm, "group:GROUPID, project_role:ROLEID/group:GROUPID and application_role:KEY/group:GROUPID", missing(model.MemberOf))
	note(perm, "project_role:ROLEID and project_role:ROLEID/group:GROUPID", missing(model.HasRole))
	note(perm, "application_role:KEY/group:GROUPID", missing(model.ProductAccess))
	if !app.WantsRelation(model.LeadOf) && !app.WantsEntity(model.Project) {
		note(perm, "project_lead", []string{string(model.LeadOf)})
	}
	if !app.WantsEntity(model.User) {
		notes = append(notes, manifest.Warning{Scope: perm, Message: "path anyone is not resolved: user entities were not extracted (appConfig.entityKinds)"})
	}
	note(role, "of every kind", missing(model.HasRole))
	if app.WantsRelation(model.HasRole) {
		note(role, "group:GROUPID", missing(model.MemberOf))
	}
	var narrowed []string
	if len(app.AccountTypes) > 0 {
		narrowed = append(narrowed, "appConfig.accountTypes")
	}
	if app.ExcludeInactive {
		narrowed = append(narrowed, "appConfig.includeInactiveUsers=false")
	}
	if len(app.ProjectKeys) > 0 {
		narrowed = append(narrowed, "appConfig.projectKeys")
	}
	if len(narrowed) > 0 {
		notes = append(notes, manifest.Warning{Scope: "effective_access", Message: "effective_role and effective_permission cover only the users and projects the run kept (" + strings.Join(narrowed, ", ") + ")"})
	}
	return notes
}

func plural(kinds []string) string {
	if len(kinds) > 1 {
		return " were"
	}
	return " was"
}

// Options say whether a run resolves effective access, and for which
// permissions. The zero Options resolve every permission.
type Options struct {
	// Skip leaves out the effective_role and effective_permission tables
	// (output.effectiveAccess false).
	Skip bool
	// Permissions are the permission keys resolved into
	// effective_permission; nil resolves every permission a scheme grants.
	Permissions []string
}
