package jira

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/govextract/jira-extractor/internal/httpx"
	"github.com/govextract/jira-extractor/internal/jira/throttle"
	"github.com/govextract/jira-extractor/internal/retry"
)

// Write burst rates Jira applies per endpoint and method; the client's own
// write buckets default to them (SetWriteRates changes them).
const (
	DefaultPostPerSecond   = 100.0
	DefaultDeletePerSecond = 50.0
)

// WriteClass classifies the answer to one write attempt. Writes are made
// once: whether to send one again is the caller's decision, after a re-read.
type WriteClass int

// The write classes. The zero value is WriteUnknown, so an unclassified
// failure is never mistaken for one that surely changed nothing.
const (
	// WriteUnknown: it may or may not have taken effect (a 5xx, a dropped
	// connection, a timeout after sending). Re-read before anything else.
	WriteUnknown WriteClass = iota
	// WriteDone: 2xx, the change was made.
	WriteDone
	// WriteAlready: Jira says the change is already in place ("already a
	// member", "not a member", "not an actor"); this call changed nothing.
	WriteAlready
	// WriteRejected: a 4xx other than 429 (or the request was never sent);
	// nothing changed and sending it again will not help.
	WriteRejected
	// WriteThrottled: a 429, or a 503 with Retry-After: refused for now,
	// nothing changed; wait RetryAfter and send again.
	WriteThrottled
)

// String names the class.
func (w WriteClass) String() string {
	switch w {
	case WriteDone:
		return "done"
	case WriteAlready:
		return "already"
	case WriteRejected:
		return "rejected"
	case WriteThrottled:
		return "throttled"
	}
	return "unknown"
}

// WriteResult is the answer to one write attempt. Message never holds a
// credential: every server-supplied string is scrubbed and cleaned.
type WriteResult struct {
	Class      WriteClass
	Status     int           // HTTP status; 0 when no answer came
	RetryAfter time.Duration // the wait the server asked for (WriteThrottled)
	Message    string        // the server's words, or what went wrong
	// PersonOnly is set on a refusal that says only a person can make the
	// change (a group synced from an identity provider): the change must
	// be made there, or ticketed.
	PersonOnly bool
	// Created is the id of what a create made (CreateUser: the accountId
	// of its 201 answer), when the answer named one.
	Created string
}

// Route templates of the writes (the keys of Stats().ByEndpoint).
const (
	routeGroupUserAdd    = "POST /rest/api/3/group/user"
	routeGroupUserRemove = "DELETE /rest/api/3/group/user"
	routeRoleActorAdd    = "POST /rest/api/3/project/{id}/role/{roleId}"
	routeRoleActorRemove = "DELETE /rest/api/3/project/{id}/role/{roleId}"
	routeUserCreate      = "POST /rest/api/3/user"
	routeUserDelete      = "DELETE /rest/api/3/user"
	routeOrgSuspend      = "POST /admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/suspend"
	routeOrgRestore      = "POST /admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/restore"
	routeLifecycleOff    = "POST /users/{accountId}/manage/lifecycle/disable"
	routeLifecycleOn     = "POST /users/{accountId}/manage/lifecycle/enable"
)

// writeCall is one write: its method, route template, URL, credential and
// JSON body (nil: none).
type writeCall struct {
	method, route, url string
	auth               authKind
	body               any
	out                any          // on a 2xx, the answer is decoded into it (nil: drained)
	already            *alreadyRule // the answers that mean "already in place" (nil: none)
}

// writeLimits holds one token bucket per write route (Jira's burst limits
// are per endpoint and method), created on first use at the method's rate.
type writeLimits struct {
	mu                 sync.Mutex
	setPost, setDelete float64 // 0: the default
	routes             map[string]*throttle.Limiter
}

