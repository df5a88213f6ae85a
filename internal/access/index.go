package access

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/govextract/jira-extractor/internal/model"
)

// Index is the compact, read-only view of a run's access tables that
// resolution works on. Build it with a Builder.
type Index struct {
	users      []string // accountId by user id
	userIdx    map[string]int32
	entityUser []int32 // user ids that are user entities of the run, in arrival order
	userInfo   []UserInfo

	groups    []string // groupId by group id
	groupIdx  map[string]int32
	groupName map[int32]string
	members   [][]int32 // by group id: user ids, sorted and unique

	projects []project // sorted by id
	projIdx  map[string]int32

	appGroups map[string][]int32 // application key → group ids, sorted, unique
	appKeys   []string           // sorted
	appName   map[string]string
	roleName  map[string]string // global role id → name

	schemes map[string][]grant // scheme id → grants
}

// UserInfo is what the index keeps of a user entity when built with names.
type UserInfo struct {
	AccountID   string
	DisplayName string
	Email       string
	Active      bool
	Known       bool // the run holds the user entity
}

type project struct {
	id, key, name string
	lead          int32 // user id, -1 when none
	scheme        string
	roles         []projectRole // sorted by role id
}

type projectRole struct {
	id     string
	users  []int32 // user actors, sorted, unique
	groups []int32 // group actors, sorted, unique
}

type grant struct {
	permission string
	holderType string // a holds_permission from_type
	holderID   string
}

// BuildOptions choose what a Builder keeps.
type BuildOptions struct {
	// Names keeps display names, emails and activity of users, and the
	// names of groups, projects, roles and products (for printing).
	Names bool
}

// Builder collects rows into an Index. Its Add methods are safe for
// concurrent use; they read the batches and keep no reference to them: the
// strings they keep are copied, as a row read back from a run may share
// its text with the whole batch it was decoded from (keeping one id would
// keep the batch).
type Builder struct {
	mu    sync.Mutex
	opts  BuildOptions
	ix    *Index
	roles map[int32]map[string]*projectRole // by project id
}

// NewBuilder returns an empty Builder.
func NewBuilder(opts BuildOptions) *Builder {
	return &Builder{opts: opts, roles: map[int32]map[string]*projectRole{}, ix: &Index{
		userIdx: map[string]int32{}, groupIdx: map[string]int32{}, groupName: map[int32]string{},
		projIdx: map[string]int32{}, appGroups: map[string][]int32{}, appName: map[string]string{},
		roleName: map[string]string{}, schemes: map[string][]grant{},
	}}
}

func (b *Builder) user(id string) int32 {
	ix := b.ix
	if u, ok := ix.userIdx[id]; ok {
		return u
	}
	id = strings.Clone(id)
	u := int32(len(ix.users))
	ix.users = append(ix.users, id)
	ix.userIdx[id] = u
	if b.opts.Names {
		ix.userInfo = append(ix.userInfo, UserInfo{AccountID: id})
	}
	return u
}

func (b *Builder) group(id string) int32 {
	ix := b.ix
	if g, ok := ix.groupIdx[id]; ok {
		return g
	}
	id = strings.Clone(id)
	g := int32(len(ix.groups))
	ix.groups = append(ix.groups, id)
	ix.groupIdx[id] = g
	ix.members = append(ix.members, nil)
	return g
}

func (b *Builder) project(id string) int32 {
	ix := b.ix
	if p, ok := ix.projIdx[id]; ok {
		return p
	}
	id = strings.Clone(id)
	p := int32(len(ix.projects))
	ix.projects = append(ix.projects, project{id: id, lead: -1})
	ix.projIdx[id] = p
	return p
}

func (b *Builder) role(p int32, roleID string) *projectRole {
	m := b.roles[p]
	if m == nil {
		m = map[string]*projectRole{}
		b.roles[p] = m
	}
	r := m[roleID]
	if r == nil {
		roleID = strings.Clone(roleID)
		r = &projectRole{id: roleID}
		m[roleID] = r
	}
	return r
}

// AddEntities adds a batch of entities of one kind. Kinds the index does
// not use are ignored.
func (b *Builder) AddEntities(kind model.SourceType, batch []model.Entity) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ix := b.ix
	for i := range batch {
		e := &batch[i]
		switch kind {
		case model.User:
			u := b.user(e.SourceID)
			ix.entityUser = append(ix.entityUser, u)
			if b.opts.Names {
				info := &ix.userInfo[u]
				if info.Known {
					continue
				}
				info.Known = true
				info.DisplayName = strings.Clone(e.Name)
				email, _ := e.Attrs["email"].(string)
				info.Email = strings.Clone(email)
				info.Active, _ = e.Attrs["active"].(bool)
			}
		case model.Project:
			p := &ix.projects[b.project(e.SourceID)]
			key, _ := e.Attrs["key"].(string)
			p.key, p.name = strings.Clone(key), strings.Clone(e.Name)
			if lead, _ := e.Attrs["lead_account_id"].(string); lead != "" {
				p.lead = b.user(lead)
			}
		case model.Group:
			if b.opts.Names {
				ix.groupName[b.group(e.SourceID)] = strings.Clone(e.Name)
			}
		case model.Role:
			if b.opts.Names {
				ix.roleName[strings.Clone(e.SourceID)] = strings.Clone(e.Name)
			}
		case model.ApplicationRole:
			if b.opts.Names {
				ix.appName[strings.Clone(e.SourceID)] = strings.Clone(e.Name)
			}
		}
	}
}

