package sim

import (
	"crypto/sha256"
	"fmt"
	"log/slog"
	"time"
)

// Config describes a simulated site: its data (generated from a preset and a
// seed, or loaded from a dataset file), its credentials, its permissions, its
// rate limit and the faults it injects.
type Config struct {
	// Size is a preset: "small", "medium" or "large". "" means small unless
	// explicit counts are given (missing counts then come from small).
	Size string
	// Seed makes generation (and fault draws) deterministic.
	Seed int64
	// Users, Groups and Projects override the preset's counts when > 0.
	Users, Groups, Projects int
	// MeanMembersPerGroup overrides the preset's mean group size when > 0.
	// Sizes are long-tailed: many groups are empty or tiny, a few are huge.
	MeanMembersPerGroup float64
	// Schemes overrides the number of permission schemes when > 0.
	Schemes int

	// DatasetFile loads a fixed site from a JSON dataset (see the package doc)
	// instead of generating one. Dataset does the same from memory and wins.
	DatasetFile string
	Dataset     *Dataset

	// SiteName is the site's name, used in fake "self" URLs. Default "sim".
	SiteName string

	// Email and Token are the unscoped Basic credentials.
	// Defaults "sim@example.com" and "sim-token".
	Email, Token string
	// ScopedToken works only through the gateway and has every scope.
	// Default "sim-scoped-token".
	ScopedToken string
	// UnderScopedToken is a scoped token that lacks read:jira-work and
	// manage:jira-configuration. Default "sim-noscope-token".
	UnderScopedToken string
	// UnderScopedScopes are the classic scopes UnderScopedToken has
	// (default read:jira-user only); every other scope's routes answer 401
	// "scope does not match".
	UnderScopedScopes []string
	// CloudID is the gateway's cloud id; default a fixed uuid derived from Seed.
	CloudID string
	// OrgID and OrgAPIKey guard the Admin API. Defaults "sim-org", "sim-org-key".
	OrgID, OrgAPIKey string

	// Permissions says what the account may do (zero value: everything).
	Permissions Permissions
	// RateLimit is the per-route, per-method token bucket (zero: no limit).
	RateLimit RateLimit
	// Faults are the injected faults (zero: none).
	Faults Faults
	// SCIM configures the SCIM directory served for the organization.
	SCIM SCIMConfig

	// Directories is how many directories the organization has (0 and 1:
	// one). Org accounts are spread over them in turn (account k is in
	// directory k mod Directories), groups are all in the first, and the
	// directory list is served one directory a page: a client must page
	// it and write to the directory that holds the account.
	Directories int
	// StrictDocumentedOnly makes the reads the published API facts do not
	// list answer 404 as an unknown endpoint does: GET /user/search,
	// GET /issue/createmeta/{project}/issuetypes and the Admin API's
	// single-user GET .../directories/{directoryId}/users/{accountId}.
	StrictDocumentedOnly bool

	// RequiredIssueFields makes custom fields required when creating issues,
	// per project key (e.g. {"OPS": {"customfield_10200"}}): POST /issue
	// without them answers 400 naming each one.
	RequiredIssueFields map[string][]string
	// Now is the clock of the rate limits, audit records and issue
	// timestamps; nil means time.Now. Tests inject a fake one.
	Now func() time.Time

	// Logger receives the server's log lines; nil discards them.
	Logger *slog.Logger
}

// Permissions are the global permissions of the simulated account.
//
// The zero value grants everything. When any of the four permissions is
// true, exactly the true ones are granted. DenyAll grants none of them.
type Permissions struct {
	BrowseUsers bool // users/search, group/bulk, group/member, user/groups; else 403
	// AdministerJira (site administration): GET /role, /applicationrole,
	// /permissionscheme, /auditing/record, group/user and user writes; else 403.
	AdministerJira bool
	BrowseProjects bool // project/search and project/{id}/...; else 404
	// AdministerProjects: project role actor writes (AdministerJira also
	// allows them); without either they answer 404, as Jira does.
	AdministerProjects bool
	DenyAll            bool
}

