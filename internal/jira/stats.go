package jira

import (
	"maps"
	"sync"
	"sync/atomic"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/progress"
)

// The pipeline's progress tracker reads the client's counters.
var _ progress.RequestCounter = (*Client)(nil)

// stats counts HTTP requests. Safe for concurrent use.
type stats struct {
	requests  atomic.Int64
	retries   atomic.Int64
	throttled atomic.Int64

	mu         sync.Mutex
	byEndpoint map[string]int64
}

// request counts one HTTP attempt to a route template.
func (s *stats) request(route string) {
	s.requests.Add(1)
	s.mu.Lock()
	if s.byEndpoint == nil {
		s.byEndpoint = map[string]int64{}
	}
	s.byEndpoint[route]++
	s.mu.Unlock()
}

// Counts returns total requests (every attempt), retries and throttled
// (429) responses so far. It implements progress.RequestCounter.
func (c *Client) Counts() (requests, retries, throttled int64) {
	return c.stats.requests.Load(), c.stats.retries.Load(), c.stats.throttled.Load()
}

// Stats returns the request counts for the manifest: by_endpoint is keyed by
// route template ("GET /rest/api/3/group/member"), never by concrete URL.
func (c *Client) Stats() manifest.Requests {
	c.stats.mu.Lock()
	by := maps.Clone(c.stats.byEndpoint)
	c.stats.mu.Unlock()
	if by == nil {
		by = map[string]int64{}
	}
	req, ret, thr := c.Counts()
	return manifest.Requests{Total: req, ByEndpoint: by, Retries: ret, Throttled: thr}
}
