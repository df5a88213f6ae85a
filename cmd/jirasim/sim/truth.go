package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/govextract/jira-extractor/internal/model"
)

// TruthOptions chooses which truth to build.
type TruthOptions struct {
	// Org adds what the Admin API tells (emails Jira hides, account status,
	// last activity, product access, org-only users and groups).
	Org bool
	// OrgV2 (with Org) is the truth of a run that read the org's accounts
	// from the Admin API v2 because v1 is retired (Faults.OrgUsersV1Status):
	// no last active dates and no product access.
	OrgV2 bool
}

// orgFacts are what the Admin API tells of the account: its status, last
// active date and product access as v1 lists them, or (v2, v1 retired)
// only the v2 status.
func (u *orgUser) orgFacts(v2 bool) (status string, lastActive time.Time, products []string) {
	if v2 {
		return u.v2Status(), time.Time{}, nil
	}
	return u.status, u.lastActive, u.products
}

// Truth is what a correct extraction with default options reads from the
// site, built with the model constructors from the data served. It has no
// duplicate entity or relation keys. Faults never change it.
type Truth struct {
	Entities  []model.Entity
	Relations []model.Relation
}

// Truth builds the ground truth of the site as it is now (after every write).
func (s *Server) Truth(opts TruthOptions) Truth {
	s.siteMu.RLock()
	defer s.siteMu.RUnlock()
	return s.site.truth(opts)
}

func (st *site) truth(opts TruthOptions) Truth {
	var t Truth
	seenE := map[string]bool{}
	seenR := map[string]bool{}
	addE := func(e model.Entity) {
		if k := e.Key(); !seenE[k] {
			seenE[k] = true
			t.Entities = append(t.Entities, e)
		}
	}
	addR := func(r model.Relation) {
		if k := r.Key(); !seenR[k] {
			seenR[k] = true
			t.Relations = append(t.Relations, r)
		}
	}
	orgByID := map[string]*orgUser{}
	if opts.Org {
		for i := range st.orgUsers {
			orgByID[st.orgUsers[i].accountID] = &st.orgUsers[i]
		}
	}
	for i := range st.users {
		u := &st.users[i]
		if u.removed {
			continue
		}
		rec := model.UserRecord{AccountID: u.accountID, AccountType: u.accountType, DisplayName: u.displayName,
			Active: u.active, TimeZone: u.timeZone, Locale: u.locale}
		if !u.emailHidden {
			rec.Email = u.email
		}
		if ou := orgByID[u.accountID]; ou != nil {
			if rec.Email == "" {
				rec.Email = ou.email
			}
			rec.AccountStatus, rec.LastActive, rec.ProductAccess = ou.orgFacts(opts.OrgV2)
		}
		addE(model.NewUser(rec))
	}
	if opts.Org {
		for i := range st.orgUsers {
			ou := &st.orgUsers[i]
			if ou.jira >= 0 && !st.users[ou.jira].removed {
				continue
			}
			rec := model.UserRecord{AccountID: ou.accountID, AccountType: ou.accountType, DisplayName: ou.name, Email: ou.email}
			rec.AccountStatus, rec.LastActive, rec.ProductAccess = ou.orgFacts(opts.OrgV2)
			rec.Active = rec.AccountStatus == "active"
			addE(model.NewUser(rec))
		}
	}
	for i := range st.groups {
		addE(model.NewGroup(st.groups[i].id, st.groups[i].name, ""))
	}
	if opts.Org {
		for _, g := range st.orgGroups {
			if _, jira := st.groupIdx[g.id]; !jira {
				addE(model.NewGroup(g.id, g.name, g.description))
			}
		}
	}
	for i := range st.groups {
		g := &st.groups[i]
		for _, m := range g.members {
			addR(model.MemberOfRel(st.users[m].accountID, g.id))
		}
	}
	for i := range st.roles {
		r := &st.roles[i]
		addE(model.NewRole(strconv.FormatInt(r.id, 10), r.name, r.description))
	}
	for i := range st.projects {
		p := &st.projects[i]
		rec := model.ProjectRecord{ID: p.id, Key: p.key, Name: p.name, ProjectType: p.typeKey, Archived: p.archived, IsPrivate: p.isPrivate}
		if p.lead >= 0 {
			rec.LeadAccountID = st.users[p.lead].accountID
		}
		addE(model.NewProject(rec))
		if p.lead >= 0 {
			addR(model.LeadOfRel(rec.LeadAccountID, p.id))
		}
		for _, pr := range p.roles {
			r := &st.roles[pr.role]
			rid := strconv.FormatInt(r.id, 10)
			addE(model.NewProjectRole(p.id, p.key, rid, r.name))
			addR(model.RoleInRel(p.id, rid))
			addR(model.InstanceOfRel(p.id, rid))
			for _, a := range pr.actors {
				if a.user >= 0 {
					addR(model.HasRoleRel(model.User, st.users[a.user].accountID, p.id, rid))
				} else {
					addR(model.HasRoleRel(model.Group, st.groups[a.group].id, p.id, rid))
				}
			}
		}
		addR(model.UsesSchemeRel(p.id, strconv.FormatInt(st.schemes[p.scheme].id, 10)))
	}
	for i := range st.appRoles {
		a := &st.appRoles[i]
		addE(model.NewApplicationRole(a.key, a.name, a.userCount, a.seats))
		def := map[int32]bool{}
		for _, g := range a.defaults {
			def[g] = true
		}
		for _, g := range a.groups {
			addR(model.ProductAccessRel(st.groups[g].id, a.key, def[g]))
		}
	}
	for i := range st.schemes {
		sc := &st.schemes[i]
		sid := strconv.FormatInt(sc.id, 10)
		addE(model.NewPermissionScheme(sid, sc.name, sc.description))
		for _, g := range sc.grants {
			addR(model.HoldsPermissionRel(g.typ, g.parameter, g.value, sid, g.permission))
		}
	}
	return t
}

