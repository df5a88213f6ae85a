package sim

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/model"
)

func TestWriteRateLimitDefaults(t *testing.T) {
	r := RateLimit{PerSecond: 100}.withDefaults()
	for _, tc := range []struct {
		method string
		rate   float64
		burst  int
	}{{"GET", 100, 100}, {"POST", 100, 100}, {"PUT", 50, 50}, {"DELETE", 50, 50}} {
		if rate, burst := r.methodRate(tc.method); rate != tc.rate || burst != tc.burst {
			t.Errorf("%s: %v/s burst %d, want %v/s burst %d", tc.method, rate, burst, tc.rate, tc.burst)
		}
	}
	r = RateLimit{PostPerSecond: 3, DeletePerSecond: -1}.withDefaults()
	if rate, burst := r.methodRate("POST"); rate != 3 || burst != 3 {
		t.Errorf("explicit POST: %v %d", rate, burst)
	}
	if rate, _ := r.methodRate("DELETE"); rate != 0 {
		t.Errorf("DELETE -1 should be unlimited, got %v", rate)
	}
	if rate, _ := r.methodRate("GET"); rate != 0 {
		t.Errorf("GET without PerSecond should be unlimited, got %v", rate)
	}
}

func TestWriteRateLimits(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s, base := startSim(t, Config{Seed: 1, RateLimit: RateLimit{PerSecond: 10}, Now: clk.now})
	c := newClient(t, base)
	acc := s.site.users[1].accountID
	add := "/rest/api/3/group/user?groupId=" + s.site.groups[4].id
	del := add + "&accountId=" + url.QueryEscape(acc)
	body := map[string]string{"accountId": acc}
	// POST: burst 10 at 10/s. Every answer (201 or 400) spends a token.
	for i := 0; i < 10; i++ {
		if st, b := c.send("POST", add, body); st == 429 {
			t.Fatalf("POST %d throttled early: %s", i, b)
		}
	}
	status, h, b, _ := c.sendErr("POST", add, body)
	if status != 429 || h.Get("Retry-After") != "1" || h.Get("X-RateLimit-Limit") != "10" || h.Get("RateLimit-Reason") != "jira-burst-based" {
		t.Fatalf("11th POST: %d %v %s", status, h, b)
	}
	// DELETE: half the rate, half the burst; its own bucket.
	for i := 0; i < 5; i++ {
		if st, b := c.send("DELETE", del, nil); st == 429 {
			t.Fatalf("DELETE %d throttled early: %s", i, b)
		}
	}
	status, h, _, _ = c.sendErr("DELETE", del, nil)
	if status != 429 || h.Get("X-RateLimit-Limit") != "5" {
		t.Fatalf("6th DELETE: %d %v", status, h)
	}
	c.expect(200, "GET", "/rest/api/3/users/search?maxResults=1", nil) // GETs have their own bucket
	// Refill: 100ms gives one POST token (10/s) but not one DELETE token (5/s).
	clk.advance(100 * time.Millisecond)
	if st, _ := c.send("POST", add, body); st == 429 {
		t.Error("POST after 100ms still throttled")
	}
	c.expect(429, "POST", add, body)
	c.expect(429, "DELETE", del, nil)
	clk.advance(100 * time.Millisecond)
	if st, _ := c.send("DELETE", del, nil); st == 429 {
		t.Error("DELETE after 200ms still throttled")
	}
	// Without Retry-After.
	s.SetRateLimit(RateLimit{PostPerSecond: 1, NoRetryAfter: true})
	c.send("POST", add, body)
	status, h, _, _ = c.sendErr("POST", add, body)
	if status != 429 || h.Get("Retry-After") != "" || h.Get("X-RateLimit-Reset") == "" {
		t.Errorf("429 without Retry-After: %d %v", status, h)
	}
	for i := 0; i < 20; i++ { // DELETE and GET now unlimited
		if st, _ := c.send("DELETE", del, nil); st == 429 {
			t.Fatal("DELETE throttled with only a POST limit")
		}
	}
}