func (p Permissions) effective() Permissions {
	switch {
	case p.DenyAll:
		return Permissions{}
	case !p.BrowseUsers && !p.AdministerJira && !p.BrowseProjects && !p.AdministerProjects:
		return Permissions{BrowseUsers: true, AdministerJira: true, BrowseProjects: true, AdministerProjects: true}
	}
	return p
}

// RateLimit is a token bucket per route template and method. Jira's
// defaults are GET 100/s, POST 100/s, PUT and DELETE 50/s.
type RateLimit struct {
	// PerSecond is the steady refill rate of GET routes (and the base of the
	// write rates); 0 disables rate limiting of GETs.
	PerSecond float64
	// Burst is the bucket size; 0 means ceil(PerSecond).
	Burst int
	// PostPerSecond is the rate of POST routes; 0 means PerSecond (with
	// Burst), negative means no limit. PostBurst 0 means ceil(PostPerSecond).
	PostPerSecond float64
	PostBurst     int
	// DeletePerSecond is the rate of PUT and DELETE routes; 0 means
	// PerSecond/2 (with half the Burst), negative means no limit.
	// DeleteBurst 0 means ceil(DeletePerSecond).
	DeletePerSecond float64
	DeleteBurst     int
	// NoRetryAfter leaves Retry-After out of 429 answers.
	NoRetryAfter bool
	// Reason is the RateLimit-Reason header; default "jira-burst-based".
	Reason string
	// Headers is the header set of 429s: "" (Retry-After unless
	// NoRetryAfter, X-RateLimit-*, RateLimit-Reason), HeadersStructured or
	// HeadersResetMinutes.
	Headers string
}

// 429 header sets (RateLimit.Headers).
const (
	// HeadersStructured sends only the 2025–2026 headers: Beta-RateLimit
	// and RateLimit (`"burst";r=0;t=SECONDS`), their -Policy forms and
	// Beta-RateLimit-Reason; no Retry-After, no X-RateLimit-*.
	HeadersStructured = "structured"
	// HeadersResetMinutes sends, as a gateway does, only X-RateLimit-Reset
	// without seconds (the minute, truncated) and RateLimit-Reason.
	HeadersResetMinutes = "reset-minutes"
)

// Faults are injected per request; every Rate is a probability in [0, 1].
// They apply to the Jira and Admin API routes, never to /_edge/tenant_info
// or /_sim/*. The ground truth ignores faults.
type Faults struct {
	Latency time.Duration // added to every answer
	Jitter  time.Duration // plus a uniform random extra in [0, Jitter)

	Rate500, Rate502, Rate503, Rate504 float64 // 503s carry Retry-After: 1 half the time
	RateReset                          float64 // hijack and close the connection, no answer
	RateTruncated                      float64 // 200 whose JSON body is cut in half
	Rate409UserSearch                  float64 // users/search answers 409 (Jira's "too slow")
	Rate429                            float64 // 429s on top of the bucket's
	// UserSearch409Above makes users/search answer 409 (Jira's "too slow")
	// to every request asking for more than this many users (0: never).
	UserSearch409Above int

	// ShortUserPages makes users/search return fewer users than asked for
	// (never an empty page before the end).
	ShortUserPages bool
	// OmitTotals leaves "total" out of every PageBean (some group/member
	// pages omit it anyway, per the data set).
	OmitTotals bool
	// PlainText401 answers bad credentials with a text/plain body.
	PlainText401 bool
	// XML401 answers bad credentials with an XML body; Password401 with
	// Jira's "Basic authentication with passwords is deprecated" text.
	XML401, Password401 bool
	// EmptyProjectSearch404 makes project/search answer 404 "No projects
	// found" to a page with nothing on it (past the end), as Jira does
	// "when nothing matches", instead of an empty page.
	EmptyProjectSearch404 bool

	// OrgUsersV1Status, when 404 or 410, makes the retired Admin API v1
	// users listing (GET /admin/v1/orgs/{orgId}/users) answer it; the v2
	// directory users listing still answers.
	OrgUsersV1Status int

	// ForbiddenProjects and NotFoundProjects (ids or keys): their role
	// endpoints (role, roledetails, role/{id}) answer 403 / 404.
	ForbiddenProjects, NotFoundProjects []string
	// NotFoundSchemes makes NotFoundProjects cover their
	// project/{id}/permissionscheme too.
	NotFoundSchemes bool
	// VanishingGroups (ids): group/member answers 404 once the group's first
	// page has been served, as if the group was deleted mid-run.
	VanishingGroups []string

	// AfterWrite500 and AfterWriteReset apply to writes (POST, PUT, DELETE)
	// that succeeded: the change is made, then a 500 is answered or the
	// connection is closed with no answer. A safe client re-reads.
	AfterWrite500, AfterWriteReset float64
}

