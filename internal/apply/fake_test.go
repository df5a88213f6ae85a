package apply

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/govextract/jira-extractor/internal/plan"
)

// fault scripts one write's answer on the fake site.
type fault int

const (
	ok           fault = iota // Jira semantics: make the change, or answer "already"
	applyThen500              // make the change, then answer 500
	drop                      // change nothing, and no answer (connection reset)
	throttle                  // change nothing, 429 with Retry-After
	reject                    // change nothing, 403
	ghost                     // answer 201 but change nothing (read-back disagrees)
	reverted                  // make the change, then someone else undoes it before the read-back
	vanish                    // someone deletes the group, and the write gets a 500
	personOnly                // change nothing, 403: a group synced from an identity provider
)

type fakeUser struct{ onSite, suspended, deactivated bool }

// fakeSite is an in-memory Jira site with the semantics the engine relies
// on (the Writes table of docs/jira-api.md):
// "already a member" answers, role actors, users, suspension and
// deactivation, plus scripted faults per action id, and checks that
// actions on one target never overlap and run in plan order.
type fakeSite struct {
	mu      sync.Mutex
	groups  map[string]map[string]bool // groupId → member accountIds
	roles   map[string]map[string]bool // "P:R" → "user:ID" / "group:ID"
	users   map[string]*fakeUser       // accountId → state
	emails  map[string]string          // email → accountId
	order   map[string]int             // action id → plan index
	script  map[string][]fault         // action id → answers of its writes, in turn
	readErr map[string][]bool          // action id → fail the nth read
	retry   time.Duration              // Retry-After of a throttle

	reads, writes map[string]int
	lastSeen      map[string]int // target key → plan index of the last action that touched it
	active        map[string]int // target key → actions inside Read/Write now
	inflight      int
	maxInflight   int
	violations    []string

	// hooks, called without the lock held
	beforeRead  func(a plan.Action)
	beforeWrite func(a plan.Action)

	selfGroupsErr error
}

func newSite() *fakeSite {
	return &fakeSite{
		groups: map[string]map[string]bool{}, roles: map[string]map[string]bool{},
		users: map[string]*fakeUser{}, emails: map[string]string{}, order: map[string]int{},
		script: map[string][]fault{}, readErr: map[string][]bool{}, retry: 7 * time.Second,
		reads: map[string]int{}, writes: map[string]int{}, lastSeen: map[string]int{}, active: map[string]int{},
	}
}

func (s *fakeSite) addUser(ids ...string) *fakeSite {
	for _, id := range ids {
		s.users[id] = &fakeUser{onSite: true}
	}
	return s
}

func (s *fakeSite) addGroup(id string, members ...string) *fakeSite {
	s.groups[id] = map[string]bool{}
	for _, m := range members {
		s.groups[id][m] = true
	}
	return s
}

func (s *fakeSite) addRole(id string, actors ...string) *fakeSite {
	s.roles[id] = map[string]bool{}
	for _, a := range actors {
		s.roles[id][a] = true
	}
	return s
}

// use records the plan order of p's actions for the order check.
func (s *fakeSite) use(p *plan.Plan) *plan.Plan {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, a := range p.Actions {
		s.order[a.ID] = i
	}
	return p
}

// siteKeys names what an action touches, independently of the engine.
func siteKeys(a plan.Action) []string {
	switch a.Op {
	case plan.Grant, plan.Revoke:
		return []string{a.ToType + "/" + a.ToID, a.FromType + "/" + a.FromID}
	case plan.Create:
		return []string{"email/" + a.Email}
	}
	return []string{"user/" + a.Account()}
}

func (s *fakeSite) enter(a plan.Action, first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight++
	s.maxInflight = max(s.maxInflight, s.inflight)
	for _, k := range siteKeys(a) {
		s.active[k]++
		if s.active[k] > 1 {
			s.violations = append(s.violations, fmt.Sprintf("two actions on %s at once (one is %q)", k, a.ID))
		}
		if idx, ok := s.order[a.ID]; ok && first {
			if prev, seen := s.lastSeen[k]; seen && prev > idx {
				s.violations = append(s.violations, fmt.Sprintf("%q (index %d) ran on %s after index %d", a.ID, idx, k, prev))
			}
			s.lastSeen[k] = idx
		}
	}
}