func TestAfterWriteFaults(t *testing.T) {
	s, base := startSim(t, Config{Seed: 1})
	c, a := newClient(t, base), admin(t, base)
	g := s.site.groups[4].id
	acc := s.site.users[pickUser(t, s, func(i int32, u *user) bool { return s.site.orgUserOf(i) != nil })].accountID
	add := "/rest/api/3/group/user?groupId=" + g

	// A 5xx before the write: nothing changes.
	s.SetFaults(Faults{Rate500: 1})
	c.expect(500, "POST", add, map[string]string{"accountId": acc})
	s.SetFaults(Faults{})
	if len(memberIDs(t, c, g)) != 0 || s.Stats().Writes != 0 {
		t.Fatal("a 500 before the write changed the site")
	}

	// A 500 after the write: the change is made.
	s.SetFaults(Faults{AfterWrite500: 1})
	e := decodeJiraErr(t, c.expect(500, "POST", add, map[string]string{"accountId": acc}))
	if e.Status != 500 {
		t.Errorf("after-write 500 body: %+v", e)
	}
	if !slices.Equal(memberIDs(t, c, g), []string{acc}) || s.Stats().Writes != 1 {
		t.Fatalf("after-write 500: members %v, writes %d", memberIDs(t, c, g), s.Stats().Writes)
	}
	// The client's safe retry sees "already a member" (a 400 draws no after-write fault).
	c.expect(400, "POST", add, map[string]string{"accountId": acc})

	// A dropped connection after the write: the change is made.
	s.SetFaults(Faults{AfterWriteReset: 1})
	if _, _, _, err := c.sendErr("DELETE", add+"&accountId="+url.QueryEscape(acc), nil); err == nil {
		t.Fatal("after-write reset: got an answer")
	}
	s.SetFaults(Faults{})
	if len(memberIDs(t, c, g)) != 0 {
		t.Error("after-write reset: the DELETE did not take effect")
	}

	// Admin API: the Admin error shape, the change made.
	s.SetFaults(Faults{AfterWrite500: 1})
	var dirs struct {
		Data []struct{ DirectoryID string }
	}
	a.getJSON("/admin/v2/orgs/sim-org/directories", &dirs) // reads draw no after-write fault
	decodeAdminErr(t, a.expect(500, "POST", "/admin/v2/orgs/sim-org/directories/"+dirs.Data[0].DirectoryID+"/groups/"+g+"/memberships",
		map[string]string{"account_id": acc}), "500")
	s.SetFaults(Faults{})
	if !slices.Equal(memberIDs(t, c, g), []string{acc}) {
		t.Error("Admin after-write 500: the change was not made")
	}
	if st := s.Stats(); st.Faults != 4 || st.Writes != 3 {
		t.Errorf("faults %d (want 4), writes %d (want 3)", st.Faults, st.Writes)
	}
}

