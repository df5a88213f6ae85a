package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Generate builds the dataset a Config describes (preset, counts, seed). The
// same Config always gives the same dataset.
func Generate(cfg Config) (*Dataset, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	g := &generator{rng: rand.New(rand.NewPCG(uint64(c.Seed), 0x9e3779b97f4a7c15)), cfg: c}
	return g.run(), nil
}

type generator struct {
	rng   *rand.Rand
	cfg   Config
	d     *Dataset
	stamp []int32
	tag   int32
}

var emailCleaner = strings.NewReplacer(" ", "", "'", "")

// refTime anchors generated timestamps so a seed always gives the same data.
var refTime = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func (g *generator) uuid(n int) string {
	a, b := g.rng.Uint64(), g.rng.Uint32()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%04x%08x", uint32(a>>32), uint16(a>>16), uint16(a)&0xfff,
		0x8000|uint16(b>>16)&0x3fff, uint16(b), uint32(n))
}

func (g *generator) hex24(n int) string {
	return fmt.Sprintf("%016x%08x", g.rng.Uint64(), uint32(n))
}

func (g *generator) run() *Dataset {
	c := g.cfg
	g.d = &Dataset{Name: c.SiteName, CloudID: c.CloudID}
	g.stamp = make([]int32, c.Users)
	g.users(c.Users)
	g.d.Myself = g.d.Users[0].AccountID
	g.groups(c.Groups, c.MeanMembersPerGroup)
	g.roles()
	nSchemes := c.Schemes
	if nSchemes <= 0 {
		nSchemes = min(30, max(3, c.Projects/50+2))
	}
	g.schemes(nSchemes)
	g.projects(c.Projects)
	g.appRoles()
	g.org()
	return g.d
}

func (g *generator) users(n int) {
	d := g.d
	d.Users = make([]DatasetUser, n)
	hostile := 0
	for i := 0; i < n; i++ {
		u := &d.Users[i]
		if i == 0 {
			*u = DatasetUser{AccountID: "557058:" + g.uuid(i), AccountType: "atlassian", DisplayName: "Sim Admin",
				Email: DefaultEmail, Active: true, TimeZone: "Europe/Berlin", Locale: "en_US"}
			continue
		}
		r := g.rng.Float64()
		switch {
		case r < 0.85:
			u.AccountType = "atlassian"
		case r < 0.90:
			u.AccountType = "app"
		default:
			u.AccountType = "customer"
		}
		first, last := firstNames[g.rng.IntN(len(firstNames))], lastNames[g.rng.IntN(len(lastNames))]
		switch u.AccountType {
		case "atlassian":
			if g.rng.IntN(10) < 7 {
				u.AccountID = "557058:" + g.uuid(i)
			} else {
				u.AccountID = g.hex24(i)
			}
			u.DisplayName = first + " " + last
			local := strings.ToLower(emailCleaner.Replace(first + "." + last))
			if g.rng.IntN(10) == 0 {
				local += "+jira"
			}
			u.Email = local + strconv.Itoa(i) + "@example.com"
			if g.rng.IntN(25) == 0 {
				u.Email = strings.ToUpper(local[:1]) + local[1:] + "+" + strconv.Itoa(i) + "@Example.COM"
			}
		case "app":
			if g.rng.IntN(2) == 0 {
				u.AccountID = g.hex24(i)
			} else {
				u.AccountID = "712020:" + g.uuid(i)
			}
			u.DisplayName = appNames[g.rng.IntN(len(appNames))]
		case "customer":
			u.AccountID = "qm:" + g.uuid(i) + ":" + g.uuid(i)
			u.DisplayName = first + " " + last + " (customer)"
			u.Email = "customer+" + strconv.Itoa(i) + "@mail.example.org"
		}
		// Hostile display names: the first ones cover the whole list, then 8% more.
		if u.AccountType != "app" && (hostile < len(hostileDisplayNames) || g.rng.IntN(100) < 8) {
			u.DisplayName = hostileDisplayNames[hostile%len(hostileDisplayNames)]
			hostile++
		}
		u.EmailHidden = u.Email != "" && g.rng.IntN(100) < 22
		u.Active = g.rng.IntN(100) >= 10
		if g.rng.IntN(100) >= 3 {
			u.TimeZone = timeZones[g.rng.IntN(len(timeZones))]
			u.Locale = locales[g.rng.IntN(len(locales))]
		}
	}
}

