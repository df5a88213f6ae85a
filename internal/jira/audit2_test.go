package jira

import (
	"net/http"
	"testing"
	"time"
)

// AUDIT2: JIRA_API.md (2025–2026): "Beta-RateLimit (structured fields: ...
// t seconds to reset; the Beta- prefix is dropped at enforcement, giving
// RateLimit ...)", "Beta-Retry-After". A 429 carrying only these must wait
// until the reset, not the 1–2 s backoff.
func TestAudit2StructuredRateLimitHeaders(t *testing.T) {
	now := time.Now()
	for name, h := range map[string]http.Header{
		"Beta-Retry-After": {"Beta-Retry-After": {"20"}},
		"Beta-RateLimit":   {"Beta-Ratelimit": {`"burst";r=0;t=20`}, "Beta-Ratelimit-Policy": {`"burst";q=100;w=1`}},
		"RateLimit":        {"Ratelimit": {`"quota";r=0;t=20`}, "Ratelimit-Policy": {`"quota";q=1000;w=3600`}},
	} {
		for _, quota := range []bool{false, true} {
			d, src := defaultBackoff.throttled(h, now, 1, quota)
			if d < 20*time.Second {
				t.Errorf("%s (quota=%v): waits %v from %q, want >= 20s", name, quota, d, src)
			}
		}
	}
}
