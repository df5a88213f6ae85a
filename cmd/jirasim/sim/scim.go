package sim

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// SCIMConfig configures the simulated SCIM directory (Atlassian's user
// provisioning API) served beside the site for the same organization:
// its credentials, its OAuth token endpoint and how it pages.
type SCIMConfig struct {
	// Token is the directory API key (Bearer). Default "sim-scim-key".
	Token string
	// BasicUser and BasicPassword are the Basic credentials a generic
	// SCIM server accepts. Defaults "scim-admin" and "sim-scim-password".
	BasicUser, BasicPassword string
	// ClientID and ClientSecret are the OAuth 2.0 client of the token
	// endpoint POST /oauth/token. Defaults "sim-scim-client" and
	// "sim-scim-client-secret".
	ClientID, ClientSecret string
	// RefreshToken is the refresh token the refresh_token grant accepts
	// first; each use rotates it (the old one stops working). Default
	// "sim-scim-refresh-token".
	RefreshToken string
	// TokenTTL is an access token's lifetime (expires_in). Default 1h.
	TokenTTL time.Duration
	// TokenMaxUses, when positive, makes an access token expire after
	// that many requests (answered 401 like an expired token), so a
	// client's mid-run refresh can be exercised without waiting.
	TokenMaxUses int
	// PageSize is the most resources one list page holds (default and
	// cap 100); it is declared as filter.maxResults.
	PageSize int
	// ShortPages makes list pages hold fewer resources than asked for
	// (never none before the end).
	ShortPages bool
	// NoPatch declares PATCH unsupported and answers 501 to it.
	NoPatch bool
	// NoFilter declares filtering unsupported and answers 400
	// invalidFilter to any filter.
	NoFilter bool
	// BareDiscoveryLists answers /ResourceTypes and /Schemas with a bare
	// JSON array instead of a ListResponse, as some servers do.
	BareDiscoveryLists bool
}

// Defaults of the SCIM credentials.
const (
	DefaultSCIMToken         = "sim-scim-key"
	DefaultSCIMBasicUser     = "scim-admin"
	DefaultSCIMBasicPassword = "sim-scim-password"
	DefaultSCIMClientID      = "sim-scim-client"
	DefaultSCIMClientSecret  = "sim-scim-client-secret"
	DefaultSCIMRefreshToken  = "sim-scim-refresh-token"
	scimMaxPage              = 100
)

func (c SCIMConfig) withDefaults() SCIMConfig {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Token, DefaultSCIMToken)
	def(&c.BasicUser, DefaultSCIMBasicUser)
	def(&c.BasicPassword, DefaultSCIMBasicPassword)
	def(&c.ClientID, DefaultSCIMClientID)
	def(&c.ClientSecret, DefaultSCIMClientSecret)
	def(&c.RefreshToken, DefaultSCIMRefreshToken)
	if c.TokenTTL <= 0 {
		c.TokenTTL = time.Hour
	}
	if c.PageSize <= 0 || c.PageSize > scimMaxPage {
		c.PageSize = scimMaxPage
	}
	return c
}