// EntityLine and RelationLine are the JSON-lines forms of the truth.
type EntityLine struct {
	Record     string         `json:"record"` // "entity"
	SourceType string         `json:"source_type"`
	SourceID   string         `json:"source_id"`
	EntityType string         `json:"entity_type"`
	Name       string         `json:"name"`
	Attrs      map[string]any `json:"attrs"`
	Metadata   string         `json:"metadata"`
}

// RelationLine is one relation of the truth as a JSON line.
type RelationLine struct {
	Record   string `json:"record"` // "relation"
	Relation string `json:"relation"`
	FromType string `json:"from_type"`
	FromID   string `json:"from_id"`
	ToType   string `json:"to_type"`
	ToID     string `json:"to_id"`
	Metadata string `json:"metadata"`
}

// Lines returns the truth as JSON-lines records: entities, then relations.
func (t Truth) Lines() []any {
	out := make([]any, 0, len(t.Entities)+len(t.Relations))
	for _, e := range t.Entities {
		out = append(out, EntityLine{Record: "entity", SourceType: string(e.SourceType), SourceID: e.SourceID,
			EntityType: string(e.EntityType()), Name: e.Name, Attrs: e.Attrs, Metadata: e.Metadata})
	}
	for _, r := range t.Relations {
		out = append(out, RelationLine{Record: "relation", Relation: string(r.Kind), FromType: r.FromType, FromID: r.FromID,
			ToType: r.ToType, ToID: r.ToID, Metadata: r.Metadata})
	}
	return out
}

// WriteJSONL writes the truth as JSON lines, one entity or relation a line.
func (t Truth) WriteJSONL(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, l := range t.Lines() {
		if err := enc.Encode(l); err != nil {
			return fmt.Errorf("write truth: %w", err)
		}
	}
	return nil
}