// TestConcurrentWritesAndReads runs writers and readers at once (run it
// with -race); afterwards the reads and the truth agree.
func TestConcurrentWritesAndReads(t *testing.T) {
	s, base := startSim(t, Config{Seed: 1})
	p := &s.site.projects[0]
	rolePath := "/rest/api/3/project/" + p.id + "/role/" + itoa(int(s.site.roles[p.roles[0].role].id))
	var users []string
	for i := 1; len(users) < 16; i++ {
		if u := &s.site.users[i]; u.active && actorIndex(&p.roles[0], int32(i), -1) < 0 {
			users = append(users, u.accountID)
		}
	}
	groups := []string{s.site.groups[4].id, s.site.groups[6].id}
	const writers, rounds = 4, 6
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := newClient(t, base)
			for r := 0; r < rounds; r++ {
				for k := w; k < len(users); k += writers {
					acc := users[k]
					g := groups[(k+r)%2]
					steps := []struct {
						method, path string
						body         any
						want         int
					}{
						{"POST", "/rest/api/3/group/user?groupId=" + g, map[string]string{"accountId": acc}, 201},
						{"POST", rolePath, map[string][]string{"user": {acc}}, 200},
						{"DELETE", rolePath + "?user=" + url.QueryEscape(acc), nil, 204},
						{"POST", "/rest/api/3/issue", issueFields("WEB", "Task", fmt.Sprintf("w%d r%d %s", w, r, acc)), 201},
					}
					if r < rounds-1 { // the last round leaves its membership in place
						steps = append(steps, struct {
							method, path string
							body         any
							want         int
						}{"DELETE", "/rest/api/3/group/user?groupId=" + g + "&accountId=" + url.QueryEscape(acc), nil, 200})
					}
					for _, st := range steps {
						status, _, b, err := c.sendErr(st.method, st.path, st.body)
						if err != nil || status != st.want {
							errs <- fmt.Errorf("%s %s: %d %v %.200s", st.method, st.path, status, err, b)
							return
						}
					}
				}
			}
		}(w)
	}
	stop := make(chan struct{})
	var rg sync.WaitGroup
	for r := 0; r < 2; r++ {
		rg.Add(1)
		go func() {
			defer rg.Done()
			c := newClient(t, base)
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, path := range []string{"/rest/api/3/users/search?maxResults=1000", "/rest/api/3/group/member?includeInactiveUsers=true&groupId=" + groups[0],
					rolePath, "/rest/api/3/search/jql?jql=project%3DWEB&fields=summary", "/rest/api/3/auditing/record?limit=10"} {
					if status, _, b, err := c.try(path); err != nil || status != 200 {
						errs <- fmt.Errorf("GET %s: %d %v %.200s", path, status, err, b)
						return
					}
				}
				_ = s.Truth(TruthOptions{Org: true})
				_ = s.Stats()
			}
		}()
	}
	wg.Wait()
	close(stop)
	rg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	c := newClient(t, base)
	truth := truthState(s.Truth(TruthOptions{}))
	got := readState(t, c)
	sameLines(t, "users", got.users, truth.users)
	sameLines(t, "members", got.members, truth.members)
	sameLines(t, "actors", got.actors, truth.actors)
	var page struct {
		Issues []struct{ Key string }
	}
	c.getJSON("/rest/api/3/search/jql?maxResults=5000&fields=key&jql=project%3DWEB", &page)
	keys := map[string]bool{}
	for _, is := range page.Issues {
		keys[is.Key] = true
	}
	if want := len(users) * rounds; len(page.Issues) != want || len(keys) != want {
		t.Errorf("issues: %d (%d distinct keys), want %d", len(page.Issues), len(keys), want)
	}
	// Only the last round left its membership in place.
	for k, acc := range users {
		if !truthHas(s, model.MemberOfRel(acc, groups[(k+rounds-1)%2])) || truthHas(s, model.MemberOfRel(acc, groups[(k+rounds)%2])) {
			t.Errorf("user %d: memberships not as the last rounds left them", k)
		}
	}
}

func truthHas(s *Server, r model.Relation) bool {
	return slices.ContainsFunc(s.Truth(TruthOptions{}).Relations, func(x model.Relation) bool { return x.Key() == r.Key() })
}

