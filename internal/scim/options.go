// Package scim is a client of a SCIM directory: Atlassian's user
// provisioning API or any SCIM 2.0 (RFC 7643/7644) or SCIM 1.1 server.
//
// It discovers what the server supports (/ServiceProviderConfig,
// /ResourceTypes, /Schemas; SCIM 1.1's /ServiceProviderConfigs), pages
// /Users and /Groups with 1-based startIndex and count (at most 100 a
// page, or the smaller size the server declares) until totalResults,
// authenticates with a bearer token, Basic credentials or OAuth 2.0
// (client_credentials or refresh_token, through golang.org/x/oauth2, with
// a refresh when a token expires mid-run), and makes the lifecycle writes
// apply needs. Reads are retried on 429 (honouring Retry-After), 5xx and
// network errors; writes are sent once and classified, so the apply
// engine decides about a second attempt after a re-read.
package scim

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/govextract/jira-extractor/internal/retry"
	"github.com/govextract/jira-extractor/internal/secret"
)

// AuthKind names an authentication method.
type AuthKind string

// The authentication methods.
const (
	AuthBearer AuthKind = "bearer"
	AuthBasic  AuthKind = "basic"
	AuthOAuth2 AuthKind = "oauth2"
)

// OAuth 2.0 grant types.
const (
	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
)

// Auth holds the credentials of one method; secrets are secret.Values.
type Auth struct {
	Kind AuthKind
	// Token is the bearer token (a directory API key).
	Token secret.Value
	// Username and Password are the Basic credentials.
	Username string
	Password secret.Value
	// TokenURL, ClientID, ClientSecret, Scopes, GrantType and
	// RefreshToken configure OAuth 2.0.
	TokenURL     string
	ClientID     string
	ClientSecret secret.Value
	Scopes       []string
	GrantType    string
	RefreshToken secret.Value
}

// Options configure a Client. Zero tuning fields take the defaults.
type Options struct {
	// BaseURL is the SCIM base, e.g.
	// https://api.atlassian.com/scim/directory/{directoryId}.
	BaseURL string
	// Version is 2 (default) or 1 (SCIM 1.1).
	Version int
	Auth    Auth
	// ReadSchema reads /ServiceProviderConfig, /ResourceTypes and
	// /Schemas before anything else.
	ReadSchema bool

	RequestsPerSecond  float64
	Burst              int
	Concurrency        int
	MaxRetries         int
	Timeout            time.Duration
	MaxConnections     int
	DisableCompression bool
	InsecureSkipVerify bool

	// Setting is the job-file prefix named in errors ("scim").
	Setting string
	Logger  *slog.Logger
	// UserAgent is sent with every request.
	UserAgent string

	// HTTPClient replaces the client built from the knobs (tests).
	HTTPClient *http.Client
	// Clock paces retries and the rate limit; nil is the system clock.
	Clock retry.Clock
	// Backoff replaces the failure backoff (tests).
	Backoff *retry.Backoff
}

// Defaults: the same as appConfig's.
const (
	DefaultPageSize          = 100
	DefaultRequestsPerSecond = 100
	DefaultBurst             = 20
	DefaultConcurrency       = 8
	DefaultMaxRetries        = 6
	DefaultTimeout           = 30 * time.Second
	// DefaultMaxConnections is the least pool when maxConnections is
	// unset (the pool follows the concurrency above it).
	DefaultMaxConnections = 10
)

func (o Options) withDefaults() Options {
	if o.Version == 0 {
		o.Version = 2
	}
	if o.RequestsPerSecond <= 0 {
		o.RequestsPerSecond = DefaultRequestsPerSecond
	}
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Setting == "" {
		o.Setting = "scim"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	return o
}

// validate checks what New needs.
func (o Options) validate() error {
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s.baseUrl is not an http(s) URL", o.Setting)
	}
	if o.Version != 1 && o.Version != 2 {
		return fmt.Errorf("%s.version is %d: use 2 (SCIM 2.0) or 1 (SCIM 1.1)", o.Setting, o.Version)
	}
	a := o.Auth
	switch a.Kind {
	case AuthBearer:
		if a.Token.IsZero() {
			return fmt.Errorf("%s.auth.token is empty", o.Setting)
		}
	case AuthBasic:
		if a.Username == "" || a.Password.IsZero() {
			return fmt.Errorf("%s.auth.username and %s.auth.password are both needed", o.Setting, o.Setting)
		}
	case AuthOAuth2:
		if a.TokenURL == "" || a.ClientID == "" {
			return fmt.Errorf("%s.auth.tokenUrl and %s.auth.clientId are needed for oauth2", o.Setting, o.Setting)
		}
		if a.GrantType == GrantRefreshToken && a.RefreshToken.IsZero() {
			return fmt.Errorf("%s.auth.refreshToken is needed for grantType refresh_token", o.Setting)
		}
	default:
		return fmt.Errorf("%s.auth.type %q is not bearer, basic or oauth2", o.Setting, a.Kind)
	}
	return nil
}
