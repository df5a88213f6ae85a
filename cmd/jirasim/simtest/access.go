package simtest

import (
	"encoding/json"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/model"
)

// ExpectedAccess resolves effective access from a truth by the documented
// rules alone, with plain string maps: it shares no code with the resolver
// under test. perms nil means every permission. It calls emit with every
// effective_role and effective_permission row; a row may come more than
// once (a group in two products' groups, for "any logged-in user").
func ExpectedAccess(tr sim.Truth, perms []string, emit func(model.Relation)) {
	users := []string{}
	members := map[string][]string{}       // groupId → accountIds
	userActors := map[string][]string{}    // PROJECTID:ROLEID → accountIds
	groupActors := map[string][]string{}   // PROJECTID:ROLEID → groupIds
	lead := map[string]string{}            // project → accountId
	schemeOf := map[string]string{}        // project → scheme
	productGroups := map[string][]string{} // application key → groupIds
	type grant struct{ perm, typ, id string }
	grants := map[string][]grant{} // scheme → grants
	for _, e := range tr.Entities {
		if e.SourceType == model.User {
			users = append(users, e.SourceID)
		}
	}
	for _, r := range tr.Relations {
		switch r.Kind {
		case model.MemberOf:
			members[r.ToID] = append(members[r.ToID], r.FromID)
		case model.HasRole:
			if r.FromType == "user" {
				userActors[r.ToID] = append(userActors[r.ToID], r.FromID)
			} else {
				groupActors[r.ToID] = append(groupActors[r.ToID], r.FromID)
			}
		case model.LeadOf:
			lead[r.ToID] = r.FromID
		case model.UsesScheme:
			schemeOf[r.FromID] = r.ToID
		case model.ProductAccess:
			productGroups[r.ToID] = append(productGroups[r.ToID], r.FromID)
		case model.HoldsPermission:
			var md map[string]string
			_ = json.Unmarshal([]byte(r.Metadata), &md)
			grants[r.ToID] = append(grants[r.ToID], grant{md["permission"], r.FromType, r.FromID})
		}
	}
	role := func(user, pr, via string) {
		emit(model.Relation{Kind: model.EffectiveRole, FromType: "user", FromID: user, ToType: "project_role", ToID: pr, Metadata: `{"via":"` + via + `"}`})
	}
	perm := func(user, project, p, via string) {
		emit(model.Relation{Kind: model.EffectivePermission, FromType: "user", FromID: user, ToType: "project", ToID: project,
			Metadata: `{"permission":"` + p + `","via":"` + via + `"}`})
	}
	for pr, us := range userActors {
		for _, u := range us {
			role(u, pr, "user")
		}
	}
	for pr, gs := range groupActors {
		for _, g := range gs {
			for _, u := range members[g] {
				role(u, pr, "group:"+g)
			}
		}
	}
	wanted := func(p string) bool {
		if perms == nil {
			return true
		}
		for _, x := range perms {
			if x == p {
				return true
			}
		}
		return false
	}
	for project, scheme := range schemeOf {
		for _, g := range grants[scheme] {
			if !wanted(g.perm) {
				continue
			}
			switch g.typ {
			case "user":
				perm(g.id, project, g.perm, "user")
			case "group":
				for _, u := range members[g.id] {
					perm(u, project, g.perm, "group:"+g.id)
				}
			case "role":
				pr := project + ":" + g.id
				for _, u := range userActors[pr] {
					perm(u, project, g.perm, "project_role:"+g.id)
				}
				for _, gr := range groupActors[pr] {
					for _, u := range members[gr] {
						perm(u, project, g.perm, "project_role:"+g.id+"/group:"+gr)
					}
				}
			case "project_lead":
				if l, ok := lead[project]; ok {
					perm(l, project, g.perm, "project_lead")
				}
			case "application_role":
				for _, gr := range productGroups[g.id] {
					for _, u := range members[gr] {
						perm(u, project, g.perm, "application_role:"+g.id+"/group:"+gr)
					}
				}
			case "any_logged_in_user":
				for _, grs := range productGroups {
					for _, gr := range grs {
						for _, u := range members[gr] {
							perm(u, project, g.perm, "application_role:/group:"+gr)
						}
					}
				}
			case "anyone":
				for _, u := range users {
					perm(u, project, g.perm, "anyone")
				}
			}
		}
	}
}
