package jira

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/govextract/jira-extractor/internal/retry"
)

// The 2025–2026 rate-limit headers, besides Retry-After and X-RateLimit-*:
//
//   - Beta-Retry-After: seconds (or an HTTP date), like Retry-After.
//   - RateLimit and Beta-RateLimit: RFC 9651 structured-field lists, one
//     item a policy, e.g. `"burst";r=0;t=20`: r is what remains, t the
//     seconds until the window resets. A response may carry both forms.
//   - RateLimit-Policy and Beta-RateLimit-Policy: `"burst";q=100;w=1`,
//     the quota q over a window of w seconds. They say how a limit is
//     made, not when it resets, so they add no wait.
//   - RateLimit-Reason and Beta-RateLimit-Reason: which limit was hit.

// rateLimitReason is the 429's reason, from RateLimit-Reason or, when that
// is absent, Beta-RateLimit-Reason.
func rateLimitReason(h http.Header) string {
	if v := strings.TrimSpace(h.Get("RateLimit-Reason")); v != "" {
		return v
	}
	return strings.TrimSpace(h.Get("Beta-RateLimit-Reason"))
}

// structuredResetHint is the latest reset the 2025–2026 headers give:
// Beta-Retry-After, and the t of RateLimit and Beta-RateLimit (of the
// exhausted policies, r=0, when any says so; else of every policy). ok is
// false when none of them gives one. Each source is already capped at
// retry.MaxServerWait.
func structuredResetHint(h http.Header, now time.Time) (wait time.Duration, ok bool) {
	if d, has := retry.ParseRetryAfter(h.Get("Beta-Retry-After"), now); has {
		wait, ok = d, true
	}
	for _, name := range []string{"RateLimit", "Beta-RateLimit"} {
		if d, has := rateLimitReset(h.Values(name)); has && (!ok || d > wait) {
			wait, ok = d, true
		}
	}
	return wait, ok
}

// rateLimitReset reads the t of a RateLimit field (its lines joined as one
// list): the greatest t of the items with r=0, or of all items when none
// has r=0.
func rateLimitReset(lines []string) (time.Duration, bool) {
	var exhausted, any float64 = -1, -1
	for _, item := range sfList(strings.Join(lines, ",")) {
		t, hasT := item["t"]
		if !hasT || t < 0 {
			continue
		}
		any = math.Max(any, t)
		if r, hasR := item["r"]; hasR && r <= 0 {
			exhausted = math.Max(exhausted, t)
		}
	}
	secs := any
	if exhausted >= 0 {
		secs = exhausted
	}
	if secs < 0 {
		return 0, false
	}
	return time.Duration(math.Min(secs, retry.MaxServerWait.Seconds()) * float64(time.Second)), true
}

// sfList parses an RFC 9651 list far enough to read its items' numeric
// parameters: each item's parameters by key (integers and decimals only;
// other values are left out). Commas and semicolons inside quoted strings
// do not split; a malformed member yields what could be read of it.
func sfList(v string) []map[string]float64 {
	var out []map[string]float64
	for _, member := range splitUnquoted(v, ',') {
		params := splitUnquoted(member, ';')
		if len(params) == 0 {
			continue
		}
		m := map[string]float64{}
		for _, p := range params[1:] { // params[0] is the item's bare value
			k, val, found := strings.Cut(strings.TrimSpace(p), "=")
			if !found {
				continue
			}
			if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				m[strings.ToLower(strings.TrimSpace(k))] = f
			}
		}
		out = append(out, m)
	}
	return out
}

// splitUnquoted splits s at sep outside double-quoted strings (with
// backslash escapes inside them).
func splitUnquoted(s string, sep byte) []string {
	var parts []string
	inQuote, esc, start := false, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
		case inQuote && c == '\\':
			esc = true
		case c == '"':
			inQuote = !inQuote
		case c == sep && !inQuote:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}