func (s *fakeSite) leave(a plan.Action) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight--
	for _, k := range siteKeys(a) {
		s.active[k]--
	}
}

func (s *fakeSite) Read(ctx context.Context, a plan.Action) (State, error) {
	if s.beforeRead != nil {
		s.beforeRead(a)
	}
	s.mu.Lock()
	first := s.reads[a.ID] == 0
	s.mu.Unlock()
	s.enter(a, first)
	defer s.leave(a)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.reads[a.ID]
	s.reads[a.ID]++
	if fails := s.readErr[a.ID]; n < len(fails) && fails[n] {
		return State{}, errors.New("GET user/groups: HTTP 502: Bad Gateway")
	}
	return s.state(a)
}

// state answers what the site shows; the caller holds the lock.
func (s *fakeSite) state(a plan.Action) (State, error) {
	switch {
	case a.Relation == plan.MemberOf:
		g, ok := s.groups[a.ToID]
		if !ok {
			return State{NotFound: fmt.Sprintf("group %q not found", a.ToID)}, nil
		}
		if _, ok := s.users[a.FromID]; !ok {
			return State{NotFound: fmt.Sprintf("user %q not found", a.FromID)}, nil
		}
		return State{Has: g[a.FromID]}, nil
	case a.Relation == plan.HasRole:
		r, ok := s.roles[a.ToID]
		if !ok {
			return State{NotFound: fmt.Sprintf("project role %q not found", a.ToID)}, nil
		}
		return State{Has: r[a.FromType+":"+a.FromID]}, nil
	case a.Op == plan.Create:
		_, ok := s.emails[a.Email]
		return State{Has: ok}, nil
	}
	u, ok := s.users[a.Account()]
	if !ok {
		return State{NotFound: fmt.Sprintf("user %q not found", a.Account())}, nil
	}
	switch a.Op {
	case plan.Remove:
		return State{Has: u.onSite}, nil
	case plan.Suspend, plan.Restore:
		return State{Has: u.suspended}, nil
	}
	return State{Has: u.deactivated}, nil
}

// change makes the action's change; it reports false when it was already
// in place. The caller holds the lock.
func (s *fakeSite) change(a plan.Action) bool {
	set := func(m map[string]bool, k string, v bool) bool {
		if m[k] == v {
			return false
		}
		if v {
			m[k] = true
		} else {
			delete(m, k)
		}
		return true
	}
	want := wants(a.Op)
	switch {
	case a.Relation == plan.MemberOf:
		return set(s.groups[a.ToID], a.FromID, want)
	case a.Relation == plan.HasRole:
		return set(s.roles[a.ToID], a.FromType+":"+a.FromID, want)
	case a.Op == plan.Create:
		if _, ok := s.emails[a.Email]; ok {
			return false
		}
		id := "acc-" + a.Email
		s.emails[a.Email], s.users[id] = id, &fakeUser{onSite: true}
		return true
	}
	u := s.users[a.Account()]
	var f *bool
	switch a.Op {
	case plan.Remove:
		f, want = &u.onSite, false
	case plan.Suspend, plan.Restore:
		f = &u.suspended
	default:
		f = &u.deactivated
	}
	if *f == want {
		return false
	}
	*f = want
	return true
}

func (s *fakeSite) undo(a plan.Action) {
	inverse := a
	inverse.Op = map[plan.Op]plan.Op{plan.Grant: plan.Revoke, plan.Revoke: plan.Grant, plan.Suspend: plan.Restore,
		plan.Restore: plan.Suspend, plan.Deactivate: plan.Activate, plan.Activate: plan.Deactivate}[a.Op]
	s.change(inverse)
}