// groupSizes draws long-tailed sizes: a few fixed special groups (one of
// ~45% of users, one of exactly 50, one of exactly 100, one empty), then 20%
// empty, 30% tiny (1-5) and Pareto-distributed sizes scaled to the mean.
func (g *generator) groupSizes(n, users int, mean float64) []int {
	sizes := make([]int, n)
	target := int(mean * float64(n))
	used := 0
	fixed := []int{users * 45 / 100, 5, 50, 100, 0}
	weights := make([]float64, n)
	var sumW float64
	for i := 0; i < n; i++ {
		if i < len(fixed) {
			sizes[i] = min(fixed[i], users)
			used += sizes[i]
			continue
		}
		r := g.rng.Float64()
		switch {
		case r < 0.2:
		case r < 0.5:
			sizes[i] = min(users, 1+g.rng.IntN(5))
			used += sizes[i]
		default:
			w := math.Pow(1-g.rng.Float64(), -1/1.3)
			weights[i] = w
			sumW += w
		}
	}
	if sumW > 0 {
		scale := float64(max(0, target-used)) / sumW
		for i, w := range weights {
			if w > 0 {
				sizes[i] = min(users, max(6, int(math.Round(w*scale))))
			}
		}
	}
	return sizes
}

// sample picks k distinct users, sorted.
func (g *generator) sample(k int) []int32 {
	n := len(g.stamp)
	k = min(k, n)
	g.tag++
	tag := g.tag
	out := make([]int32, 0, k)
	if 2*k <= n {
		for len(out) < k {
			u := g.rng.IntN(n)
			if g.stamp[u] != tag {
				g.stamp[u] = tag
				out = append(out, int32(u))
			}
		}
		slices.Sort(out)
		return out
	}
	for ex := n - k; ex > 0; {
		u := g.rng.IntN(n)
		if g.stamp[u] != tag {
			g.stamp[u] = tag
			ex--
		}
	}
	for u := 0; u < n; u++ {
		if g.stamp[u] != tag {
			out = append(out, int32(u))
		}
	}
	return out
}

func (g *generator) ids(idx []int32) []string {
	out := make([]string, len(idx))
	for i, u := range idx {
		out[i] = g.d.Users[u].AccountID
	}
	return out
}

func (g *generator) groups(n int, mean float64) {
	d := g.d
	sizes := g.groupSizes(n, len(d.Users), mean)
	special := []string{"jira-software-users", "jira-administrators", "confluence-users", "jira-servicemanagement-users", "empty-group"}
	d.Groups = make([]DatasetGroup, n)
	for i := 0; i < n; i++ {
		var name string
		switch {
		case i < len(special):
			name = special[i]
		case i-len(special) < len(hostileGroupNames):
			name = hostileGroupNames[i-len(special)]
		default:
			name = teamWords[g.rng.IntN(len(teamWords))] + "-team-" + strconv.Itoa(i)
		}
		d.Groups[i] = DatasetGroup{GroupID: g.uuid(i), Name: name, Members: g.ids(g.sample(sizes[i])), OmitTotal: g.rng.IntN(10) == 0}
	}
}

func (g *generator) roles() {
	g.d.Roles = []DatasetRole{
		{ID: 10002, Name: "Administrators", Description: "A project role that represents administrators in a project"},
		{ID: 10003, Name: "atlassian-addons-project-access", Description: "A project role that represents Connect add-ons declaring a scope that requires more than read issue permissions"},
		{ID: 10100, Name: "Developers", Description: "Developers, \"core\" team"},
		{ID: 10101, Name: "Users", Description: "A project role that represents users in a project"},
		{ID: 10102, Name: "Service Desk Team", Description: "Members of the service desk team"},
		{ID: 10103, Name: "Service Desk Customers", Description: "Portal customers"},
		{ID: 10104, Name: "Release \"Managers\", QA & Ops 🚀", Description: "line one\nline two"},
		{ID: 10105, Name: "Reviewe\u0301rs\tand Approvers  "},
	}
	if len(g.d.Groups) > 1 {
		g.d.Roles[0].DefaultGroups = []string{g.d.Groups[1].GroupID}
		g.d.Roles[3].DefaultGroups = []string{g.d.Groups[0].GroupID}
	}
}

