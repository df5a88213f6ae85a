package sim

import (
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/model"
)

// Independent JSON shapes (the test does not trust the server's encoders).
type wUser struct {
	AccountID    string  `json:"accountId"`
	AccountType  string  `json:"accountType"`
	Active       bool    `json:"active"`
	DisplayName  string  `json:"displayName"`
	EmailAddress *string `json:"emailAddress"`
	TimeZone     string  `json:"timeZone"`
	Locale       string  `json:"locale"`
	Key          *string `json:"key"`
	Name         *string `json:"name"`
}

type wPage[T any] struct {
	Self       string `json:"self"`
	NextPage   string `json:"nextPage"`
	StartAt    int    `json:"startAt"`
	MaxResults int    `json:"maxResults"`
	Total      *int   `json:"total"`
	IsLast     *bool  `json:"isLast"`
	Values     []T    `json:"values"`
}

type wGroup struct {
	GroupID string `json:"groupId"`
	Name    string `json:"name"`
}

type wProject struct {
	ID             string `json:"id"`
	Key            string `json:"key"`
	Name           string `json:"name"`
	ProjectTypeKey string `json:"projectTypeKey"`
	IsPrivate      *bool  `json:"isPrivate"`
	Archived       bool   `json:"archived"`
	Lead           *wUser `json:"lead"`
}

type wRoleDetail struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

type wActorGroup struct {
	GroupID     string `json:"groupId"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
}

type wActor struct {
	ID          int64  `json:"id"`
	DisplayName string `json:"displayName"`
	Type        string `json:"type"`
	Name        string `json:"name"`
	ActorUser   *struct {
		AccountID string `json:"accountId"`
	} `json:"actorUser"`
	ActorGroup *wActorGroup `json:"actorGroup"`
}

type wRole struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Actors      []wActor `json:"actors"`
}

type wAppRole struct {
	Key                  string        `json:"key"`
	Name                 string        `json:"name"`
	Groups               []string      `json:"groups"`
	GroupDetails         []wActorGroup `json:"groupDetails"`
	DefaultGroups        []string      `json:"defaultGroups"`
	DefaultGroupsDetails []wActorGroup `json:"defaultGroupsDetails"`
	UserCount            *int64        `json:"userCount"`
	NumberOfSeats        *int64        `json:"numberOfSeats"`
}

type wScheme struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Permissions []struct {
		ID         int64  `json:"id"`
		Permission string `json:"permission"`
		Holder     struct {
			Type      string `json:"type"`
			Parameter string `json:"parameter"`
			Value     string `json:"value"`
		} `json:"holder"`
	} `json:"permissions"`
}

type wOrgUser struct {
	AccountID     string `json:"account_id"`
	AccountType   string `json:"account_type"`
	AccountStatus string `json:"account_status"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	LastActive    string `json:"last_active"`
	ProductAccess []struct {
		Key string `json:"key"`
	} `json:"product_access"`
}

// walked is what the test's own minimal walker saw.
type walked struct {
	ents  map[string]model.Entity
	order []string
	rels  map[string]model.Relation
}

func (w *walked) addE(t testing.TB, e model.Entity) {
	if _, dup := w.ents[e.Key()]; dup {
		t.Errorf("walker saw entity %s twice", e.Key())
	}
	w.ents[e.Key()] = e
	w.order = append(w.order, e.Key())
}

func (w *walked) addR(t testing.TB, r model.Relation) {
	if _, dup := w.rels[r.Key()]; dup {
		t.Errorf("walker saw relation %q twice", r.Key())
	}
	w.rels[r.Key()] = r
}

