package sim

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRateLimit429Headers(t *testing.T) {
	s, base := startSim(t, Config{DatasetFile: tinyFile, RateLimit: RateLimit{PerSecond: 0.5, Burst: 2}})
	c := newClient(t, base)
	for i := 0; i < 2; i++ {
		if status, _, _ := c.do("/rest/api/3/users/search"); status != 200 {
			t.Fatalf("request %d within burst: %d", i, status)
		}
	}
	status, h, b := c.do("/rest/api/3/users/search")
	if status != 429 {
		t.Fatalf("over budget: %d", status)
	}
	ra, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || ra < 1 {
		t.Errorf("Retry-After %q", h.Get("Retry-After"))
	}
	if h.Get("X-RateLimit-Limit") != "2" || h.Get("X-RateLimit-Remaining") != "0" || h.Get("RateLimit-Reason") != "jira-burst-based" {
		t.Errorf("429 headers: %v", h)
	}
	reset, err := time.Parse(time.RFC3339, h.Get("X-RateLimit-Reset"))
	if err != nil || reset.Before(time.Now().Add(-time.Second)) {
		t.Errorf("X-RateLimit-Reset %q: %v", h.Get("X-RateLimit-Reset"), err)
	}
	if !strings.Contains(string(b), `"errorMessages"`) {
		t.Errorf("429 body %s", b)
	}
	// Buckets are per route: another endpoint still answers.
	if status, _, _ := c.do("/rest/api/3/group/bulk"); status != 200 {
		t.Errorf("other route throttled: %d", status)
	}
	if st := s.Stats(); st.Throttled != 1 || st.ByStatus[429] != 1 {
		t.Errorf("throttled %d, by_status %v", st.Throttled, st.ByStatus)
	}
	// Without Retry-After, and another reason.
	s.SetRateLimit(RateLimit{PerSecond: 0.5, Burst: 1, NoRetryAfter: true, Reason: "jira-quota-tenant-based"})
	c.do("/rest/api/3/myself")
	status, h, _ = c.do("/rest/api/3/myself")
	if status != 429 || h.Get("Retry-After") != "" || h.Get("RateLimit-Reason") != "jira-quota-tenant-based" {
		t.Errorf("NoRetryAfter: %d %v", status, h)
	}
	// Rate limiting off again.
	s.SetRateLimit(RateLimit{})
	for i := 0; i < 5; i++ {
		if status, _, _ := c.do("/rest/api/3/myself"); status != 200 {
			t.Fatalf("unlimited: %d", status)
		}
	}
}

func TestNearLimitHeader(t *testing.T) {
	_, base := startSim(t, Config{DatasetFile: tinyFile, RateLimit: RateLimit{PerSecond: 0.1, Burst: 10}})
	c := newClient(t, base)
	var near []bool
	for i := 0; i < 10; i++ {
		status, h, _ := c.do("/rest/api/3/myself")
		if status != 200 {
			t.Fatalf("request %d: %d", i, status)
		}
		near = append(near, h.Get("X-RateLimit-NearLimit") == "true")
	}
	// Tokens left after request i: 9-i; near when < 2 (20% of 10).
	for i, n := range near {
		if want := 9-i < 2; n != want {
			t.Errorf("request %d: NearLimit %v, want %v", i, n, want)
		}
	}
}

func TestStatusFaults(t *testing.T) {
	s, base := startSim(t, Config{DatasetFile: tinyFile})
	c := newClient(t, base)
	for _, tc := range []struct {
		f      Faults
		status int
	}{
		{Faults{Rate500: 1}, 500},
		{Faults{Rate502: 1}, 502},
		{Faults{Rate503: 1}, 503},
		{Faults{Rate504: 1}, 504},
		{Faults{Rate429: 1}, 429},
	} {
		s.SetFaults(tc.f)
		s.ResetStats()
		retryAfter := 0
		for i := 0; i < 20; i++ {
			status, h, _ := c.do("/rest/api/3/group/bulk")
			if status != tc.status {
				t.Fatalf("fault %d: got %d", tc.status, status)
			}
			if h.Get("Retry-After") != "" {
				retryAfter++
			}
		}
		st := s.Stats()
		if st.Faults != 20 || st.ByStatus[tc.status] != 20 {
			t.Errorf("fault %d: faults %d, by_status %v", tc.status, st.Faults, st.ByStatus)
		}
		if tc.status == 503 && (retryAfter == 0 || retryAfter == 20) {
			t.Errorf("503s: %d of 20 carried Retry-After, want some", retryAfter)
		}
		if tc.status == 429 && (retryAfter != 20 || st.Throttled != 20) {
			t.Errorf("429 fault: Retry-After on %d, throttled %d", retryAfter, st.Throttled)
		}
	}
	// A partial rate fires sometimes.
	s.SetFaults(Faults{Rate500: 0.5})
	n500 := 0
	for i := 0; i < 100; i++ {
		if status, _, _ := c.do("/rest/api/3/myself"); status == 500 {
			n500++
		}
	}
	if n500 < 20 || n500 > 80 {
		t.Errorf("Rate500=0.5 gave %d/100", n500)
	}
	// tenant_info is never faulted.
	s.SetFaults(Faults{Rate500: 1})
	if status, _, _ := c.do("/_edge/tenant_info"); status != 200 {
		t.Errorf("tenant_info faulted: %d", status)
	}
}

