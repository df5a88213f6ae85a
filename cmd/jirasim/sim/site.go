package sim

import "time"

// site is a compiled dataset: slices indexed by int32, with the users' JSON
// pre-encoded into one arena. Server.mu guards it: handlers read it under
// the read lock, writes change it under the write lock (see mutate.go).
type site struct {
	name string
	host string // fake base URL used in "self" and "nextPage" links

	users    []user
	userJSON []byte // arena: user i is userJSON[userOff[i]:userOff[i+1]-1], each followed by a comma
	userOff  []int
	userIdx  map[string]int32
	myself   int32
	// userOver holds the JSON of users changed since the arena was encoded
	// (nil until the first change; a nil entry means "use the arena").
	userOver [][]byte
	// visible lists the users on the site, in order, once one was removed
	// (nil: every user is on the site).
	visible []int32

	groups   []group
	groupIdx map[string]int32

	roles   []role
	roleIdx map[int64]int32

	projects []project
	projIdx  map[string]int32 // by id and by key
	live     []int32          // live projects, in order
	archived []int32          // archived projects, in order
	all      []int32          // every project, in order

	appRoles []appRole

	schemes   []scheme
	schemeIdx map[int64]int32

	orgUsers    []orgUser
	orgGroups   []orgGroup
	orgIdx      map[string]int32 // org user by accountId
	orgGroupIdx map[string]int32 // org group by id
	directoryID string           // the org's first directory (SCIM's, and its groups')
	directories []string         // every directory of the org, directoryID first

	w writeState // what writes add: issues, audit records, counters
}

type user struct {
	accountID, accountType, displayName, email string
	emailHidden                                bool
	active                                     bool
	timeZone, locale                           string
	removed                                    bool // removed from the site (DELETE /user)
}

type group struct {
	id, name      string
	members       []int32 // every member, in user order
	activeMembers []int32 // the active ones
	omitTotal     bool
}

type role struct {
	id            int64
	name          string
	description   string
	defaultGroups []int32
}

type project struct {
	id, key, name, typeKey string
	archived               bool
	isPrivate              *bool
	lead                   int32 // user index, -1 none
	scheme                 int32
	roles                  []projectRole
}

type projectRole struct {
	role   int32
	actors []actor
}

type actor struct {
	id    int64
	user  int32 // -1 when a group actor
	group int32 // -1 when a user actor
}

type appRole struct {
	key, name        string
	groups, defaults []int32
	seats, userCount int64
}

type scheme struct {
	id          int64
	name        string
	description string
	grants      []grant
}

type grant struct {
	id                    int64
	permission            string
	typ, parameter, value string
}

type orgUser struct {
	accountID, accountType, status, name, email string
	lastActive                                  time.Time
	products                                    []string
	jira                                        int32 // Jira user index, -1 when not on the site
	suspended                                   bool  // access suspended in the directory
}

type orgGroup struct {
	id, name, description string
	synced                bool     // synced from an identity provider: no membership writes
	members               []string // accountIds, for groups that are not Jira groups
}

// encodeUsers pre-encodes every user's JSON object into one arena.
func (s *site) encodeUsers() {
	s.userOff = make([]int, len(s.users)+1)
	buf := make([]byte, 0, len(s.users)*420)
	for i := range s.users {
		s.userOff[i] = len(buf)
		buf = s.appendUserJSON(buf, &s.users[i])
		buf = append(buf, ',') // so a run of users is a ready-made JSON list
	}
	s.userOff[len(s.users)] = len(buf)
	s.userJSON = buf
}

func (s *site) userBytes(i int32) []byte {
	if s.userOver != nil {
		if b := s.userOver[i]; b != nil {
			return b
		}
	}
	return s.userJSON[s.userOff[i] : s.userOff[i+1]-1]
}

// userCount is the number of users on the site.
func (s *site) userCount() int {
	if s.visible != nil {
		return len(s.visible)
	}
	return len(s.users)
}

// appendUserPage appends the users at site positions [from, to) as
// comma-separated JSON objects: one copy from the arena while nothing
// changed, else runs of unchanged users from the arena and changed ones
// from userOver.
func (s *site) appendUserPage(b []byte, from, to int) []byte {
	if from >= to {
		return b
	}
	if s.visible == nil && s.userOver == nil {
		return append(b, s.userRun(from, to)...)
	}
	at := func(p int) int32 {
		if s.visible != nil {
			return s.visible[p]
		}
		return int32(p)
	}
	over := func(i int32) bool { return s.userOver != nil && s.userOver[i] != nil }
	for p := from; p < to; {
		if p > from {
			b = append(b, ',')
		}
		i := at(p)
		if over(i) {
			b = append(b, s.userOver[i]...)
			p++
			continue
		}
		q := p + 1
		for q < to && at(q) == i+int32(q-p) && !over(at(q)) {
			q++
		}
		b = append(b, s.userRun(int(i), int(i)+q-p)...)
		p = q
	}
	return b
}

// userRun is users [from, to) as comma-separated JSON objects.
func (s *site) userRun(from, to int) []byte {
	if from >= to {
		return nil
	}
	return s.userJSON[s.userOff[from] : s.userOff[to]-1]
}

func (s *site) appendUserJSON(b []byte, u *user) []byte {
	b = append(b, `{"self":`...)
	b = appendJSONString(b, s.host+"/rest/api/3/user?accountId="+u.accountID)
	b = append(b, `,"accountId":`...)
	b = appendJSONString(b, u.accountID)
	b = append(b, `,"accountType":`...)
	b = appendJSONString(b, u.accountType)
	if u.email != "" && !u.emailHidden {
		b = append(b, `,"emailAddress":`...)
		b = appendJSONString(b, u.email)
	}
	b = append(b, `,"avatarUrls":{"48x48":"https://avatar-management.invalid/48.png","24x24":"https://avatar-management.invalid/24.png"},"displayName":`...)
	b = appendJSONString(b, u.displayName)
	if u.active {
		b = append(b, `,"active":true`...)
	} else {
		b = append(b, `,"active":false`...)
	}
	if u.timeZone != "" {
		b = append(b, `,"timeZone":`...)
		b = appendJSONString(b, u.timeZone)
	}
	if u.locale != "" {
		b = append(b, `,"locale":`...)
		b = appendJSONString(b, u.locale)
	}
	b = append(b, `,"key":"","name":""}`...)
	return b
}