// walk reads the whole site with the fewest requests (page caps, isLast,
// empty-page stop for users/search), building entities and relations with
// the model constructors. prefix is "" for the site or the gateway path.
func walk(t testing.TB, c *client, prefix string) *walked {
	w := &walked{ents: map[string]model.Entity{}, rels: map[string]model.Relation{}}
	api := prefix + "/rest/api/3"
	var me wUser
	c.getJSON(api+"/myself", &me)
	if me.AccountID == "" {
		t.Fatal("myself has no accountId")
	}
	users := map[string]wUser{}
	for start := 0; ; {
		var page []wUser
		c.getJSON(fmt.Sprintf("%s/users/search?startAt=%d&maxResults=1000", api, start), &page)
		if len(page) == 0 {
			break
		}
		for _, u := range page {
			users[u.AccountID] = u
			rec := model.UserRecord{AccountID: u.AccountID, AccountType: u.AccountType, DisplayName: u.DisplayName,
				Active: u.Active, TimeZone: u.TimeZone, Locale: u.Locale}
			if u.EmailAddress != nil {
				rec.Email = *u.EmailAddress
			}
			w.addE(t, model.NewUser(rec))
		}
		start += len(page)
	}
	var groups []wGroup
	for start := 0; ; {
		var page wPage[wGroup]
		c.getJSON(fmt.Sprintf("%s/group/bulk?startAt=%d&maxResults=50", api, start), &page)
		groups = append(groups, page.Values...)
		start += len(page.Values)
		if *page.IsLast {
			break
		}
	}
	for _, g := range groups {
		w.addE(t, model.NewGroup(g.GroupID, g.Name, ""))
		for start := 0; ; {
			var page wPage[wUser]
			c.getJSON(fmt.Sprintf("%s/group/member?groupId=%s&includeInactiveUsers=true&startAt=%d&maxResults=50", api, url.QueryEscape(g.GroupID), start), &page)
			for _, u := range page.Values {
				w.addR(t, model.MemberOfRel(u.AccountID, g.GroupID))
			}
			start += len(page.Values)
			if *page.IsLast {
				break
			}
		}
	}
	var projects []wProject
	for start := 0; ; {
		var page wPage[wProject]
		c.getJSON(fmt.Sprintf("%s/project/search?startAt=%d&maxResults=100&status=live&status=archived&expand=lead", api, start), &page)
		projects = append(projects, page.Values...)
		start += len(page.Values)
		if *page.IsLast {
			break
		}
	}
	for _, p := range projects {
		rec := model.ProjectRecord{ID: p.ID, Key: p.Key, Name: p.Name, ProjectType: p.ProjectTypeKey, Archived: p.Archived, IsPrivate: p.IsPrivate}
		if p.Lead != nil {
			rec.LeadAccountID = p.Lead.AccountID
			w.addR(t, model.LeadOfRel(p.Lead.AccountID, p.ID))
		}
		w.addE(t, model.NewProject(rec))
		var details []wRoleDetail
		c.getJSON(api+"/project/"+p.ID+"/roledetails", &details)
		for _, d := range details {
			rid := strconv.FormatInt(d.ID, 10)
			var r wRole
			c.getJSON(api+"/project/"+p.ID+"/role/"+rid, &r)
			w.addE(t, model.NewProjectRole(p.ID, p.Key, rid, r.Name))
			w.addR(t, model.RoleInRel(p.ID, rid))
			w.addR(t, model.InstanceOfRel(p.ID, rid))
			for _, a := range r.Actors {
				switch a.Type {
				case "atlassian-user-role-actor":
					w.addR(t, model.HasRoleRel(model.User, a.ActorUser.AccountID, p.ID, rid))
				case "atlassian-group-role-actor":
					w.addR(t, model.HasRoleRel(model.Group, a.ActorGroup.GroupID, p.ID, rid))
				default:
					t.Errorf("unknown actor type %q", a.Type)
				}
			}
		}
		var sc wScheme
		c.getJSON(api+"/project/"+p.ID+"/permissionscheme", &sc)
		w.addR(t, model.UsesSchemeRel(p.ID, strconv.FormatInt(sc.ID, 10)))
	}
	var roles []wRole
	c.getJSON(api+"/role", &roles)
	for _, r := range roles {
		w.addE(t, model.NewRole(strconv.FormatInt(r.ID, 10), r.Name, r.Description))
	}
	var apps []wAppRole
	c.getJSON(api+"/applicationrole", &apps)
	for _, a := range apps {
		uc, seats := int64(-1), int64(-1)
		if a.UserCount != nil {
			uc = *a.UserCount
		}
		if a.NumberOfSeats != nil {
			seats = *a.NumberOfSeats
		}
		w.addE(t, model.NewApplicationRole(a.Key, a.Name, uc, seats))
		def := map[string]bool{}
		for _, g := range a.DefaultGroupsDetails {
			def[g.GroupID] = true
		}
		for _, g := range a.GroupDetails {
			w.addR(t, model.ProductAccessRel(g.GroupID, a.Key, def[g.GroupID]))
		}
	}
	var schemes struct {
		PermissionSchemes []wScheme `json:"permissionSchemes"`
	}
	c.getJSON(api+"/permissionscheme?expand=permissions", &schemes)
	for _, sc := range schemes.PermissionSchemes {
		sid := strconv.FormatInt(sc.ID, 10)
		w.addE(t, model.NewPermissionScheme(sid, sc.Name, sc.Description))
		for _, g := range sc.Permissions {
			w.addR(t, model.HoldsPermissionRel(g.Holder.Type, g.Holder.Parameter, g.Holder.Value, sid, g.Permission))
		}
	}
	return w
}

