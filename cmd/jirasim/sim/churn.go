package sim

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
)

// Churn is one step of change applied to the site, as people and identity
// providers change a real site between two extractions.
//
// A step makes ceil(Rate × (groups + projects)) changes, each drawn from
// the kinds below by weight (churnWeights): membership adds and removes
// (50%), project role actor adds and removes (25%), users created, renamed
// and removed (15%), groups created and deleted (6%), projects created and
// deleted (4%). Every
// change writes the audit records Jira writes for it, except the fraction
// Unaudited of membership changes, made as an identity-provider sync
// would: no audit record, but the Admin API v2 group counts change. The
// truth always reflects the site after the step.
type Churn struct {
	// Rate is the share of groups + projects changed (0.01: 1%).
	Rate float64 `json:"rate"`
	// Unaudited is the share of membership changes made without an audit
	// record (0 to 1); each goes to a group no other unaudited change of
	// the step touches, so the group's member count shows it.
	Unaudited float64 `json:"unaudited,omitempty"`
	// Seed makes the step reproducible (0: the server's random source).
	Seed uint64 `json:"seed,omitempty"`
	// Kinds, if set, limits the step to these kinds (Churn* constants;
	// member_added and member_removed both mean a membership change,
	// actor_added and actor_removed a role actor change), drawn uniformly;
	// a kind that finds nothing to change is then skipped.
	Kinds []string `json:"kinds,omitempty"`
	// Changes, if set, is the number of changes instead of the one Rate
	// gives.
	Changes int `json:"changes,omitempty"`
}

// ChurnReport says what one step changed, by kind.
type ChurnReport struct {
	Changes map[string]int `json:"changes"`
	// UnauditedGroups are the groups whose memberships changed without an
	// audit record.
	UnauditedGroups []string `json:"unaudited_groups,omitempty"`
	// Groups are the ids of the groups whose members changed (created ones
	// included), and Projects those of the projects whose role actors
	// changed or that were created: the scopes an incremental read has to
	// read again (IncrementalFloor). Audited member removals are not
	// counted (the record names the member to drop), nor a removed user's
	// role actors (they go with the user).
	Groups   []string `json:"groups,omitempty"`
	Projects []string `json:"projects,omitempty"`
}

// Churn kinds, as counted in ChurnReport.Changes.
const (
	ChurnMemberAdded     = "member_added"
	ChurnMemberRemoved   = "member_removed"
	ChurnUnauditedMember = "member_changed_unaudited"
	ChurnActorAdded      = "actor_added"
	ChurnActorRemoved    = "actor_removed"
	ChurnUserCreated     = "user_created"
	ChurnUserRenamed     = "user_renamed"
	ChurnUserRemoved     = "user_removed"
	ChurnGroupCreated    = "group_created"
	ChurnGroupDeleted    = "group_deleted"
	ChurnProjectCreated  = "project_created"
	ChurnProjectDeleted  = "project_deleted"
)

// churnState holds the switches tests and /_sim/churn turn.
type churnState struct {
	auditForbidden atomic.Bool
	seq            atomic.Int64 // names new users, groups and projects
}

// SetAuditForbidden makes GET /auditing/record answer 403, as on a site
// whose account lacks Administer Jira for it or on an all-free-plan site.
func (s *Server) SetAuditForbidden(on bool) { s.churn.auditForbidden.Store(on) }

// Churn applies one step of change to the site and reports it.
func (s *Server) Churn(c Churn) ChurnReport {
	seed := c.Seed
	if seed == 0 {
		seed = uint64(s.int64n(math.MaxInt64))
	}
	rng := rand.New(rand.NewPCG(seed, 0xc4a11))
	s.siteMu.Lock()
	defer s.siteMu.Unlock()
	st := s.site
	n := int(math.Ceil(c.Rate * float64(len(st.groups)+len(st.projects))))
	if c.Changes > 0 {
		n = c.Changes
	}
	ch := &churner{s: s, st: st, rng: rng, rep: ChurnReport{Changes: map[string]int{}}, unaudited: map[int32]bool{}}
	for range n {
		ch.one(c.Unaudited, c.Kinds)
	}
	return ch.rep
}

// churner applies the changes of one step under the write lock.
type churner struct {
	s         *Server
	st        *site
	rng       *rand.Rand
	rep       ChurnReport
	unaudited map[int32]bool // groups changed without audit in this step
}

func (ch *churner) count(kind string) { ch.rep.Changes[kind]++ }

// churnWeights are the kinds a step draws from, with their weights in %.
var churnWeights = []struct {
	kind   string
	weight int
}{
	{ChurnMemberAdded, 50}, {ChurnActorAdded, 25}, {ChurnUserCreated, 5}, {ChurnUserRenamed, 5}, {ChurnUserRemoved, 5},
	{ChurnGroupCreated, 3}, {ChurnGroupDeleted, 3}, {ChurnProjectCreated, 2}, {ChurnProjectDeleted, 2},
}