// SCIM URNs.
const (
	urnUser2         = "urn:ietf:params:scim:schemas:core:2.0:User"
	urnGroup2        = "urn:ietf:params:scim:schemas:core:2.0:Group"
	urnEnterprise2   = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	urnCore1         = "urn:scim:schemas:core:1.0"
	urnEnterprise1   = "urn:scim:schemas:extension:enterprise:1.0"
	urnAtlassian     = "urn:scim:schemas:extension:atlassian-external:1.0"
	urnSimCustom     = "urn:jirasim:scim:schemas:extension:badge:1.0"
	urnListResponse2 = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	urnError2        = "urn:ietf:params:scim:api:messages:2.0:Error"
	urnPatchOp2      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// scimUser is one user of the SCIM directory.
type scimUser struct {
	id, userName, externalID           string
	givenName, familyName, displayName string
	email                              string
	active                             bool
	title, department, organization    string
	timezone, locale                   string
	accountID                          string            // "" when no Atlassian account is linked
	enterprise                         map[string]string // enterprise extension attributes
	badge                              string            // the custom extension's one attribute
}

// scimGroup is one group of the SCIM directory.
type scimGroup struct {
	id, displayName, externalID string
	members                     []string // SCIM user ids, in order
}

// scimDir is the SCIM directory: built from the organization when the
// server starts, then changed only by SCIM writes. Server.siteMu guards it
// like the site.
type scimDir struct {
	users    []scimUser
	userIdx  map[string]int
	groups   []scimGroup
	groupIdx map[string]int
	seq      int // ids of created resources
}

// scimAuth holds the OAuth state: issued access tokens and the current
// refresh token. It has its own lock: the token endpoint and the
// authentication of SCIM requests run outside the site lock.
type scimAuth struct {
	mu      sync.Mutex
	tokens  map[string]*scimToken
	refresh string
	seq     int
	grants  map[string]int // grant type → tokens issued
}

type scimToken struct {
	expires time.Time
	uses    int
}

var scimTitles = []string{"Engineer", "Senior Engineer, \"Platform\"", "Manager", "Designer", "Analyst\nNight shift", "Director"}
var scimDepartments = []string{"R&D", "Sales, EMEA", "Support", "Finance", "Cafe\u0301 Ops"}

// buildSCIM derives the directory from the organization: every org
// account (inactive and closed ones inactive), every org group with the
// members the Admin API shows, plus directory-only users without an
// Atlassian account.
func buildSCIM(st *site) *scimDir {
	d := &scimDir{userIdx: map[string]int{}, groupIdx: map[string]int{}}
	byAccount := map[string]string{}
	for i := range st.orgUsers {
		ou := &st.orgUsers[i]
		u := scimUser{id: uuidOf("scim-user-" + ou.accountID), userName: ou.email, displayName: ou.name,
			email: ou.email, active: ou.status == "active" && !ou.suspended, accountID: ou.accountID,
			title: scimTitles[i%len(scimTitles)], department: scimDepartments[i%len(scimDepartments)], organization: "Acme, \"Org\" 🏢"}
		if u.userName == "" {
			u.userName = ou.accountID + "@scim.invalid"
		}
		f := strings.Fields(ou.name)
		if len(f) > 0 {
			u.givenName, u.familyName = f[0], strings.Join(f[1:], " ")
		}
		if ou.jira >= 0 {
			ju := &st.users[ou.jira]
			u.timezone, u.locale = ju.timeZone, strings.ReplaceAll(ju.locale, "_", "-")
		}
		if i%3 == 0 {
			u.externalID = "ext-" + strconv.Itoa(1000+i)
			u.enterprise = map[string]string{"employeeNumber": strconv.Itoa(1000 + i)}
			if i%2 == 0 {
				u.enterprise["costCenter"] = "CC, \"7\"\n" + strconv.Itoa(i)
			}
		}
		if i%7 == 0 {
			u.badge = "🛡️ B-" + strconv.Itoa(i)
		}
		byAccount[ou.accountID] = u.id
		d.addUser(u)
	}
	only := max(2, len(st.orgUsers)/40)
	for i := range only {
		name := []string{"Zoe\u0308 Scim-Only", "O'Brien, \"Pat\"", "Ren\u00e9e 🚀 Only"}[i%3] + " " + strconv.Itoa(i)
		d.addUser(scimUser{id: uuidOf("scim-only-" + strconv.Itoa(i)), userName: "scim.only+" + strconv.Itoa(i) + "@example.com",
			displayName: name, givenName: strings.Fields(name)[0], email: "scim.only+" + strconv.Itoa(i) + "@example.com",
			active: i%4 != 1, title: scimTitles[i%len(scimTitles)]})
	}
	for k := range st.orgGroups {
		og := &st.orgGroups[k]
		g := scimGroup{id: uuidOf("scim-group-" + og.id), displayName: og.name}
		var accounts []string
		if gi, jira := st.groupIdx[og.id]; jira {
			for _, m := range st.groups[gi].members {
				accounts = append(accounts, st.users[m].accountID)
			}
		} else {
			accounts = og.members
		}
		for _, a := range accounts {
			if id, ok := byAccount[a]; ok {
				g.members = append(g.members, id)
			}
		}
		if _, jira := st.groupIdx[og.id]; !jira {
			// Directory-only groups hold the directory-only users.
			for i := k % 2; i < only; i += 2 {
				g.members = append(g.members, d.users[len(st.orgUsers)+i].id)
			}
			g.externalID = "idp-" + og.id
		}
		d.groupIdx[g.id] = len(d.groups)
		d.groups = append(d.groups, g)
	}
	return d
}

func (d *scimDir) addUser(u scimUser) {
	d.userIdx[u.id] = len(d.users)
	d.users = append(d.users, u)
}

// removeUser deletes a user and its memberships.
func (d *scimDir) removeUser(id string) {
	i := d.userIdx[id]
	d.users = append(d.users[:i:i], d.users[i+1:]...)
	d.userIdx = make(map[string]int, len(d.users))
	for j := range d.users {
		d.userIdx[d.users[j].id] = j
	}
	for k := range d.groups {
		g := &d.groups[k]
		for j, m := range g.members {
			if m == id {
				g.members = append(g.members[:j:j], g.members[j+1:]...)
				break
			}
		}
	}
}

// userByName finds a user by userName (case-insensitive, as SCIM
// compares userName); -1 when there is none.
func (d *scimDir) userByName(name string) int {
	for i := range d.users {
		if strings.EqualFold(d.users[i].userName, name) {
			return i
		}
	}
	return -1
}

func (d *scimDir) nextID(kind string) string {
	d.seq++
	return uuidOf("scim-new-" + kind + "-" + strconv.Itoa(d.seq))
}
