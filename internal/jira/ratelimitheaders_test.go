package jira

import (
	"net/http"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/retry"
)

func TestStructuredResetHint(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		h    http.Header
		want time.Duration // 0: no hint
	}{
		{"none", http.Header{"Retry-After": {"5"}, "X-Ratelimit-Reset": {"2026-03-01T12:01Z"}}, 0},
		{"Beta-Retry-After seconds", http.Header{"Beta-Retry-After": {"20"}}, 20 * time.Second},
		{"Beta-Retry-After date", http.Header{"Beta-Retry-After": {"Sun, 01 Mar 2026 12:00:30 GMT"}}, 30 * time.Second},
		{"RateLimit", http.Header{"Ratelimit": {`"quota";r=0;t=20`}}, 20 * time.Second},
		{"Beta-RateLimit", http.Header{"Beta-Ratelimit": {`"burst";r=0;t=3`}}, 3 * time.Second},
		{"decimal t", http.Header{"Ratelimit": {`"burst";r=0;t=1.5`}}, 1500 * time.Millisecond},
		{"exhausted item wins", http.Header{"Ratelimit": {`"hour";r=50;t=3000, "burst";r=0;t=2`}}, 2 * time.Second},
		{"two exhausted: the later", http.Header{"Ratelimit": {`"burst";r=0;t=2, "hour";r=0;t=900`}}, 900 * time.Second},
		{"none exhausted: the latest", http.Header{"Ratelimit": {`"a";r=3;t=4, "b";r=1;t=9`}}, 9 * time.Second},
		{"lines joined", http.Header{"Ratelimit": {`"a";r=1;t=4`, `"b";r=0;t=7`}}, 7 * time.Second},
		{"both forms mixed: the later", http.Header{"Ratelimit": {`"burst";r=0;t=2`}, "Beta-Ratelimit": {`"burst";r=0;t=6`}, "Beta-Retry-After": {"4"}}, 6 * time.Second},
		{"quoted comma and semicolon", http.Header{"Ratelimit": {`"a,b;t=99";r=0;t=5`}}, 5 * time.Second},
		{"policy adds no wait", http.Header{"Ratelimit-Policy": {`"quota";q=1000;w=3600`}, "Beta-Ratelimit-Policy": {`"burst";q=100;w=1`}}, 0},
		{"garbage", http.Header{"Ratelimit": {`;;,=,"unterminated;t=3`}, "Beta-Retry-After": {"soon"}}, 0},
		{"negative and NaN t", http.Header{"Ratelimit": {`"a";r=0;t=-5, "b";r=0;t=NaN`}}, 0},
		{"huge t is capped", http.Header{"Ratelimit": {`"a";r=0;t=1e30`}}, retry.MaxServerWait},
	}
	for _, tc := range cases {
		got, ok := structuredResetHint(tc.h, now)
		if ok != (tc.want > 0) || got != tc.want {
			t.Errorf("%s: %v %v, want %v", tc.name, got, ok, tc.want)
		}
	}
}

// A 429 carrying only the structured headers waits until their reset, not
// the 1–2 s backoff, whatever its reason; a later Retry-After still wins.
func TestThrottledWaitsForStructuredReset(t *testing.T) {
	now := time.Now()
	for name, h := range map[string]http.Header{
		"Beta-Retry-After":                     {"Beta-Retry-After": {"20"}},
		"Beta-RateLimit":                       {"Beta-Ratelimit": {`"burst";r=0;t=20`}, "Beta-Ratelimit-Policy": {`"burst";q=100;w=1`}},
		"RateLimit":                            {"Ratelimit": {`"quota";r=0;t=20`}, "Ratelimit-Policy": {`"quota";q=1000;w=3600`}},
		"RateLimit and an earlier Retry-After": {"Ratelimit": {`"quota";r=0;t=20`}, "Retry-After": {"2"}},
	} {
		for _, quota := range []bool{false, true} {
			d, src := defaultBackoff.throttled(h, now, 1, quota)
			if d < 20*time.Second || d > 22*time.Second || src != "ratelimit" {
				t.Errorf("%s (quota=%v): waits %v from %q, want 20s from the structured headers", name, quota, d, src)
			}
		}
	}
	d, src := defaultBackoff.throttled(http.Header{"Ratelimit": {`"burst";r=0;t=1`}, "Retry-After": {"30"}}, now, 1, false)
	if d < 30*time.Second || src != "retry-after" {
		t.Errorf("a later Retry-After: %v from %q", d, src)
	}
}

func TestRateLimitReasonFromEitherHeader(t *testing.T) {
	cases := []struct {
		h     http.Header
		want  string
		quota bool
	}{
		{http.Header{"Ratelimit-Reason": {"jira-burst-based"}}, "jira-burst-based", false},
		{http.Header{"Beta-Ratelimit-Reason": {"jira-quota-tenant-based"}}, "jira-quota-tenant-based", true},
		{http.Header{"Ratelimit-Reason": {"jira-burst-based"}, "Beta-Ratelimit-Reason": {"jira-cost-based"}}, "jira-burst-based", false},
		{http.Header{"Beta-Ratelimit-Reason": {"jira-something-new"}}, "jira-something-new", true},
		{http.Header{}, "", false},
	}
	for _, tc := range cases {
		got := rateLimitReason(tc.h)
		if got != tc.want || isQuotaReason(got) != tc.quota {
			t.Errorf("%v: reason %q quota %v, want %q %v", tc.h, got, isQuotaReason(got), tc.want, tc.quota)
		}
	}
}