// SetWriteRates sets the client's own rates for writes, per endpoint: POST
// routes at post a second, PUT and DELETE routes at del a second (0 keeps
// the default, negative means no limit). Call it before the first write.
func (c *Client) SetWriteRates(post, del float64) {
	w := &c.writeLim
	w.mu.Lock()
	defer w.mu.Unlock()
	if post != 0 {
		w.setPost = post
	}
	if del != 0 {
		w.setDelete = del
	}
	w.routes = nil
}

// limiter returns the bucket of a write route. Its burst is a tenth of the
// rate, so the client never drains the server's bucket (which holds a full
// second) and timing noise does not turn into 429s.
func (w *writeLimits) limiter(method, route string) *throttle.Limiter {
	w.mu.Lock()
	defer w.mu.Unlock()
	if l := w.routes[route]; l != nil {
		return l
	}
	if w.routes == nil {
		w.routes = map[string]*throttle.Limiter{}
	}
	r := cmp.Or(w.setDelete, DefaultDeletePerSecond)
	if method == http.MethodPost {
		r = cmp.Or(w.setPost, DefaultPostPerSecond)
	}
	burst := 1
	if r > 0 {
		burst = max(1, int(math.Ceil(r/10)))
	}
	l := throttle.New(r, burst)
	w.routes[route] = l
	return l
}

// WriteLimiter returns the bucket of a write route template such as
// "POST /rest/api/3/group/user" (for inspection).
func (c *Client) WriteLimiter(route string) *throttle.Limiter {
	method, _, _ := strings.Cut(route, " ")
	return c.writeLim.limiter(method, route)
}

// write sends one write once and classifies the answer. It waits for a
// global quota pause, the route's write bucket and a connection slot first;
// a 429 slows the route's bucket (burst) or pauses every request (quota)
// like a read's.
func (c *Client) write(ctx context.Context, wc writeCall) WriteResult {
	if until := c.lim.PausedUntil(); until.After(c.clock.Now()) {
		if err := c.clock.Sleep(ctx, until.Sub(c.clock.Now())); err != nil {
			return WriteResult{Class: WriteRejected, Message: "not sent: " + err.Error()}
		}
	}
	lim := c.writeLim.limiter(wc.method, wc.route)
	if err := lim.Wait(ctx, wc.route); err != nil {
		return WriteResult{Class: WriteRejected, Message: "not sent: waiting for the write rate limiter: " + err.Error()}
	}
	if err := c.acquire(ctx); err != nil {
		return WriteResult{Class: WriteRejected, Message: "not sent: waiting for a free connection slot: " + err.Error()}
	}
	defer c.release()
	res := c.writeOnce(ctx, wc, lim)
	c.log.LogAttrs(ctx, slog.LevelDebug, "jira write", slog.String("route", wc.route),
		slog.Int("status", res.Status), slog.String("class", res.Class.String()), slog.String("message", res.Message))
	return res
}