// one makes one change of a kind drawn by weight (or uniformly from kinds
// when given); a kind that finds nothing to change falls back to a
// membership change.
func (ch *churner) one(unaudited float64, kinds []string) {
	var kind string
	if len(kinds) > 0 {
		kind = kinds[ch.rng.IntN(len(kinds))]
	} else {
		w := ch.rng.IntN(100)
		for _, cw := range churnWeights {
			if w < cw.weight {
				kind = cw.kind
				break
			}
			w -= cw.weight
		}
	}
	ok := false
	switch kind {
	case ChurnMemberAdded, ChurnMemberRemoved:
		ok = ch.membership(ch.rng.Float64() < unaudited)
	case ChurnUnauditedMember:
		ok = ch.membership(true)
	case ChurnActorAdded, ChurnActorRemoved:
		ok = ch.actor()
	case ChurnUserCreated:
		ok = ch.userCreate()
	case ChurnUserRenamed:
		ok = ch.userRename()
	case ChurnUserRemoved:
		ok = ch.userRemove()
	case ChurnGroupCreated:
		ok = ch.groupCreate()
	case ChurnGroupDeleted:
		ok = ch.groupDelete()
	case ChurnProjectCreated:
		ok = ch.projectCreate()
	case ChurnProjectDeleted:
		ok = ch.projectDelete()
	}
	if !ok && len(kinds) == 0 {
		ch.membership(false)
	}
}

// randomUser picks a user on the site other than the account itself.
func (ch *churner) randomUser() int32 {
	st := ch.st
	for {
		i := int32(ch.rng.IntN(len(st.users)))
		if !st.users[i].removed && i != st.myself {
			return i
		}
	}
}

// membership adds a user to a group or removes a member from one.
func (ch *churner) membership(unaudited bool) bool {
	st := ch.st
	if len(st.groups) == 0 {
		return false
	}
	gi := int32(ch.rng.IntN(len(st.groups)))
	if unaudited {
		for tries := 0; ch.unaudited[gi] && tries < 100; tries++ {
			gi = int32(ch.rng.IntN(len(st.groups)))
		}
		if ch.unaudited[gi] {
			return false
		}
	}
	now := ch.s.now()
	g := &st.groups[gi]
	if len(g.members) > 0 && ch.rng.IntN(2) == 0 {
		ui := g.members[ch.rng.IntN(len(g.members))]
		st.removeMember(gi, ui)
		ch.record(unaudited, gi, func() { st.auditMembership(now, false, gi, ui) }, ChurnMemberRemoved)
		if unaudited {
			ch.rep.Groups = append(ch.rep.Groups, g.id)
		}
		return true
	}
	ui := ch.randomUser()
	if !st.addMember(gi, ui) {
		return false
	}
	ch.record(unaudited, gi, func() { st.auditMembership(now, true, gi, ui) }, ChurnMemberAdded)
	ch.rep.Groups = append(ch.rep.Groups, g.id)
	return true
}

// record writes the audit record of a membership change, or notes an
// unaudited one.
func (ch *churner) record(unaudited bool, gi int32, audit func(), kind string) {
	if unaudited {
		ch.unaudited[gi] = true
		ch.rep.UnauditedGroups = append(ch.rep.UnauditedGroups, ch.st.groups[gi].id)
		ch.count(ChurnUnauditedMember)
		return
	}
	audit()
	ch.count(kind)
}

// actor adds or removes a user or group actor of a project role.
func (ch *churner) actor() bool {
	st := ch.st
	if len(st.projects) == 0 {
		return false
	}
	p := &st.projects[ch.rng.IntN(len(st.projects))]
	if len(p.roles) == 0 {
		return false
	}
	pr := &p.roles[ch.rng.IntN(len(p.roles))]
	now := ch.s.now()
	if len(pr.actors) > 0 && ch.rng.IntN(2) == 0 {
		a := pr.actors[ch.rng.IntN(len(pr.actors))]
		st.removeActor(pr, a.user, a.group)
		st.auditRole(now, p, pr, false, a.user, a.group)
		ch.count(ChurnActorRemoved)
		ch.rep.Projects = append(ch.rep.Projects, p.id)
		return true
	}
	ui, gi := ch.randomUser(), int32(-1)
	if ch.rng.IntN(4) == 0 && len(st.groups) > 0 {
		ui, gi = -1, int32(ch.rng.IntN(len(st.groups)))
	}
	if !st.addActor(pr, ui, gi) {
		return false
	}
	st.auditRole(now, p, pr, true, ui, gi)
	ch.count(ChurnActorAdded)
	ch.rep.Projects = append(ch.rep.Projects, p.id)
	return true
}