func (s *fakeSite) Write(ctx context.Context, a plan.Action) (WriteResult, error) {
	if s.beforeWrite != nil {
		s.beforeWrite(a)
	}
	s.enter(a, false)
	defer s.leave(a)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes[a.ID]++
	f := ok
	if sc := s.script[a.ID]; len(sc) > 0 {
		f, s.script[a.ID] = sc[0], sc[1:]
	}
	if st, _ := s.state(a); st.NotFound != "" {
		return WriteResult{Outcome: WriteRejected, HTTPStatus: 404, Message: st.NotFound}, errors.New(st.NotFound)
	}
	switch f {
	case applyThen500:
		s.change(a)
		return WriteResult{HTTPStatus: 500, Message: "Internal server error"}, errors.New("HTTP 500")
	case drop:
		return WriteResult{}, errors.New("POST /rest/api/3/group/user: connection reset by peer")
	case throttle:
		return WriteResult{Outcome: WriteThrottled, HTTPStatus: 429, RetryAfter: s.retry, Message: "Rate limit exceeded"}, errors.New("HTTP 429")
	case reject:
		return WriteResult{Outcome: WriteRejected, HTTPStatus: 403, Message: "You do not have permission"}, errors.New("HTTP 403")
	case personOnly:
		return WriteResult{Outcome: WriteRejected, HTTPStatus: 403, PersonOnly: true,
			Message: "group is synced from an identity provider"}, errors.New("HTTP 403")
	case ghost:
		return WriteResult{Outcome: WriteDone, HTTPStatus: 201}, nil
	case reverted:
		s.change(a)
		s.undo(a)
		return WriteResult{Outcome: WriteDone, HTTPStatus: 201}, nil
	case vanish:
		delete(s.groups, a.ToID)
		return WriteResult{HTTPStatus: 500}, errors.New("HTTP 500")
	}
	if !s.change(a) {
		if a.Relation == plan.MemberOf && a.Op == plan.Grant {
			return WriteResult{Outcome: WriteAlready, HTTPStatus: 400, Message: "Cannot add user. User is already a member"}, errors.New("HTTP 400")
		}
		if a.IsRelation() {
			return WriteResult{Outcome: WriteAlready, HTTPStatus: 400, Message: "not a member"}, errors.New("HTTP 400")
		}
	}
	status := map[plan.Op]int{plan.Grant: http.StatusCreated, plan.Create: http.StatusCreated, plan.Remove: http.StatusNoContent,
		plan.Deactivate: http.StatusNoContent, plan.Activate: http.StatusNoContent}[a.Op]
	if status == 0 {
		status = http.StatusOK
	}
	return WriteResult{HTTPStatus: status}, nil
}

// GroupIDsOf lists the groups an account belongs to.
func (s *fakeSite) GroupIDsOf(ctx context.Context, accountID string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.selfGroupsErr != nil {
		return nil, s.selfGroupsErr
	}
	var out []string
	for g, m := range s.groups {
		if m[accountID] {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (s *fakeSite) count(m map[string]int, id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return m[id]
}

func (s *fakeSite) total(m map[string]int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// noGroups hides GroupIDsOf, to test a Target without it.
type noGroups struct{ Target }

// fakeTickets opens issues PROJ-1, PROJ-2, ... once per action id.
type fakeTickets struct {
	mu       sync.Mutex
	opened   map[string]string
	requests []TicketRequest
	fail     error
}

func (f *fakeTickets) Ticket(ctx context.Context, a plan.Action, req TicketRequest) (Ticket, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return Ticket{}, f.fail
	}
	f.requests = append(f.requests, req)
	if f.opened == nil {
		f.opened = map[string]string{}
	}
	if k, ok := f.opened[a.ID]; ok {
		return Ticket{Key: k, Existing: true, Status: "To Do", StatusCategory: "new"}, nil
	}
	k := fmt.Sprintf("PROJ-%d", len(f.opened)+1)
	f.opened[a.ID] = k
	return Ticket{Key: k}, nil
}

func (f *fakeTickets) FindTicket(ctx context.Context, a plan.Action) (Ticket, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if k, ok := f.opened[a.ID]; ok {
		return Ticket{Key: k, Existing: true, Status: "To Do", StatusCategory: "new"}, true, nil
	}
	return Ticket{}, false, f.fail
}

// sleeper is Config.Sleep without waiting: it records the waits asked for.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}
