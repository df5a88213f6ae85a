package sim

import (
	"sync"
	"sync/atomic"
	"time"
)

// Stats counts what the server answered since start (or ResetStats).
type Stats struct {
	// Requests counts every request but /_sim/*.
	Requests int64 `json:"requests"`
	// ByEndpoint is keyed by "METHOD route-template", e.g.
	// "GET /rest/api/3/group/member"; gateway requests count under the same
	// key as the site's. Unknown paths count as "GET (unmatched)".
	ByEndpoint map[string]int64 `json:"by_endpoint"`
	// ByStatus is keyed by HTTP status; 0 counts requests that got no answer
	// (connection reset, client gone during latency).
	ByStatus map[int]int64 `json:"by_status"`
	// Throttled counts 429s sent (bucket and Rate429 fault).
	Throttled int64 `json:"throttled"`
	// Faults counts injected faults (5xx, 429 fault, resets, truncations,
	// 409s, short pages, 403/404 projects, vanished groups).
	Faults int64 `json:"faults"`
	// WriteRequests counts requests on write routes (POST, PUT, DELETE),
	// whatever their answer; Writes counts the changes they made to the site
	// (a write answered "already a member" or refused makes none), and
	// WritesByEndpoint splits Writes by route key. A dry run leaves Writes
	// at 0.
	WriteRequests    int64            `json:"write_requests"`
	Writes           int64            `json:"writes"`
	WritesByEndpoint map[string]int64 `json:"writes_by_endpoint"`
	// Floor is the fewest requests that read the whole site as it is now
	// (see package doc).
	Floor int64 `json:"floor"`
	// FloorOrg adds the Admin API pages.
	FloorOrg int64 `json:"floor_org"`
}

type counters struct {
	requests  atomic.Int64
	byRoute   []atomic.Int64
	byStatus  [600]atomic.Int64
	throttled atomic.Int64
	faults    atomic.Int64

	writeRequests atomic.Int64
	writes        atomic.Int64
	writesByRoute []atomic.Int64

	mu     sync.Mutex
	others map[string]int64
}

func (c *counters) init(routes int) {
	c.byRoute = make([]atomic.Int64, routes)
	c.writesByRoute = make([]atomic.Int64, routes)
	c.others = map[string]int64{}
}

func (c *counters) status(code int) {
	if code >= 0 && code < len(c.byStatus) {
		c.byStatus[code].Add(1)
	}
}

func (c *counters) other(key string) {
	c.mu.Lock()
	c.others[key]++
	c.mu.Unlock()
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	st := Stats{Requests: s.stats.requests.Load(), ByEndpoint: map[string]int64{}, ByStatus: map[int]int64{},
		Throttled: s.stats.throttled.Load(), Faults: s.stats.faults.Load(),
		WriteRequests: s.stats.writeRequests.Load(), Writes: s.stats.writes.Load(), WritesByEndpoint: map[string]int64{}}
	s.siteMu.RLock()
	st.Floor, st.FloorOrg = s.site.floors()
	s.siteMu.RUnlock()
	for i, rt := range s.routes {
		if n := s.stats.byRoute[i].Load(); n > 0 {
			st.ByEndpoint[rt.key] = n
		}
		if n := s.stats.writesByRoute[i].Load(); n > 0 {
			st.WritesByEndpoint[rt.key] = n
		}
	}
	s.stats.mu.Lock()
	for k, n := range s.stats.others {
		st.ByEndpoint[k] = n
	}
	s.stats.mu.Unlock()
	for code := range s.stats.byStatus {
		if n := s.stats.byStatus[code].Load(); n > 0 {
			st.ByStatus[code] = n
		}
	}
	return st
}

// ResetStats zeroes every counter (Floor stays).
func (s *Server) ResetStats() {
	s.stats.requests.Store(0)
	for i := range s.stats.byRoute {
		s.stats.byRoute[i].Store(0)
		s.stats.writesByRoute[i].Store(0)
	}
	s.stats.writeRequests.Store(0)
	s.stats.writes.Store(0)
	for i := range s.stats.byStatus {
		s.stats.byStatus[i].Store(0)
	}
	s.stats.throttled.Store(0)
	s.stats.faults.Store(0)
	s.stats.mu.Lock()
	s.stats.others = map[string]int64{}
	s.stats.mu.Unlock()
}

// Admin API page sizes.
const (
	adminV1PageSize = 100 // v1 users: fixed page size
	adminV2Default  = 50  // v2 users and groups: default limit
	adminV2Max      = 100 // v2: larger limits are clamped
)

func ceilDiv(a, b int) int64 { return int64((a + b - 1) / b) }

// floors computes Stats.Floor and Stats.FloorOrg (formula in the package doc).
func (st *site) floors() (floor, org int64) {
	floor = 1 + ceilDiv(st.userCount(), 1000) + 1
	floor += max(1, ceilDiv(len(st.groups), 50))
	for i := range st.groups {
		floor += max(1, ceilDiv(len(st.groups[i].members), 50))
	}
	floor += max(1, ceilDiv(len(st.projects), 100))
	for i := range st.projects {
		floor += 2 + int64(len(st.projects[i].roles))
	}
	floor += 3
	org = floor + max(1, ceilDiv(len(st.orgUsers), adminV1PageSize)) + max(1, ceilDiv(len(st.orgGroups), adminV2Max))
	return floor, org
}

// IncrementalFloor is the fewest requests that bring a complete read of
// the site up to date when only the members of groups and the role actors
// of projects changed (ChurnReport.Groups and Projects; ids no longer on
// the site are left out) and the audit log is read from since: everything
// Floor reads but the members and projects, the audit log pages, and the
// members and projects named. org adds the Admin API pages, as FloorOrg
// does (formula in the package doc).
func (s *Server) IncrementalFloor(since time.Time, groups, projects []string) (floor, org int64) {
	s.siteMu.RLock()
	defer s.siteMu.RUnlock()
	st := s.site
	floor = 1 + ceilDiv(st.userCount(), 1000) + 1
	floor += max(1, ceilDiv(len(st.groups), 50))
	floor += max(1, ceilDiv(len(st.projects), 100))
	floor += 3
	records := 0
	for k := range st.w.audit {
		if !st.w.audit[k].created.Before(since) {
			records++
		}
	}
	floor += max(1, ceilDiv(records, 1000))
	seen := map[string]bool{}
	for _, id := range groups {
		if gi, ok := st.groupIdx[id]; ok && !seen["g"+id] {
			seen["g"+id] = true
			floor += max(1, ceilDiv(len(st.groups[gi].members), 50))
		}
	}
	for _, id := range projects {
		if pi, ok := st.projIdx[id]; ok && !seen["p"+id] {
			seen["p"+id] = true
			floor += 2 + int64(len(st.projects[pi].roles))
		}
	}
	org = floor + max(1, ceilDiv(len(st.orgUsers), adminV1PageSize)) + max(1, ceilDiv(len(st.orgGroups), adminV2Max))
	return floor, org
}