// TestTruthAfterWrites makes one write of each kind over HTTP; the truth
// follows each, and the reads agree with it.
func TestTruthAfterWrites(t *testing.T) {
	s, base := startSim(t, Config{Seed: 1})
	c, a := newClient(t, base), admin(t, base)
	before := truthState(s.Truth(TruthOptions{}))
	st := s.site
	p := &st.projects[2]
	pid, rid := p.id, itoa(int(st.roles[p.roles[0].role].id))
	rolePath := "/rest/api/3/project/" + pid + "/role/" + rid
	u1 := pickUser(t, s, func(i int32, u *user) bool {
		ou := st.orgUserOf(i)
		return u.active && ou != nil && ou.status == "active" && actorIndex(&p.roles[0], i, -1) < 0 && !st.isMember(4, i)
	})
	acc := st.users[u1].accountID
	victim := pickUser(t, s, func(i int32, u *user) bool {
		return i != u1 && len(st.groupsOf(i)) > 0 && st.orgUserOf(i) != nil && !slices.ContainsFunc(st.projects, func(p project) bool { return p.lead == i })
	})
	vacc := st.users[victim].accountID
	vgroups := st.groupsOf(victim)
	gid := st.groups[6].id
	var dirs struct {
		Data []struct{ DirectoryID string }
	}
	a.getJSON("/admin/v2/orgs/sim-org/directories", &dirs)
	dir := "/admin/v2/orgs/sim-org/directories/" + dirs.Data[0].DirectoryID

	c.expect(201, "POST", "/rest/api/3/group/user?groupId="+st.groups[4].id, map[string]string{"accountId": acc})
	c.expect(200, "POST", rolePath, map[string][]string{"user": {acc}, "groupId": {gid}})
	var created struct{ AccountID string }
	_ = jsonUnmarshal(c.expect(201, "POST", "/rest/api/3/user", map[string]any{"emailAddress": "truth.new@example.com", "products": []string{"jira-servicedesk"}}), &created)
	c.expect(204, "DELETE", "/rest/api/3/user?accountId="+url.QueryEscape(vacc), nil)
	a.expect(200, "POST", dir+"/users/"+acc+"/suspend", nil)
	a.expect(200, "POST", dir+"/groups/"+st.groups[7].id+"/memberships", map[string]string{"account_id": acc})

	after := truthState(s.Truth(TruthOptions{}))
	want := []string{
		acc + "|" + st.groups[4].id, acc + "|" + st.groups[7].id, created.AccountID + "|" + st.groups[3].id,
	}
	for _, m := range want {
		if !slices.Contains(after.members, m) || slices.Contains(before.members, m) {
			t.Errorf("member_of %s: before %v, after %v", m, slices.Contains(before.members, m), slices.Contains(after.members, m))
		}
	}
	for _, gi := range vgroups {
		if slices.Contains(after.members, vacc+"|"+st.groups[gi].id) {
			t.Errorf("removed user still member of %s", st.groups[gi].id)
		}
	}
	for _, r := range []string{"user|" + acc + "|" + pid + ":" + rid, "group|" + gid + "|" + pid + ":" + rid} {
		if !slices.Contains(after.actors, r) {
			t.Errorf("truth lacks actor %s", r)
		}
	}
	if !slices.Contains(after.users, acc+"=false") || !slices.Contains(after.users, created.AccountID+"=true") ||
		slices.ContainsFunc(after.users, func(l string) bool { return l == vacc+"=true" || l == vacc+"=false" }) {
		t.Error("truth users do not show the suspension, the new user and the removal")
	}
	got := readState(t, c)
	sameLines(t, "users", got.users, after.users)
	sameLines(t, "members", got.members, after.members)
	sameLines(t, "actors", got.actors, after.actors)
	// user/groups agrees with member_of for the users written.
	for _, id := range []string{acc, created.AccountID} {
		var fromTruth []string
		for _, m := range after.members {
			if u, g, _ := strings.Cut(m, "|"); u == id {
				fromTruth = append(fromTruth, g)
			}
		}
		ug := userGroupIDs(t, c, id)
		slices.Sort(ug)
		slices.Sort(fromTruth)
		if !slices.Equal(ug, fromTruth) {
			t.Errorf("user/groups %s: %v, truth %v", id, ug, fromTruth)
		}
	}
	// With the org: the removed user becomes an org-only account; the
	// suspended one is still "active" in account_status.
	org := s.Truth(TruthOptions{Org: true})
	for _, e := range org.Entities {
		if e.SourceType == model.User && e.SourceID == vacc && e.Attrs["active"] == nil {
			t.Error("removed user has no active attribute in the org truth")
		}
	}
	if !slices.ContainsFunc(org.Entities, func(e model.Entity) bool { return e.SourceType == model.User && e.SourceID == vacc }) {
		t.Error("removed user's org account is missing from the org truth")
	}
}