// churnNames are the names churn gives what it creates: as hostile as the
// generated ones.
var churnNames = []string{"Zoë, \"Churn\"\nNew", "Ünïcode 🧪 churn", "O'Brien, Pat", "naïve\r\nname", "plain churn"}

func (ch *churner) name(prefix string) (string, int64) {
	n := ch.s.churn.seq.Add(1)
	return churnNames[int(n)%len(churnNames)] + " " + prefix + strconv.FormatInt(n, 10), n
}

// userCreate adds an active user to the site (not to the org).
func (ch *churner) userCreate() bool {
	st := ch.st
	name, n := ch.name("user ")
	email := "churn+" + strconv.FormatInt(n, 10) + "@example.com"
	u := user{accountID: "557058:" + uuidOf("jirasim-churn-user-"+strconv.FormatInt(n, 10)+"-"+st.name), accountType: "atlassian",
		displayName: name, email: email, active: true, timeZone: "Europe/Berlin", locale: "de_DE"}
	if _, dup := st.userIdx[u.accountID]; dup {
		return false
	}
	ui := st.addUser(u)
	st.addAudit(ch.s.now(), "User created", "user management", st.userItem(ui), nil)
	ch.count(ChurnUserCreated)
	return true
}

// userRename changes a user's display name.
func (ch *churner) userRename() bool {
	st := ch.st
	ui := ch.randomUser()
	old := st.users[ui].displayName
	name, _ := ch.name("renamed ")
	st.users[ui].displayName = name
	st.changedUser(ui)
	st.addAudit(ch.s.now(), "User updated", "user management", st.userItem(ui),
		[]auditChange{{field: "Full name", from: old, to: name}})
	ch.count(ChurnUserRenamed)
	return true
}

// userRemove removes a user from the site, its groups and project roles,
// as DELETE /user does; project leads are left alone.
func (ch *churner) userRemove() bool {
	st := ch.st
	ui := ch.randomUser()
	for k := range st.projects {
		if st.projects[k].lead == ui {
			return false
		}
	}
	st.deleteUser(ch.s.now(), ui)
	ch.count(ChurnUserRemoved)
	return true
}

// groupCreate adds a group with a few members (and its org directory
// entry).
func (ch *churner) groupCreate() bool {
	st := ch.st
	name, n := ch.name("group ")
	id := uuidOf("jirasim-churn-group-" + strconv.FormatInt(n, 10) + "-" + st.name)
	if _, dup := st.groupIdx[id]; dup {
		return false
	}
	gi := int32(len(st.groups))
	st.groups = append(st.groups, group{id: id, name: name})
	st.groupIdx[id] = gi
	st.orgGroupIdx[id] = int32(len(st.orgGroups))
	st.orgGroups = append(st.orgGroups, orgGroup{id: id, name: name})
	now := ch.s.now()
	st.addAudit(now, "Group created", "group management", st.groupItem(gi), nil)
	for range 1 + ch.rng.IntN(3) {
		ui := ch.randomUser()
		if st.addMember(gi, ui) {
			st.auditMembership(now, true, gi, ui)
		}
	}
	ch.count(ChurnGroupCreated)
	ch.rep.Groups = append(ch.rep.Groups, id)
	return true
}

// groupDelete deletes a group nothing but its members refers to (no role
// actor, product access, default group or permission grant).
func (ch *churner) groupDelete() bool {
	st := ch.st
	if len(st.groups) < 2 {
		return false
	}
	gi := int32(ch.rng.IntN(len(st.groups)))
	for tries := 0; ch.groupReferenced(gi) || ch.unaudited[gi]; tries++ {
		if tries == 50 {
			return false
		}
		gi = int32(ch.rng.IntN(len(st.groups)))
	}
	now := ch.s.now()
	st.addAudit(now, "Group deleted", "group management", st.groupItem(gi), nil)
	id := st.groups[gi].id
	st.groups = slices.Delete(st.groups, int(gi), int(gi)+1)
	shift := func(xs []int32) {
		for k, x := range xs {
			if x > gi {
				xs[k] = x - 1
			}
		}
	}
	for k := range st.appRoles {
		shift(st.appRoles[k].groups)
		shift(st.appRoles[k].defaults)
	}
	for k := range st.roles {
		shift(st.roles[k].defaultGroups)
	}
	for k := range st.projects {
		for r := range st.projects[k].roles {
			for a := range st.projects[k].roles[r].actors {
				if g := st.projects[k].roles[r].actors[a].group; g > gi {
					st.projects[k].roles[r].actors[a].group = g - 1
				}
			}
		}
	}
	unaudited := map[int32]bool{}
	for g := range ch.unaudited {
		if g > gi {
			g--
		}
		unaudited[g] = true
	}
	ch.unaudited = unaudited
	delete(st.groupIdx, id)
	for k := range st.groups[gi:] {
		st.groupIdx[st.groups[int(gi)+k].id] = gi + int32(k)
	}
	if k, ok := st.orgGroupIdx[id]; ok {
		st.orgGroups = slices.Delete(st.orgGroups, int(k), int(k)+1)
		delete(st.orgGroupIdx, id)
		for j := int(k); j < len(st.orgGroups); j++ {
			st.orgGroupIdx[st.orgGroups[j].id] = int32(j)
		}
	}
	ch.count(ChurnGroupDeleted)
	return true
}