func TestResetFault(t *testing.T) {
	s, base := startSim(t, Config{DatasetFile: tinyFile, Faults: Faults{RateReset: 1}})
	c := newClient(t, base)
	if _, _, _, err := c.try("/rest/api/3/myself"); err == nil {
		t.Fatal("reset fault: no transport error")
	}
	if s.Stats().Faults == 0 || s.Stats().ByStatus[0] == 0 {
		t.Errorf("reset not counted: %+v", s.Stats())
	}
	s.SetFaults(Faults{})
	if status, _, _ := c.do("/rest/api/3/myself"); status != 200 {
		t.Errorf("after faults off: %d", status)
	}
}

func TestTruncatedFault(t *testing.T) {
	_, base := startSim(t, Config{DatasetFile: tinyFile, Faults: Faults{RateTruncated: 1}})
	c := newClient(t, base)
	status, _, b := c.do("/rest/api/3/users/search")
	var v []any
	if status != 200 || json.Unmarshal(b, &v) == nil {
		t.Errorf("truncated body decoded fine (status %d): %s", status, b)
	}
	// Errors are never truncated.
	status, _, b = c.do("/rest/api/3/group/member?groupId=nope")
	if status != 404 || !json.Valid(b) {
		t.Errorf("error body truncated: %s", b)
	}
}

func TestConflictFaultOnlyOnUserSearch(t *testing.T) {
	_, base := startSim(t, Config{DatasetFile: tinyFile, Faults: Faults{Rate409UserSearch: 1}})
	c := newClient(t, base)
	if status, _, _ := c.do("/rest/api/3/users/search"); status != 409 {
		t.Errorf("users/search: %d, want 409", status)
	}
	if status, _, _ := c.do("/rest/api/3/group/bulk"); status != 200 {
		t.Errorf("group/bulk: %d, want 200", status)
	}
}

func TestProjectFaults(t *testing.T) {
	_, base := startSim(t, Config{DatasetFile: tinyFile, Faults: Faults{ForbiddenProjects: []string{"WEB"}, NotFoundProjects: []string{"10005"}}})
	c := newClient(t, base)
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/rest/api/3/project/WEB/roledetails", 403},
		{"/rest/api/3/project/10001/role", 403},
		{"/rest/api/3/project/10001/role/10002", 403},
		{"/rest/api/3/project/HELP/roledetails", 404},
		{"/rest/api/3/project/10005/role/10002", 404},
		{"/rest/api/3/project/OLD/roledetails", 200},
		{"/rest/api/3/project/WEB/permissionscheme", 200},
	} {
		if status, _, _ := c.do(tc.path); status != tc.status {
			t.Errorf("%s: %d, want %d", tc.path, status, tc.status)
		}
	}
	var p wPage[wProject]
	c.getJSON("/rest/api/3/project/search", &p)
	if len(p.Values) != 2 {
		t.Errorf("project/search must still list faulted projects: %d", len(p.Values))
	}
}

func TestVanishingGroup(t *testing.T) {
	d, err := Generate(Config{Users: 300, Groups: 6, Projects: 1, Seed: 8})
	if err != nil {
		t.Fatal(err)
	}
	big := d.Groups[0] // ~45% of users: several pages
	if len(big.Members) <= 50 {
		t.Fatalf("group too small: %d", len(big.Members))
	}
	s, base := startSim(t, Config{Dataset: d, Faults: Faults{VanishingGroups: []string{big.GroupID}}})
	c := newClient(t, base)
	path := "/rest/api/3/group/member?includeInactiveUsers=true&groupId=" + big.GroupID
	if status, _, _ := c.do(path + "&startAt=0"); status != 200 {
		t.Fatalf("first page: %d", status)
	}
	status, _, b := c.do(path + "&startAt=50")
	if status != 404 || !strings.Contains(string(b), "errorMessages") {
		t.Errorf("second page of a vanished group: %d %s", status, b)
	}
	if status, _, _ := c.do("/rest/api/3/group/member?groupId=" + d.Groups[1].GroupID); status != 200 {
		t.Errorf("other group: %d", status)
	}
	s.SetFaults(Faults{VanishingGroups: []string{big.GroupID}})
	if status, _, _ := c.do(path); status != 200 {
		t.Errorf("SetFaults must forget served pages: %d", status)
	}
}