func (g *generator) schemes(n int) {
	d := g.d
	var grantID int64 = 10000
	type holderKind struct{ typ, parameter, value string }
	for i := 0; i < n; i++ {
		name := hostileSchemeNames[i%len(hostileSchemeNames)]
		if i >= len(hostileSchemeNames) {
			name += " " + strconv.Itoa(i)
		}
		sc := DatasetScheme{ID: int64(10000 + i), Name: name, Description: "Permission scheme " + strconv.Itoa(i)}
		if i == 1 {
			sc.Description = "Used by \"software\" projects,\nsee wiki"
		}
		seen := map[string]bool{}
		add := func(perm string, h holderKind) {
			// Jira Cloud does not let public access hold Administer
			// Projects, and sites rarely give it to every product user:
			// such draws grant Browse Projects instead (no extra random
			// draw, so the rest of the data set is unchanged).
			if perm == "ADMINISTER_PROJECTS" && (h.typ == "anyone" || h.typ == "applicationRole") {
				perm = "BROWSE_PROJECTS"
			}
			key := perm + "\x00" + h.typ + "\x00" + h.parameter + "\x00" + h.value
			if seen[key] {
				return
			}
			seen[key] = true
			sc.Permissions = append(sc.Permissions, DatasetGrant{ID: grantID, Permission: perm,
				Holder: DatasetHolder{Type: h.typ, Parameter: h.parameter, Value: h.value}})
			grantID++
		}
		randomHolder := func(kind int) holderKind {
			switch kind {
			case 0:
				return holderKind{typ: "anyone"}
			case 1:
				return holderKind{typ: "applicationRole"}
			case 2:
				k := []string{"jira-software", "jira-servicedesk", "jira-work-management"}[g.rng.IntN(3)]
				return holderKind{"applicationRole", k, k}
			case 3:
				return holderKind{typ: "assignee"}
			case 4:
				if len(d.Groups) == 0 {
					return holderKind{typ: "reporter"}
				}
				gr := d.Groups[g.rng.IntN(len(d.Groups))]
				return holderKind{"group", gr.Name, gr.GroupID}
			case 5:
				f := "customfield_1" + strconv.Itoa(10050+g.rng.IntN(3))
				return holderKind{"groupCustomField", f, f}
			case 6:
				return holderKind{typ: "projectLead"}
			case 7:
				r := strconv.FormatInt(d.Roles[g.rng.IntN(len(d.Roles))].ID, 10)
				return holderKind{"projectRole", r, r}
			case 8:
				return holderKind{typ: "reporter"}
			case 9:
				return holderKind{typ: "sd.customer.portal.only"}
			case 10:
				u := d.Users[g.rng.IntN(len(d.Users))].AccountID
				return holderKind{"user", u, u}
			default:
				f := "customfield_1" + strconv.Itoa(10060+g.rng.IntN(3))
				return holderKind{"userCustomField", f, f}
			}
		}
		const kinds = 12
		// Every holder kind at least once in every scheme, then random grants.
		for k := 0; k < kinds; k++ {
			add(permissionKeys[(k+i)%len(permissionKeys)], randomHolder(k))
		}
		for _, perm := range permissionKeys {
			for j := 1 + g.rng.IntN(3); j > 0; j-- {
				add(perm, randomHolder(g.rng.IntN(kinds)))
			}
		}
		// As in Jira's default scheme, the Administrators role administers
		// the project (added last and without a random draw, so the rest
		// of the data set is unchanged).
		add("ADMINISTER_PROJECTS", holderKind{"projectRole", "10002", "10002"})
		d.PermissionSchemes = append(d.PermissionSchemes, sc)
	}
}

func (g *generator) projects(n int) {
	d := g.d
	id := 10000
	keyUsed := map[string]bool{}
	var leads []int
	for i, u := range d.Users {
		if u.AccountType == "atlassian" {
			leads = append(leads, i)
		}
	}
	usedSchemes := max(1, len(d.PermissionSchemes)-1) // the last scheme is unused when there are 2+
	if len(d.PermissionSchemes) < 2 {
		usedSchemes = len(d.PermissionSchemes)
	}
	for i := 0; i < n; i++ {
		id += 1 + g.rng.IntN(20)
		stem := projectKeyStems[i%len(projectKeyStems)]
		key := stem
		if i >= len(projectKeyStems) {
			key = stem + strconv.Itoa(i/len(projectKeyStems))
		}
		for keyUsed[key] {
			key += "X"
		}
		keyUsed[key] = true
		name := projectWords[g.rng.IntN(len(projectWords))] + " " + strconv.Itoa(i)
		if i < len(hostileProjectNames) {
			name = hostileProjectNames[i]
		}
		p := DatasetProject{ID: strconv.Itoa(id), Key: key, Name: name, Archived: i == 1 || g.rng.IntN(10) == 0}
		switch r := g.rng.IntN(10); {
		case r < 6:
			p.ProjectType = "software"
		case r < 8:
			p.ProjectType = "service_desk"
		default:
			p.ProjectType = "business"
		}
		if g.rng.IntN(20) != 0 {
			priv := g.rng.IntN(5) == 0
			p.IsPrivate = &priv
		}
		if len(leads) > 0 {
			p.Lead = d.Users[leads[g.rng.IntN(len(leads))]].AccountID
		} else {
			p.Lead = d.Users[0].AccountID
		}
		if usedSchemes > 0 {
			p.PermissionScheme = d.PermissionSchemes[g.rng.IntN(usedSchemes)].ID
		}
		nRoles := min(len(d.Roles), 3+g.rng.IntN(4))
		perm := g.rng.Perm(len(d.Roles))[:nRoles]
		slices.Sort(perm)
		for _, ri := range perm {
			pr := DatasetProjectRole{RoleID: d.Roles[ri].ID}
			pr.Users = g.ids(g.sample(g.rng.IntN(5)))
			if len(d.Groups) > 0 {
				for k := min(len(d.Groups), g.rng.IntN(3)); len(pr.Groups) < k; {
					if id := d.Groups[g.rng.IntN(len(d.Groups))].GroupID; !slices.Contains(pr.Groups, id) {
						pr.Groups = append(pr.Groups, id)
					}
				}
				if d.Roles[ri].ID == 10002 && len(d.Groups) > 1 && !slices.Contains(pr.Groups, d.Groups[1].GroupID) {
					pr.Groups = append(pr.Groups, d.Groups[1].GroupID)
				}
			}
			p.Roles = append(p.Roles, pr)
		}
		d.Projects = append(d.Projects, p)
	}
}

