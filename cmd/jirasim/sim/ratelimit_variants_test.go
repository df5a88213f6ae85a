package sim

import (
	"regexp"
	"testing"
)

// The 429 header variants: only the structured headers, or only an
// X-RateLimit-Reset without seconds.
func TestRateLimit429HeaderVariants(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		present map[string]*regexp.Regexp
		absent  []string
	}{
		{HeadersStructured, map[string]*regexp.Regexp{
			"Beta-RateLimit":        regexp.MustCompile(`^"burst";r=0;t=[1-9][0-9]*$`),
			"RateLimit":             regexp.MustCompile(`^"burst";r=0;t=[1-9][0-9]*$`),
			"Beta-RateLimit-Policy": regexp.MustCompile(`^"burst";q=1;w=1$`),
			"RateLimit-Policy":      regexp.MustCompile(`^"burst";q=1;w=1$`),
			"Beta-RateLimit-Reason": regexp.MustCompile(`^jira-burst-based$`),
		}, []string{"Retry-After", "X-RateLimit-Reset", "X-RateLimit-Limit", "RateLimit-Reason"}},
		{HeadersResetMinutes, map[string]*regexp.Regexp{
			"X-RateLimit-Reset": regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\dZ$`),
			"RateLimit-Reason":  regexp.MustCompile(`^jira-burst-based$`),
		}, []string{"Retry-After", "RateLimit", "Beta-RateLimit"}},
	} {
		_, base := startSim(t, Config{DatasetFile: tinyFile, RateLimit: RateLimit{PerSecond: 0.5, Burst: 1, Headers: tc.mode}})
		c := newClient(t, base)
		if status, _, _ := c.do("/rest/api/3/users/search"); status != 200 {
			t.Fatalf("%s: first request %d", tc.mode, status)
		}
		status, h, _ := c.do("/rest/api/3/users/search")
		if status != 429 {
			t.Fatalf("%s: over budget: %d", tc.mode, status)
		}
		for k, re := range tc.present {
			if !re.MatchString(h.Get(k)) {
				t.Errorf("%s: %s = %q", tc.mode, k, h.Get(k))
			}
		}
		for _, k := range tc.absent {
			if h.Get(k) != "" {
				t.Errorf("%s: %s = %q, want none", tc.mode, k, h.Get(k))
			}
		}
	}
	if _, err := New(Config{DatasetFile: tinyFile, RateLimit: RateLimit{Headers: "bogus"}}); err == nil {
		t.Error("an unknown header set is accepted")
	}
}

// UserSearch409Above: users/search answers 409 above that many users (a
// missing maxResults is Jira's 50), and serves smaller pages.
func TestUserSearch409Above(t *testing.T) {
	_, base := startSim(t, Config{DatasetFile: tinyFile, Faults: Faults{UserSearch409Above: 40}})
	c := newClient(t, base)
	for path, want := range map[string]int{
		"/rest/api/3/users/search?maxResults=41": 409,
		"/rest/api/3/users/search":               409,
		"/rest/api/3/users/search?maxResults=40": 200,
		"/rest/api/3/group/bulk?maxResults=1000": 200,
	} {
		if status, _, _ := c.do(path); status != want {
			t.Errorf("%s: %d, want %d", path, status, want)
		}
	}
}
