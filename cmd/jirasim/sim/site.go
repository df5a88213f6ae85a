package sim

import "time"

// site is a compiled, read-only dataset: slices indexed by int32, with the
// users' JSON pre-encoded into one arena.
type site struct {
	name string
	host string // fake base URL used in "self" and "nextPage" links

	users    []user
	userJSON []byte // arena: user i is userJSON[userOff[i]:userOff[i+1]-1], each followed by a comma
	userOff  []int
	userIdx  map[string]int32
	myself   int32

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

	orgUsers  []orgUser
	orgGroups []orgGroup
}

type user struct {
	accountID, accountType, displayName, email string
	emailHidden                                bool
	active                                     bool
	timeZone, locale                           string
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
}

type orgGroup struct {
	id, name, description string
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

func (s *site) userBytes(i int32) []byte { return s.userJSON[s.userOff[i] : s.userOff[i+1]-1] }

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