// walkOrg adds the Admin API: v1 users (following full-URL links.next) and
// v2 groups (cursor strings, limit=100).
func walkOrg(t testing.TB, w *walked, c *client, orgID string) {
	next := "/admin/v1/orgs/" + orgID + "/users"
	for next != "" {
		var page struct {
			Data  []wOrgUser `json:"data"`
			Links struct {
				Next string `json:"next"`
			} `json:"links"`
		}
		c.getJSON(next, &page)
		if page.Links.Next != "" {
			if u, err := url.Parse(page.Links.Next); err != nil || !u.IsAbs() {
				t.Fatalf("v1 links.next %q is not a full URL", page.Links.Next)
			}
		}
		next = page.Links.Next
		for _, ou := range page.Data {
			products := []string{}
			for _, p := range ou.ProductAccess {
				products = append(products, p.Key)
			}
			var last time.Time
			if ou.LastActive != "" {
				var ok bool
				if last, ok = model.Time(ou.LastActive); !ok {
					t.Fatalf("bad last_active %q", ou.LastActive)
				}
			}
			key := string(model.User) + "\x00" + ou.AccountID
			if e, ok := w.ents[key]; ok {
				rec := model.UserRecord{AccountID: e.SourceID, AccountType: e.Attrs["account_type"].(string), DisplayName: e.Name,
					Active: e.Attrs["active"].(bool), AccountStatus: ou.AccountStatus, LastActive: last, ProductAccess: products}
				rec.Email, _ = e.Attrs["email"].(string)
				if rec.Email == "" {
					rec.Email = ou.Email
				}
				rec.TimeZone, _ = e.Attrs["time_zone"].(string)
				rec.Locale, _ = e.Attrs["locale"].(string)
				w.ents[key] = model.NewUser(rec)
				continue
			}
			w.addE(t, model.NewUser(model.UserRecord{AccountID: ou.AccountID, AccountType: ou.AccountType, DisplayName: ou.Name,
				Active: ou.AccountStatus == "active", Email: ou.Email, AccountStatus: ou.AccountStatus, LastActive: last, ProductAccess: products}))
		}
	}
	cursor := ""
	for {
		var page struct {
			Data []struct {
				ID          string `json:"id"`
				Name        string `json:"name"`
				Description string `json:"description"`
			} `json:"data"`
			Links struct {
				Next string `json:"next"`
			} `json:"links"`
		}
		c.getJSON("/admin/v2/orgs/"+orgID+"/directories/-/groups?limit=100&cursor="+url.QueryEscape(cursor), &page)
		for _, g := range page.Data {
			if _, jira := w.ents[string(model.Group)+"\x00"+g.ID]; !jira {
				w.addE(t, model.NewGroup(g.ID, g.Name, g.Description))
			}
		}
		if page.Links.Next == "" {
			break
		}
		cursor = page.Links.Next
	}
}