func TestLatencyAndConcurrentSetFaults(t *testing.T) {
	s, base := startSim(t, Config{DatasetFile: tinyFile, Faults: Faults{Latency: time.Millisecond, Jitter: time.Millisecond}})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient(t, base)
			for i := 0; i < 25; i++ {
				if _, _, _, err := c.try("/rest/api/3/myself"); err != nil {
					t.Errorf("request: %v", err)
					return
				}
			}
		}()
	}
	for i := 0; i < 50; i++ {
		s.SetFaults(Faults{Rate500: 0.1, Latency: time.Millisecond})
		s.SetRateLimit(RateLimit{PerSecond: 1000})
		_ = s.Stats()
	}
	wg.Wait()
	if st := s.Stats(); st.Requests != 100 {
		t.Errorf("requests %d, want 100", st.Requests)
	}
}

func TestSimControlEndpoints(t *testing.T) {
	s, base := startSim(t, Config{DatasetFile: tinyFile})
	c := newClient(t, base)
	c.do("/rest/api/3/myself")
	var st Stats
	c.getJSON("/_sim/stats", &st)
	if st.Requests != 1 || st.ByEndpoint["GET /rest/api/3/myself"] != 1 || st.Floor != s.Stats().Floor {
		t.Errorf("/_sim/stats %+v", st)
	}
	var tr struct {
		Entities  []EntityLine   `json:"entities"`
		Relations []RelationLine `json:"relations"`
	}
	c.getJSON("/_sim/truth?org=true", &tr)
	want := s.Truth(TruthOptions{Org: true})
	if len(tr.Entities) != len(want.Entities) || len(tr.Relations) != len(want.Relations) || tr.Entities[0].Record != "entity" {
		t.Errorf("/_sim/truth: %d/%d, want %d/%d", len(tr.Entities), len(tr.Relations), len(want.Entities), len(want.Relations))
	}
	_, _, b := c.do("/_sim/truth?format=jsonl")
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	tn := s.Truth(TruthOptions{})
	if len(lines) != len(tn.Entities)+len(tn.Relations) {
		t.Errorf("jsonl lines %d", len(lines))
	}
	resp, err := c.hc.Post(base+"/_sim/faults", "application/json", strings.NewReader(`{"Rate500":1}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST faults: %v", err)
	}
	resp.Body.Close()
	if status, _, _ := c.do("/rest/api/3/myself"); status != 500 {
		t.Errorf("after POST /_sim/faults: %d", status)
	}
	resp, err = c.hc.Post(base+"/_sim/reset-stats", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if s.Stats().Requests != 0 {
		t.Errorf("reset-stats: %d", s.Stats().Requests)
	}
}

// TestRateLimitResetIsRequestTimePlusRetryAfter pins X-RateLimit-Reset to
// Jira's formula: the request's time plus the Retry-After period, written
// to the second, whether Retry-After is sent or not. (Rounding up and then
// adding a second would tell a client to wait up to a second more than the
// limit asks.)
func TestRateLimitResetIsRequestTimePlusRetryAfter(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 700_000_000, time.UTC)}
	s, base := startSim(t, Config{DatasetFile: tinyFile, Now: clk.now, RateLimit: RateLimit{PerSecond: 0.5, Burst: 1}})
	c := newClient(t, base)
	for _, noRA := range []bool{false, true} {
		s.SetRateLimit(RateLimit{PerSecond: 0.5, Burst: 1, NoRetryAfter: noRA})
		c.do("/rest/api/3/myself") // takes the one token; the clock stands still
		status, h, _ := c.do("/rest/api/3/myself")
		if status != 429 {
			t.Fatalf("NoRetryAfter=%v: status %d", noRA, status)
		}
		if ra := h.Get("Retry-After"); (ra == "") != noRA || (!noRA && ra != "2") {
			t.Errorf("NoRetryAfter=%v: Retry-After %q, want 2 s (one token at 0.5/s)", noRA, ra)
		}
		if got, want := h.Get("X-RateLimit-Reset"), "2026-01-02T03:04:07Z"; got != want {
			t.Errorf("NoRetryAfter=%v: X-RateLimit-Reset %q, want %q (03:04:05.7 + 2 s, to the second)", noRA, got, want)
		}
	}
	// An injected 429 is a one-second limit.
	s.SetRateLimit(RateLimit{})
	s.SetFaults(Faults{Rate429: 1})
	if status, h, _ := c.do("/rest/api/3/myself"); status != 429 || h.Get("X-RateLimit-Reset") != "2026-01-02T03:04:06Z" {
		t.Errorf("injected 429: %d, X-RateLimit-Reset %q, want 2026-01-02T03:04:06Z", status, h.Get("X-RateLimit-Reset"))
	}
}