func (c *Client) writeOnce(ctx context.Context, wc writeCall, lim *throttle.Limiter) WriteResult {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	defer cancel()
	var body []byte
	if wc.body != nil {
		var err error
		if body, err = json.Marshal(wc.body); err != nil {
			return WriteResult{Class: WriteRejected, Message: fmt.Sprintf("not sent: encode the body: %v", err)}
		}
	}
	tctx := httpx.Trace(actx, func() { c.stats.request(wc.route) })
	req, err := http.NewRequestWithContext(tctx, wc.method, wc.url, bytes.NewReader(body))
	if err != nil {
		return WriteResult{Class: WriteRejected, Message: "not sent: build request: " + c.cleanErr(err).Error()}
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	switch wc.auth {
	case authBasic:
		req.Header.Set("Authorization", c.basic)
	case authBearer:
		req.Header.Set("Authorization", c.bearer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if httpx.IsRedirect(err) {
			return WriteResult{Class: WriteRejected, Message: "refused a redirect: " + c.cleanErr(err).Error()}
		}
		msg := c.cleanErr(err).Error()
		if httpx.IsTimeout(actx, err) {
			msg = fmt.Sprintf("no answer within %s (appConfig.timeout)", c.timeout)
		}
		return WriteResult{Class: WriteUnknown, Message: msg}
	}
	defer drain(resp.Body)
	st := resp.StatusCode
	if st >= 200 && st < 300 {
		if wc.out != nil {
			if err := json.NewDecoder(io.LimitReader(resp.Body, maxWriteAnswer)).Decode(wc.out); err != nil {
				// The write was made; only its answer is unreadable.
				return WriteResult{Class: WriteUnknown, Status: st, Message: "the answer could not be read: " + c.cleanErr(err).Error()}
			}
		}
		return WriteResult{Class: WriteDone, Status: st}
	}
	eb := readErrorBody(resp, c.scrub)
	msgs := c.scrubAll(eb.messages)
	msg := strings.Join(msgs, "; ")
	res := WriteResult{Status: st, Message: msg}
	switch {
	case st == http.StatusTooManyRequests:
		c.stats.throttled.Add(1)
		reason := c.clean(resp.Header.Get("RateLimit-Reason"), maxReason)
		quota := isQuotaReason(reason)
		wait, _ := c.backoff.throttled(resp.Header, c.clock.Now(), 1, quota)
		if quota {
			c.lim.PauseAll(c.clock.Now().Add(wait))
		} else {
			lim.Slow(wc.route)
		}
		if reason != "" {
			res.Message = strings.TrimPrefix(res.Message+"; RateLimit-Reason: "+reason, "; ")
		}
		res.Class, res.RetryAfter = WriteThrottled, wait
	case st == http.StatusServiceUnavailable:
		if ra, ok := retry.RetryAfter(resp.Header, c.clock.Now()); ok {
			res.Class, res.RetryAfter = WriteThrottled, c.backoff.clamp(ra)
		} else {
			res.Class = WriteUnknown
		}
	case st >= 500:
		res.Class = WriteUnknown
	case st == http.StatusUnauthorized:
		res.Class = WriteRejected
		res.Message = c.authError(call{route: wc.route, url: wc.url, auth: wc.auth}, st, eb, msgs).Error()
	case isPersonOnly(msg):
		// Before the "already" words: a refusal quoting a name that
		// holds them is still a refusal.
		res.Class, res.PersonOnly = WriteRejected, true
	case wc.already.match(st, msg):
		res.Class = WriteAlready
	default:
		res.Class = WriteRejected
	}
	return res
}

// adminWrite refuses an Admin API write when the job has no org access.
func (c *Client) adminWrite(ctx context.Context, wc writeCall) WriteResult {
	if !c.opts.HasOrgAccess() {
		return WriteResult{Class: WriteRejected, Message: ErrNoOrgAccess.Error()}
	}
	return c.write(ctx, wc)
}

// AddGroupMember adds an account to a group (POST /group/user).
func (c *Client) AddGroupMember(ctx context.Context, groupID, accountID string) WriteResult {
	u := c.apiBase() + "/rest/api/3/group/user?" + url.Values{"groupId": {groupID}}.Encode()
	return c.write(ctx, writeCall{method: http.MethodPost, route: routeGroupUserAdd, url: u, auth: authBasic,
		body: map[string]string{"accountId": accountID}, already: alreadyMember})
}

// RemoveGroupMember removes an account from a group (DELETE /group/user).
func (c *Client) RemoveGroupMember(ctx context.Context, groupID, accountID string) WriteResult {
	u := c.apiBase() + "/rest/api/3/group/user?" + url.Values{"groupId": {groupID}, "accountId": {accountID}}.Encode()
	return c.write(ctx, writeCall{method: http.MethodDelete, route: routeGroupUserRemove, url: u, auth: authBasic, already: notAMember})
}

// Role actor kinds of AddRoleActor and RemoveRoleActor.
const (
	ActorKindUser  = "user"
	ActorKindGroup = "group"
)

func rolePath(projectID, roleID string) string {
	return "/rest/api/3/project/" + url.PathEscape(projectID) + "/role/" + url.PathEscape(roleID)
}

// AddRoleActor makes a user (kind ActorKindUser, an accountId) or a group
// (ActorKindGroup, a groupId) an actor of a project role.
func (c *Client) AddRoleActor(ctx context.Context, projectID, roleID, kind, id string) WriteResult {
	body := map[string][]string{"user": {id}}
	if kind == ActorKindGroup {
		body = map[string][]string{"groupId": {id}}
	}
	return c.write(ctx, writeCall{method: http.MethodPost, route: routeRoleActorAdd, url: c.apiBase() + rolePath(projectID, roleID),
		auth: authBasic, body: body, already: alreadyActor})
}

// RemoveRoleActor removes a user or group actor from a project role.
func (c *Client) RemoveRoleActor(ctx context.Context, projectID, roleID, kind, id string) WriteResult {
	q := url.Values{"user": {id}}
	if kind == ActorKindGroup {
		q = url.Values{"groupId": {id}}
	}
	return c.write(ctx, writeCall{method: http.MethodDelete, route: routeRoleActorRemove,
		url: c.apiBase() + rolePath(projectID, roleID) + "?" + q.Encode(), auth: authBasic, already: notAnActorOrMbr})
}

// CreateUser invites an email address to the site with the given products
// (application keys; none is an empty list).
func (c *Client) CreateUser(ctx context.Context, email string, products []string) WriteResult {
	if products == nil {
		products = []string{}
	}
	var made struct {
		AccountID string `json:"accountId"`
	}
	r := c.write(ctx, writeCall{method: http.MethodPost, route: routeUserCreate, url: c.apiBase() + "/rest/api/3/user", auth: authBasic,
		body: map[string]any{"emailAddress": email, "products": products}, out: &made})
	r.Created = made.AccountID
	return r
}

// DeleteUser removes a user from the site (not the Atlassian account). A
// 404 (no such user on the site) is WriteAlready.
func (c *Client) DeleteUser(ctx context.Context, accountID string) WriteResult {
	r := c.write(ctx, writeCall{method: http.MethodDelete, route: routeUserDelete,
		url: c.apiBase() + "/rest/api/3/user?" + url.Values{"accountId": {accountID}}.Encode(), auth: authBasic})
	if r.Class == WriteRejected && r.Status == http.StatusNotFound {
		r.Class = WriteAlready
	}
	return r
}

// SuspendUser suspends (suspend true) or restores an account's access in
// the organization's directory (Admin API v2; directoryID must be a real
// directory id, not "-").
func (c *Client) SuspendUser(ctx context.Context, directoryID, accountID string, suspend bool) WriteResult {
	route, verb := routeOrgRestore, "restore"
	if suspend {
		route, verb = routeOrgSuspend, "suspend"
	}
	path := "/v2/orgs/" + url.PathEscape(c.opts.OrgID) + "/directories/" + url.PathEscape(directoryID) +
		"/users/" + url.PathEscape(accountID) + "/" + verb
	return c.adminWrite(ctx, writeCall{method: http.MethodPost, route: route, url: c.opts.AdminURL + path, auth: authBearer})
}

// SetAccountActive deactivates (active false) or reactivates the Atlassian
// account (the user management API's lifecycle disable and enable).
func (c *Client) SetAccountActive(ctx context.Context, accountID string, active bool) WriteResult {
	route, verb := routeLifecycleOff, "disable"
	if active {
		route, verb = routeLifecycleOn, "enable"
	}
	u := c.opts.GatewayURL + "/users/" + url.PathEscape(accountID) + "/manage/lifecycle/" + verb
	return c.adminWrite(ctx, writeCall{method: http.MethodPost, route: route, url: u, auth: authBearer})
}
