// Package jira is the extractor's Jira Cloud and Atlassian Admin API client:
// authentication and token-kind detection, one adaptive client-side rate
// limiter for every request, bounded retries with backoff, and typed page
// readers for each endpoint the extractor reads.
//
// # Use
//
//	c, err := jira.New(jira.Options{SiteURL: site, Email: email, APIToken: token, Logger: log})
//	id, err := c.Detect(ctx) // unscoped → site, scoped → {gateway}/ex/jira/{cloudId}
//	for start := 0; ; {
//		p, err := c.GroupsPage(ctx, start, jira.GroupsPageSize)
//		...
//		next, last := p.NextStartAt(start) // the server may clamp maxResults
//		if last { break }
//		start = next
//	}
//
// users/search is a bare array: stop on an empty page, not a short one. A
// 2xx body of another shape (null, an object where an array is due, a page
// without its values or data list) is a bad answer, retried and then an
// error: it never ends a listing. The Admin API readers take and return
// cursors; links.next's host is never followed. A Client is safe for
// concurrent use by many goroutines.
//
// # Redirects
//
// Neither Jira's REST API nor the Admin API redirects: the HTTP client
// (package httpx) refuses every redirect, so no credential follows one and
// no foreign answer is taken as data. The error names only the target's
// origin, is final and is never retried.
//
// # Auth
//
// Every Jira request carries Basic email:apiToken; Admin API requests carry
// Bearer orgApiKey; every request carries User-Agent jira-extractor/VERSION.
// A 401 is an *AuthError (MissingScope when a scoped token lacks a scope)
// and is never retried, nor is a 403; credentials never appear in errors or
// logs: every server-supplied string (error bodies, RateLimit-Reason,
// Content-Type, transport errors that quote the server) is scrubbed of them
// before it is cut, and stripped of control characters.
//
// # Pacing and retries
//
// Every attempt waits on one golang.org/x/time/rate limiter, then for one of
// appConfig.concurrency in-flight slots, held only while the request is on
// the wire: a request waiting to be retried holds none, so heavy faults do
// not starve the run. A free slot goes to a retry first, then to the
// oldest work by the context's rank (package slots), so an unlucky request
// does not queue again behind new ones at each attempt. The retry loop,
// backoff and Retry-After parsing are
// package retry's. The limiter (requestsPerSecond, burst) adapts (package
// throttle):
//   - a 429 whose RateLimit-Reason is a quota, a cost budget or any reason
//     the client does not know pauses every request until its reset;
//   - a burst 429 (jira-burst-based, jira-per-issue-on-write, or no reason)
//     slows only its route
//     (template): a per-route bucket cut ×0.7 at most once a second, to a
//     floor of 50% of requestsPerSecond, recovering ×1.25 every 500 ms after
//     1 s without a 429 on that route;
//   - X-RateLimit-NearLimit: true lowers the global rate by a fifth (once a
//     second), recovering ×1.25 a second after 2 s without it.
//
// The retried request waits Retry-After (seconds or HTTP-date, × [1, 1.05])
// as a minimum, else X-RateLimit-Reset (ISO-8601, seconds optional), else 2 s
// doubling to 30 s, × jitter in [0.7, 1.3]. A request may be throttled up to
// ThrottleRetryFactor × maxRetries times.
//
// 5xx, 409, connection errors, per-attempt timeouts (appConfig.timeout,
// covering the body) and 200s whose JSON does not decode are retried up to
// maxRetries times, waiting 200 ms doubling to 10 s × jitter in [0.7, 1.3]
// (a 503's Retry-After is the minimum); while such failures are sporadic
// (at least half of the client's recent attempts succeeded) the doubling
// stops at 1 s. When retries run out the error is a
// *RetryError naming the route and the last cause. Other 4xx are *APIError
// at once; an HTML page (an unknown site) gives "site answered 404 with an
// HTML page: is siteName right?". Untrusted TLS certificates and unknown
// hosts fail at once. Context cancellation ends any wait immediately.
//
// # Counting
//
// Counts and Stats count every request that went on the wire (total and by
// route template such as "GET /rest/api/3/group/member"), retries and 429s.
// They count at the connection level (an httptrace per attempt), so the
// GETs net/http re-sends by itself on a reset reused connection are counted
// too, and the totals match what the server saw.
package jira
