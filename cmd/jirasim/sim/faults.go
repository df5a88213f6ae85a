package sim

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// faultState is an installed Faults with its lookup sets.
type faultState struct {
	f                           Faults
	forbidden, notFound, vanish map[string]bool
	served                      sync.Map // vanishing group id → first page served
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// SetFaults replaces the injected faults; thread-safe, any time. It also
// forgets which vanishing groups have already served a page.
func (s *Server) SetFaults(f Faults) {
	s.faults.Store(&faultState{f: f, forbidden: set(f.ForbiddenProjects), notFound: set(f.NotFoundProjects), vanish: set(f.VanishingGroups)})
}

// Faults returns the installed faults.
func (s *Server) Faults() Faults { return s.faults.Load().f }

// delay sleeps Latency plus jitter; false when the client went away.
func (fs *faultState) delay(ctx context.Context, s *Server) bool {
	d := fs.f.Latency
	if fs.f.Jitter > 0 {
		d += time.Duration(s.int64n(int64(fs.f.Jitter)))
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Server) draw(p float64) bool { return p > 0 && (p >= 1 || s.float64() < p) }

// injectFaults draws the per-request faults; false means the request was
// answered (or dropped) by a fault.
func (s *Server) injectFaults(c *call) bool {
	f := &c.faults.f
	if s.draw(f.Rate429) {
		s.stats.faults.Add(1)
		cfg := s.limiter.Load().cfg
		s.send429(c, cfg, time.Second, s.now())
		return false
	}
	for _, e := range []struct {
		rate   float64
		status int
	}{{f.Rate500, 500}, {f.Rate502, 502}, {f.Rate503, 503}, {f.Rate504, 504}} {
		if !s.draw(e.rate) {
			continue
		}
		s.stats.faults.Add(1)
		if e.status == 503 && s.float64() < 0.5 {
			c.w.Header().Set("Retry-After", "1")
		}
		if e.status == 502 || e.status == 504 {
			// Proxies answer these, often with HTML.
			c.write(e.status, "text/html", []byte("<html><body><h1>"+http.StatusText(e.status)+"</h1></body></html>"))
			return false
		}
		c.jiraError(e.status, "Internal server error (simulated)")
		return false
	}
	if s.draw(f.RateReset) {
		s.stats.faults.Add(1)
		s.stats.status(0)
		if hj, ok := c.w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return false
			}
		}
		panic(http.ErrAbortHandler)
	}
	if c.rt.tmpl == jiraBase+"/users/search" && (s.draw(f.Rate409UserSearch) || tooManyUsersAsked(c, f.UserSearch409Above)) {
		s.stats.faults.Add(1)
		c.jiraError(http.StatusConflict, "The request took too long to process. Try again with a smaller maxResults.")
		return false
	}
	c.truncate = s.draw(f.RateTruncated)
	return true
}

// tooManyUsersAsked reports whether a users/search request asks for more
// than limit users (limit 0: never). A missing maxResults means Jira's
// default, 50.
func tooManyUsersAsked(c *call, limit int) bool {
	if limit <= 0 {
		return false
	}
	n, err := strconv.Atoi(c.r.URL.Query().Get("maxResults"))
	if err != nil {
		n = 50
	}
	return n > limit
}
