package jira

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/govextract/jira-extractor/internal/httpx"
	"github.com/govextract/jira-extractor/internal/jira/throttle"
	"github.com/govextract/jira-extractor/internal/retry"
	"github.com/govextract/jira-extractor/internal/secret"
	"github.com/govextract/jira-extractor/internal/slots"
)

// Page sizes the client asks for (the documented page caps). The server may
// clamp them: callers use the response's maxResults and startAt+len(values).
const (
	UsersPageSize     = 1000
	GroupsPageSize    = 50
	MembersPageSize   = 50
	ProjectsPageSize  = 100
	OrgGroupsPageSize = 100
)

// ThrottleRetryFactor bounds retries of 429 responses: a request may be
// throttled up to ThrottleRetryFactor × MaxRetries times before it fails.
// 429s are flow control under a shared bucket, not failures, so they get a
// larger budget than 5xx and network errors.
const ThrottleRetryFactor = 3

// Defaults a Client falls back to when an option is left zero.
const (
	// DefaultConcurrency is the number of requests on the wire at once.
	DefaultConcurrency = 8
	// DefaultRequestsPerSecond is the rate limiter's starting rate.
	DefaultRequestsPerSecond = 100.0
	// DefaultMaxConnections is the smallest connection pool per host.
	DefaultMaxConnections = 10
	// DefaultGatewayURL is the base of the scoped-token gateway and the
	// Admin API.
	DefaultGatewayURL = "https://api.atlassian.com"
)

// Options configure a Client: the site, the credentials and the tuning,
// resolved from the job file by the command layer.
type Options struct {
	// SiteURL is the base URL of the site's REST API (without
	// /rest/api/3), e.g. https://acme.atlassian.net. Required.
	SiteURL string
	// GatewayURL is the base of the scoped-token gateway (empty:
	// DefaultGatewayURL).
	GatewayURL string
	// AdminURL is the base of the Admin API (empty: GatewayURL + "/admin").
	AdminURL string
	// SiteName is the site's subdomain (for manifests and logs).
	SiteName string

	// Email and APIToken are the site credentials (required).
	Email    string
	APIToken secret.Value
	// OrgID and OrgAPIKey enable Admin API enrichment when both are set.
	OrgID     string
	OrgAPIKey secret.Value

	// RequestsPerSecond and Burst shape the adaptive rate limiter.
	RequestsPerSecond float64
	Burst             int
	// Concurrency is the number of requests on the wire at once (0:
	// DefaultConcurrency).
	Concurrency int
	// MaxRetries is how many times a failed request is retried (429s get
	// ThrottleRetryFactor times as many).
	MaxRetries int
	// Timeout bounds each attempt (0: no per-attempt deadline).
	Timeout time.Duration
	// MaxConnections is the connection pool per host (0: follow the
	// concurrency, at least DefaultMaxConnections).
	MaxConnections int
	// DisableCompression turns off gzip; InsecureSkipVerify turns off TLS
	// certificate checks (test servers only).
	DisableCompression bool
	InsecureSkipVerify bool

	// Logger receives debug logs per request and warnings; nil discards.
	Logger *slog.Logger
	// HTTPClient overrides the HTTP client built from the options (tests).
	// It is used through a copy that refuses redirects like the built one.
	HTTPClient *http.Client
	// Version goes into the User-Agent "jira-extractor/VERSION"; empty
	// means "dev".
	Version string
}

// TokenKind is the kind of API token: unscoped tokens talk to the site,
// scoped tokens to the gateway.
type TokenKind string

// Token kinds.
const (
	Unscoped TokenKind = "unscoped"
	Scoped   TokenKind = "scoped"
)

// Identity is what Detect found out about the credentials.
type Identity struct {
	Kind    TokenKind
	CloudID string
	Myself  Myself
	// APIBase is the base all Jira calls use: the site for unscoped tokens,
	// {gateway}/ex/jira/{cloudId} for scoped ones.
	APIBase string
}

