package sim

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkGenerateLarge generates and compiles the large preset and reports
// the time and the heap it keeps.
func BenchmarkGenerateLarge(b *testing.B) {
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		s, err := New(Config{Size: "large", Seed: int64(i + 1)})
		if err != nil {
			b.Fatal(err)
		}
		el := time.Since(start)
		var peak runtime.MemStats
		runtime.ReadMemStats(&peak)
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		memberships := 0
		for _, g := range s.site.groups {
			memberships += len(g.members)
		}
		b.ReportMetric(el.Seconds(), "gen-s")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "live-MiB")
		b.ReportMetric(float64(peak.Sys)/(1<<20), "sys-MiB")
		b.ReportMetric(float64(memberships), "memberships")
		b.Logf("large: users=%d groups=%d projects=%d memberships=%d in %v; live heap %d MiB, sys %d MiB, floor %d",
			len(s.site.users), len(s.site.groups), len(s.site.projects), memberships, el,
			(after.HeapAlloc-before.HeapAlloc)>>20, peak.Sys>>20, s.floor)
		runtime.KeepAlive(s)
	}
}

// BenchmarkServe measures requests/s over loopback with parallel clients and
// no faults, on a medium site, cycling through typical extraction requests
// (group/member and group/bulk pages of 50, project roles, a users page of 100).
func BenchmarkServe(b *testing.B) {
	s, base := startSim(b, Config{Size: "medium", Seed: 1})
	groups := s.site.groups
	projects := s.site.projects
	tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	var n atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			var path string
			switch i % 5 {
			case 0, 1:
				g := groups[(i*7919)%len(groups)]
				path = fmt.Sprintf("/rest/api/3/group/member?groupId=%s&includeInactiveUsers=true&maxResults=50", g.id)
			case 2:
				path = fmt.Sprintf("/rest/api/3/group/bulk?startAt=%d", (i*50)%len(groups))
			case 3:
				p := projects[(i*31)%len(projects)]
				path = "/rest/api/3/project/" + p.id + "/roledetails"
			default:
				path = fmt.Sprintf("/rest/api/3/users/search?startAt=%d&maxResults=100", (i*100)%len(s.site.users))
			}
			req, _ := http.NewRequest(http.MethodGet, base+path, nil)
			req.SetBasicAuth(DefaultEmail, DefaultToken)
			resp, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("%s: %d", path, resp.StatusCode)
				return
			}
			n.Add(1)
		}
	})
	el := time.Since(start)
	b.ReportMetric(float64(n.Load())/el.Seconds(), "req/s")
}