// groupReferenced reports whether anything besides its members names group gi.
func (ch *churner) groupReferenced(gi int32) bool {
	st := ch.st
	for _, a := range st.appRoles {
		if slices.Contains(a.groups, gi) || slices.Contains(a.defaults, gi) {
			return true
		}
	}
	for _, r := range st.roles {
		if slices.Contains(r.defaultGroups, gi) {
			return true
		}
	}
	id := st.groups[gi].id
	for _, sc := range st.schemes {
		for _, g := range sc.grants {
			if g.value == id || g.parameter == st.groups[gi].name {
				return true
			}
		}
	}
	for k := range st.projects {
		for _, pr := range st.projects[k].roles {
			for _, a := range pr.actors {
				if a.group == gi {
					return true
				}
			}
		}
	}
	return false
}

// projectCreate adds a live project with the roles of the first project
// (no actors), its permission scheme and no lead.
func (ch *churner) projectCreate() bool {
	st := ch.st
	if len(st.projects) == 0 {
		return false
	}
	name, n := ch.name("project ")
	var maxID int64
	for k := range st.projects {
		if id, err := strconv.ParseInt(st.projects[k].id, 10, 64); err == nil && id > maxID {
			maxID = id
		}
	}
	key := "CHURN" + strconv.FormatInt(n, 10)
	if _, dup := st.projIdx[key]; dup {
		return false
	}
	tmpl := &st.projects[0]
	p := project{id: strconv.FormatInt(maxID+1, 10), key: key, name: name, typeKey: "software", lead: -1, scheme: tmpl.scheme}
	for _, pr := range tmpl.roles {
		p.roles = append(p.roles, projectRole{role: pr.role})
	}
	st.projects = append(st.projects, p)
	st.reindexProjects()
	st.addAudit(ch.s.now(), "Project created", "projects", st.projectItem(&st.projects[len(st.projects)-1]), nil)
	ch.count(ChurnProjectCreated)
	ch.rep.Projects = append(ch.rep.Projects, p.id)
	return true
}

// projectDelete deletes a project that has no issues.
func (ch *churner) projectDelete() bool {
	st := ch.st
	if len(st.projects) < 2 {
		return false
	}
	pi := int32(ch.rng.IntN(len(st.projects)))
	if st.w.issueSeq[pi] > 0 {
		return false
	}
	for _, is := range st.w.issues {
		if is.project == pi {
			return false
		}
	}
	st.addAudit(ch.s.now(), "Project deleted", "projects", st.projectItem(&st.projects[pi]), nil)
	st.projects = slices.Delete(st.projects, int(pi), int(pi)+1)
	for k := range st.w.issues {
		if st.w.issues[k].project > pi {
			st.w.issues[k].project--
		}
	}
	seq := map[int32]int{}
	for k, v := range st.w.issueSeq {
		if k > pi {
			k--
		}
		seq[k] = v
	}
	st.w.issueSeq = seq
	st.reindexProjects()
	ch.count(ChurnProjectDeleted)
	return true
}

// reindexProjects rebuilds the project indexes and lists after projects
// were added or deleted.
func (st *site) reindexProjects() {
	st.projIdx = make(map[string]int32, 2*len(st.projects))
	st.all, st.live, st.archived = nil, nil, nil
	for i := range st.projects {
		p := &st.projects[i]
		st.projIdx[p.id], st.projIdx[p.key] = int32(i), int32(i)
		st.all = append(st.all, int32(i))
		if p.archived {
			st.archived = append(st.archived, int32(i))
		} else {
			st.live = append(st.live, int32(i))
		}
	}
}

// hSimChurn: POST /_sim/churn with a Churn JSON body applies one step of
// change and answers its ChurnReport; {"auditForbidden": true|false} in the
// same body also switches the audit log's 403.
func (s *Server) hSimChurn(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Churn
		AuditForbidden *bool `json:"auditForbidden,omitempty"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, "bad churn JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	if body.Rate < 0 || body.Rate > 1 || body.Unaudited < 0 || body.Unaudited > 1 {
		http.Error(w, "bad churn: rate and unaudited are shares between 0 and 1", http.StatusBadRequest)
		return
	}
	if body.AuditForbidden != nil {
		s.SetAuditForbidden(*body.AuditForbidden)
	}
	writeJSON(w, s.Churn(body.Churn))
}
