package sim

import "github.com/govextract/jira-extractor/internal/model"

// SCIMTruth is what a correct extraction of the SCIM directory reads:
// every user (active and inactive), every group and every membership,
// built with the model's SCIM constructors. Faults never change it.
func (s *Server) SCIMTruth() Truth {
	s.siteMu.RLock()
	defer s.siteMu.RUnlock()
	d := s.scim.dir
	var t Truth
	for i := range d.users {
		t.Entities = append(t.Entities, model.NewSCIMUser(d.users[i].record()))
	}
	for i := range d.groups {
		g := &d.groups[i]
		t.Entities = append(t.Entities, model.NewSCIMGroup(g.id, g.displayName, g.extra()))
		for _, m := range g.members {
			t.Relations = append(t.Relations, model.SCIMMemberOfRel(model.User, m, g.id))
		}
	}
	return t
}

// record is the user as the connector maps it: typed columns, and the
// rest (userName, externalId, title, department, organization, the
// enterprise extension as "enterprise", other extensions by URN) as
// metadata.
func (u *scimUser) record() model.SCIMUserRecord {
	extra := map[string]any{"userName": u.userName}
	for k, v := range map[string]string{"externalId": u.externalID, "title": u.title, "department": u.department, "organization": u.organization} {
		if v != "" {
			extra[k] = v
		}
	}
	if n := u.nameMap(); n != nil {
		extra["name"] = n
	}
	if len(u.enterprise) > 0 {
		ent := map[string]any{}
		for k, v := range u.enterprise {
			ent[k] = v
		}
		extra["enterprise"] = ent
	}
	if u.badge != "" {
		extra["extensions"] = map[string]any{urnSimCustom: map[string]any{"badge": u.badge}}
	}
	return model.SCIMUserRecord{ID: u.id, AccountID: u.accountID, DisplayName: u.displayName, Active: u.active,
		Email: u.email, TimeZone: u.timezone, Locale: u.locale, Extra: extra}
}

func (g *scimGroup) extra() map[string]any {
	if g.externalID == "" {
		return nil
	}
	return map[string]any{"externalId": g.externalID}
}

// nameMap is the user's name object: its non-empty parts; nil when none.
func (u *scimUser) nameMap() map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{"givenName": u.givenName, "familyName": u.familyName, "formatted": u.displayName} {
		if v != "" {
			m[k] = v
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}