// Client reads Jira Cloud and the Atlassian Admin API. It is safe for
// concurrent use by many goroutines; every request waits on one adaptive
// rate limiter, then for one of appConfig.concurrency in-flight slots,
// which it holds only while on the wire (never while waiting to retry).
type Client struct {
	opts      Options
	log       *slog.Logger
	http      *http.Client
	lim       *throttle.Limiter
	userAgent string
	basic     string // "Basic ..." header value: never log
	bearer    string // "Bearer ..." header value: never log
	redact    secret.Scrubber
	timeout   time.Duration
	retries   int
	throttleN int
	backoff   backoffPolicy
	health    retry.Health // recent outcomes of every read, for the failure backoff
	clock     retry.Clock
	slots     *slots.Pool // one per request on the wire

	mu sync.RWMutex
	id Identity

	stats stats

	writeLim writeLimits  // per-route buckets of writes (writes.go)
	undoc    undocumented // undocumented reads the server does not serve (fallback.go)
	usersMax usersMax     // users/search maxResults learned from 409s (users409.go)
}

// HasOrgAccess reports whether Admin API enrichment is configured.
func (o Options) HasOrgAccess() bool { return o.OrgID != "" && !o.OrgAPIKey.IsZero() }

// New builds a client from resolved options. It does no I/O: call Detect
// before reading.
func New(opts Options) (*Client, error) {
	a := opts
	if a.Email == "" || a.APIToken.IsZero() {
		return nil, errors.New("jira client: appConfig.token must hold EMAIL:API_TOKEN (validate the job file first)")
	}
	a.SiteURL = strings.TrimRight(a.SiteURL, "/")
	if a.SiteURL == "" {
		return nil, errors.New("jira client: appConfig.siteName (or baseUrl) is required")
	}
	a.GatewayURL = strings.TrimRight(a.GatewayURL, "/")
	if a.GatewayURL == "" {
		a.GatewayURL = DefaultGatewayURL
	}
	a.AdminURL = strings.TrimRight(a.AdminURL, "/")
	if a.AdminURL == "" {
		a.AdminURL = a.GatewayURL + "/admin"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	conc := a.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = newHTTPClient(a, conc, log)
	} else {
		hc = httpx.Harden(hc, httpx.RefuseRedirects)
	}
	version := opts.Version
	if version == "" {
		version = "dev"
	}
	pair := a.Email + ":" + a.APIToken.Reveal()
	enc := base64.StdEncoding.EncodeToString([]byte(pair))
	secrets := []string{enc, pair, a.APIToken.Reveal()}
	if !a.OrgAPIKey.IsZero() {
		secrets = append(secrets, a.OrgAPIKey.Reveal())
	}
	c := &Client{
		opts:      a,
		log:       log,
		http:      hc,
		lim:       throttle.New(a.RequestsPerSecond, a.Burst),
		userAgent: "jira-extractor/" + version,
		basic:     "Basic " + enc,
		redact:    secret.NewScrubber(secrets...),
		timeout:   a.Timeout,
		retries:   max(a.MaxRetries, 0),
		throttleN: ThrottleRetryFactor * max(a.MaxRetries, 0),
		backoff:   defaultBackoff,
		clock:     retry.System,
		slots:     slots.New(conc),
		id:        Identity{Kind: Unscoped, APIBase: a.SiteURL},
	}
	if !a.OrgAPIKey.IsZero() {
		c.bearer = "Bearer " + a.OrgAPIKey.Reveal()
	}
	return c, nil
}

// Identity returns what Detect found (before Detect: an unscoped identity
// with the site as API base).
func (c *Client) Identity() Identity {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.id
}

func (c *Client) apiBase() string { return c.Identity().APIBase }

// InFlightLimit returns how many requests the client keeps on the wire at
// once (appConfig.concurrency). Callers need no bound of their own: a
// request waiting to be retried holds no slot.
func (c *Client) InFlightLimit() int { return c.slots.Size() }

// setClock replaces the clock of backoff, Retry-After and the rate limiter
// (tests).
func (c *Client) setClock(clk retry.Clock) {
	c.clock = retry.OrSystem(clk)
	c.lim.SetClock(c.clock)
}

// LimitRetries caps the retries of every request at n, 429s included
// (whose budget is otherwise ThrottleRetryFactor times larger): for
// commands that must answer in seconds, such as check.
func (c *Client) LimitRetries(n int) {
	c.retries = min(c.retries, max(n, 0))
	c.throttleN = max(n, 0)
}

// Limiter returns the client's rate limiter (for inspection).
func (c *Client) Limiter() *throttle.Limiter { return c.lim }

// scrub removes any credential from text that came from outside.
func (c *Client) scrub(s string) string { return c.redact.Scrub(s) }

func (c *Client) scrubAll(msgs []string) []string { return c.redact.ScrubAll(msgs) }

// String never shows credentials.
func (c *Client) String() string {
	return fmt.Sprintf("jira.Client{site: %s}", c.opts.SiteURL)
}