func (g *generator) appRoles() {
	d := g.d
	gid := func(i int) []string {
		if i < len(d.Groups) {
			return []string{d.Groups[i].GroupID}
		}
		return nil
	}
	sw := DatasetAppRole{Key: "jira-software", Name: "Jira", Seats: 50000, Groups: append(gid(0), gid(1)...), DefaultGroups: gid(0)}
	for _, i := range []int{7, 12} {
		sw.Groups = append(sw.Groups, gid(i)...)
	}
	sd := DatasetAppRole{Key: "jira-servicedesk", Name: "Jira Service Management", Seats: 250, Groups: append(gid(3), gid(1)...), DefaultGroups: gid(3)}
	wm := DatasetAppRole{Key: "jira-work-management", Name: "Jira Work Management", Seats: -1, Groups: []string{}, DefaultGroups: []string{}}
	size := map[string]int64{}
	for _, gr := range d.Groups {
		size[gr.GroupID] = int64(len(gr.Members))
	}
	for _, a := range []*DatasetAppRole{&sw, &sd} {
		for _, grID := range a.Groups {
			a.UserCount += size[grID] // an upper bound, as Jira's own count is
		}
	}
	d.ApplicationRoles = []DatasetAppRole{sw, sd, wm}
}

func (g *generator) org() {
	d := g.d
	products := []string{"jira-software", "jira-servicedesk", "confluence", "jira-product-discovery"}
	pick := func() []string {
		out := []string{}
		for _, p := range products {
			if g.rng.IntN(3) == 0 {
				out = append(out, p)
			}
		}
		return out
	}
	lastActive := func() string {
		if g.rng.IntN(100) < 15 {
			return ""
		}
		return refTime.Add(-time.Duration(g.rng.Int64N(int64(400 * 24 * time.Hour)))).Truncate(time.Millisecond).Format(time.RFC3339Nano)
	}
	for i, u := range d.Users {
		if u.AccountType != "atlassian" || (i > 0 && g.rng.IntN(10) == 0) {
			continue
		}
		status := "active"
		if !u.Active {
			status = "inactive"
			if g.rng.IntN(10) < 3 {
				status = "closed"
			}
		}
		d.Org.Users = append(d.Org.Users, DatasetOrgUser{AccountID: u.AccountID, AccountType: "atlassian", Status: status,
			Name: u.DisplayName, Email: u.Email, LastActive: lastActive(), ProductAccess: pick()})
	}
	extra := max(2, len(d.Users)/30)
	for i := 0; i < extra; i++ {
		status := []string{"active", "active", "active", "inactive", "closed"}[g.rng.IntN(5)]
		name := firstNames[g.rng.IntN(len(firstNames))] + " " + lastNames[g.rng.IntN(len(lastNames))] + " (org only)"
		if i == 0 {
			name = "Org, \"Only\"\nUser"
		}
		d.Org.Users = append(d.Org.Users, DatasetOrgUser{AccountID: "557058:" + g.uuid(len(d.Users)+i), AccountType: "atlassian",
			Status: status, Name: name, Email: "org.only+" + strconv.Itoa(i) + "@example.com", LastActive: lastActive(), ProductAccess: pick()})
	}
	for i, gr := range d.Groups {
		// The first group after the special ones is synced from an IdP.
		d.Org.Groups = append(d.Org.Groups, DatasetOrgGroup{ID: gr.GroupID, Name: gr.Name, Synced: i == 5})
	}
	extraG := max(2, len(d.Groups)/20)
	for i := 0; i < extraG; i++ {
		desc := "Org directory group " + strconv.Itoa(i)
		if i == 0 {
			desc = "Synced from IdP, \"SCIM\"\nsecond line"
		}
		d.Org.Groups = append(d.Org.Groups, DatasetOrgGroup{ID: g.uuid(len(d.Groups) + i), Name: "org-only-" + teamWords[i%len(teamWords)] + "-" + strconv.Itoa(i), Description: desc, Synced: i == 0})
	}
}