// preset is a named size.
type preset struct {
	users, groups, projects int
	mean                    float64
}

var presets = map[string]preset{
	"small":  {users: 200, groups: 20, projects: 15, mean: 15},
	"medium": {users: 20000, groups: 1000, projects: 500, mean: 100},
	"large":  {users: 200000, groups: 10000, projects: 5000, mean: 200},
}

// Defaults of the credentials.
const (
	DefaultEmail            = "sim@example.com"
	DefaultToken            = "sim-token"
	DefaultScopedToken      = "sim-scoped-token"
	DefaultUnderScopedToken = "sim-noscope-token"
	DefaultOrgID            = "sim-org"
	DefaultOrgAPIKey        = "sim-org-key"
	DefaultSiteName         = "sim"
)

// withDefaults fills the empty fields of c.
func (c Config) withDefaults() (Config, error) {
	if c.Size == "" {
		c.Size = "small"
	}
	p, ok := presets[c.Size]
	if !ok {
		return c, fmt.Errorf("unknown size %q (want small, medium or large)", c.Size)
	}
	if c.Users < 0 || c.Groups < 0 || c.Projects < 0 {
		return c, fmt.Errorf("negative counts: users=%d groups=%d projects=%d", c.Users, c.Groups, c.Projects)
	}
	if c.Users == 0 {
		c.Users = p.users
	}
	if c.Groups == 0 {
		c.Groups = p.groups
	}
	if c.Projects == 0 {
		c.Projects = p.projects
	}
	if c.MeanMembersPerGroup <= 0 {
		c.MeanMembersPerGroup = p.mean
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.SiteName, DefaultSiteName)
	def(&c.Email, DefaultEmail)
	def(&c.Token, DefaultToken)
	def(&c.ScopedToken, DefaultScopedToken)
	def(&c.UnderScopedToken, DefaultUnderScopedToken)
	if len(c.UnderScopedScopes) == 0 {
		c.UnderScopedScopes = []string{scopeUser}
	}
	def(&c.OrgID, DefaultOrgID)
	def(&c.OrgAPIKey, DefaultOrgAPIKey)
	if c.CloudID == "" {
		c.CloudID = seedUUID(c.Seed)
	}
	c.RateLimit = c.RateLimit.withDefaults()
	switch c.RateLimit.Headers {
	case "", HeadersStructured, HeadersResetMinutes:
	default:
		return c, fmt.Errorf("unknown 429 header set %q (want %q or %q)", c.RateLimit.Headers, HeadersStructured, HeadersResetMinutes)
	}
	return c, nil
}

func (r RateLimit) withDefaults() RateLimit {
	if r.PerSecond > 0 && r.Burst <= 0 {
		r.Burst = int(r.PerSecond)
		if float64(r.Burst) < r.PerSecond {
			r.Burst++
		}
	}
	if r.Reason == "" {
		r.Reason = "jira-burst-based"
	}
	return r
}

// seedUUID derives a fixed version-4-looking uuid from the seed.
func seedUUID(seed int64) string { return uuidOf(fmt.Sprintf("jirasim-cloud-%d", seed)) }

// uuidOf derives a fixed version-4-looking uuid from a string.
func uuidOf(from string) string {
	h := sha256.Sum256([]byte(from))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