// AddRelations adds a batch of relations of one kind. Kinds the index does
// not use are ignored.
func (b *Builder) AddRelations(kind model.RelationKind, batch []model.Relation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ix := b.ix
	for i := range batch {
		r := &batch[i]
		switch kind {
		case model.MemberOf:
			g := b.group(r.ToID)
			ix.members[g] = append(ix.members[g], b.user(r.FromID))
		case model.HasRole:
			pid, rid, ok := model.SplitProjectRoleID(r.ToID)
			if !ok {
				continue
			}
			pr := b.role(b.project(pid), rid)
			switch r.FromType {
			case string(model.User):
				pr.users = append(pr.users, b.user(r.FromID))
			case string(model.Group):
				pr.groups = append(pr.groups, b.group(r.FromID))
			}
		case model.RoleIn:
			// A role without actors still is a role of its project.
			if pid, rid, ok := model.SplitProjectRoleID(r.FromID); ok {
				b.role(b.project(pid), rid)
			}
		case model.LeadOf:
			ix.projects[b.project(r.ToID)].lead = b.user(r.FromID)
		case model.ProductAccess:
			key := strings.Clone(r.ToID)
			ix.appGroups[key] = append(ix.appGroups[key], b.group(r.FromID))
		case model.UsesScheme:
			ix.projects[b.project(r.FromID)].scheme = strings.Clone(r.ToID)
		case model.HoldsPermission:
			var md struct {
				Permission string `json:"permission"`
			}
			if json.Unmarshal([]byte(r.Metadata), &md) != nil || md.Permission == "" {
				continue
			}
			if r.FromType == string(model.User) {
				b.user(r.FromID)
			}
			key := strings.Clone(r.ToID)
			ix.schemes[key] = append(ix.schemes[key], grant{permission: md.Permission, holderType: strings.Clone(r.FromType), holderID: strings.Clone(r.FromID)})
		}
	}
}

// byGroupID orders groups by their groupId: the paths through them then
// come in the same order however the index numbered the groups (in the
// order it read them, which two loads of one run need not share).
func (ix *Index) byGroupID(gs []int32) []int32 {
	slices.SortFunc(gs, func(a, b int32) int { return strings.Compare(ix.groups[a], ix.groups[b]) })
	return gs
}

// Index finishes the index: members and actors sorted and unique (group
// actors in groupId order), projects and roles in id order. The Builder
// must not be used afterwards.
func (b *Builder) Index() *Index {
	b.mu.Lock()
	defer b.mu.Unlock()
	ix := b.ix
	for g := range ix.members {
		ix.members[g] = sortUnique(ix.members[g])
	}
	for k, gs := range ix.appGroups {
		ix.appGroups[k] = ix.byGroupID(sortUnique(gs))
		ix.appKeys = append(ix.appKeys, k)
	}
	sort.Strings(ix.appKeys)
	ix.entityUser = sortUnique(ix.entityUser)
	for p, m := range b.roles {
		roles := make([]projectRole, 0, len(m))
		for _, r := range m {
			r.users, r.groups = sortUnique(r.users), ix.byGroupID(sortUnique(r.groups))
			roles = append(roles, *r)
		}
		sort.Slice(roles, func(i, j int) bool { return lessID(roles[i].id, roles[j].id) })
		ix.projects[p].roles = roles
	}
	b.roles = nil
	// Projects in id order, for a stable output.
	sort.SliceStable(ix.projects, func(i, j int) bool { return lessID(ix.projects[i].id, ix.projects[j].id) })
	for i := range ix.projects {
		ix.projIdx[ix.projects[i].id] = int32(i)
	}
	return ix
}

// lessID orders numeric ids by number, then anything else as text.
func lessID(a, b string) bool {
	if len(a) != len(b) && isDigits(a) && isDigits(b) {
		return len(a) < len(b)
	}
	return a < b
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func sortUnique(s []int32) []int32 {
	slices.Sort(s)
	return slices.Clip(slices.Compact(s))
}

// Users is the number of user entities in the index.
func (ix *Index) Users() int { return len(ix.entityUser) }

// Projects is the number of projects in the index.
func (ix *Index) Projects() int { return len(ix.projects) }