// compareTruth checks that the walk and the truth have the same rows.
func compareTruth(t testing.TB, tr Truth, w *walked) {
	t.Helper()
	te := map[string]model.Entity{}
	for _, e := range tr.Entities {
		if _, dup := te[e.Key()]; dup {
			t.Errorf("truth has duplicate entity %q", e.Key())
		}
		te[e.Key()] = e
	}
	tRel := map[string]bool{}
	for _, r := range tr.Relations {
		if tRel[r.Key()] {
			t.Errorf("truth has duplicate relation %q", r.Key())
		}
		tRel[r.Key()] = true
	}
	bad := 0
	for k, e := range te {
		we, ok := w.ents[k]
		if !ok {
			t.Errorf("truth entity %q not seen by the walker", k)
		} else if !entityEqual(e, we) {
			t.Errorf("entity %q differs:\ntruth  %+v\nwalked %+v", k, e, we)
		}
		if bad++; t.Failed() && bad > 20 {
			t.FailNow()
		}
	}
	for k := range w.ents {
		if _, ok := te[k]; !ok {
			t.Errorf("walked entity %q not in truth", k)
		}
	}
	var missing, extra []string
	for k := range tRel {
		if _, ok := w.rels[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range w.rels {
		if !tRel[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 {
		t.Errorf("relations: %d in truth not walked (first %q), %d walked not in truth (first %q)", len(missing), first(missing), len(extra), first(extra))
	}
	if len(tr.Entities) != len(w.ents) || len(tr.Relations) != len(w.rels) {
		t.Errorf("counts: truth %d/%d, walked %d/%d", len(tr.Entities), len(tr.Relations), len(w.ents), len(w.rels))
	}
}

func first(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[0]
}

func entityEqual(a, b model.Entity) bool {
	if a.SourceType != b.SourceType || a.SourceID != b.SourceID || a.Name != b.Name || a.Metadata != b.Metadata || len(a.Attrs) != len(b.Attrs) {
		return false
	}
	for k, v := range a.Attrs {
		w, ok := b.Attrs[k]
		if !ok {
			return false
		}
		if tv, isTime := v.(time.Time); isTime {
			tw, ok := w.(time.Time)
			if !ok || !tv.Equal(tw) {
				return false
			}
			continue
		}
		if !reflect.DeepEqual(v, w) {
			return false
		}
	}
	return true
}

func TestWalkCoversTruthAndFloor(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
	}{
		{"small", Config{Size: "small", Seed: 3}},
		{"tiny-dataset", Config{DatasetFile: "../../../testdata/sites/tiny.json"}},
		{"hostile-dataset", Config{DatasetFile: "../../../testdata/sites/hostile.json"}},
		{"explicit-2000", Config{Users: 2000, Groups: 60, Projects: 130, MeanMembersPerGroup: 30, Seed: 9}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, base := startSim(t, tc.cfg)
			c := newClient(t, base)
			w := walk(t, c, "")
			compareTruth(t, s.Truth(TruthOptions{}), w)
			st := s.Stats()
			if int64(c.requests) != st.Floor {
				t.Errorf("minimal walker made %d requests, Floor = %d", c.requests, st.Floor)
			}
			if st.Requests != int64(c.requests) {
				t.Errorf("server counted %d requests, walker made %d", st.Requests, c.requests)
			}
			if st.ByStatus[200] != int64(c.requests) {
				t.Errorf("by_status[200] = %d, want %d", st.ByStatus[200], c.requests)
			}

			s.ResetStats()
			oc := newClient(t, base)
			oc.bearer = DefaultOrgAPIKey
			walkOrg(t, w, oc, DefaultOrgID)
			compareTruth(t, s.Truth(TruthOptions{Org: true}), w)
			if got := int64(c.requests + oc.requests); got != s.Stats().FloorOrg {
				t.Errorf("org walker made %d requests, FloorOrg = %d", got, s.Stats().FloorOrg)
			}
		})
	}
}

func TestWalkThroughGatewayWithScopedToken(t *testing.T) {
	s, base := startSim(t, Config{DatasetFile: "../../../testdata/sites/tiny.json"})
	c := newClient(t, base).with(DefaultScopedToken)
	w := walk(t, c, "/ex/jira/"+s.CloudID())
	compareTruth(t, s.Truth(TruthOptions{}), w)
	st := s.Stats()
	if st.Requests != st.Floor {
		t.Errorf("gateway walk: %d requests, floor %d", st.Requests, st.Floor)
	}
	if st.ByEndpoint["GET /rest/api/3/myself"] != 1 {
		t.Errorf("gateway requests must count under the site's route key: %v", st.ByEndpoint)
	}
}
