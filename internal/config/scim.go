package config

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/govextract/jira-extractor/internal/scim"
	"github.com/govextract/jira-extractor/internal/secret"
)

// SCIMConfig is the job file's scim section: a SCIM directory read as a
// source (users, groups, member_of) and changed by apply.
type SCIMConfig struct {
	BaseURL     string   `json:"baseUrl,omitempty"`
	DirectoryID string   `json:"directoryId,omitempty"`
	Version     int      `json:"version,omitempty"`
	ReadSchema  *bool    `json:"readSchema,omitempty"`
	Auth        SCIMAuth `json:"auth"`

	RequestsPerSecond  float64  `json:"requestsPerSecond,omitempty"`
	Burst              int      `json:"burst,omitempty"`
	Concurrency        int      `json:"concurrency,omitempty"`
	MaxRetries         *int     `json:"maxRetries,omitempty"`
	Timeout            Duration `json:"timeout,omitempty"`
	MaxConnections     int      `json:"maxConnections,omitempty"`
	DisableCompression bool     `json:"disableCompression,omitempty"`
	InsecureSkipVerify bool     `json:"insecureSkipVerify,omitempty"`
	IncludeInactive    *bool    `json:"includeInactiveUsers,omitempty"`
}

// SCIMAuth is scim.auth; every secret may instead come from the
// environment (which wins) or a file.
type SCIMAuth struct {
	Type             string       `json:"type,omitempty"`
	Token            secret.Value `json:"token"`
	TokenFile        string       `json:"tokenFile,omitempty"`
	Username         string       `json:"username,omitempty"`
	Password         secret.Value `json:"password"`
	PasswordFile     string       `json:"passwordFile,omitempty"`
	TokenURL         string       `json:"tokenUrl,omitempty"`
	ClientID         string       `json:"clientId,omitempty"`
	ClientSecret     secret.Value `json:"clientSecret"`
	ClientSecretFile string       `json:"clientSecretFile,omitempty"`
	Scope            string       `json:"scope,omitempty"`
	GrantType        string       `json:"grantType,omitempty"`
	RefreshToken     secret.Value `json:"refreshToken"`
	RefreshTokenFile string       `json:"refreshTokenFile,omitempty"`
}

// Environment variables of the SCIM secrets; where set they win.
const (
	EnvSCIMToken        = "SCIM_TOKEN"
	EnvSCIMPassword     = "SCIM_PASSWORD"
	EnvSCIMClientSecret = "SCIM_CLIENT_SECRET"
	EnvSCIMRefreshToken = "SCIM_REFRESH_TOKEN"
)

var scimKeys = []KeyDoc{
	{Key: "scim", Type: "object", Doc: "a SCIM directory (Atlassian user provisioning or any SCIM 2.0 or 1.1 server) read as users, groups and member_of, and changed by apply; with appConfig too, a run writes both"},
	{Key: "scim.baseUrl", Type: "string", Doc: "the SCIM base URL, e.g. https://scim.example.com/scim/v2; exactly one of baseUrl and directoryId"},
	{Key: "scim.directoryId", Type: "string", Doc: "Atlassian's user-provisioning directory id: the base is {appConfig.gatewayUrl or https://api.atlassian.com}/scim/directory/{directoryId}"},
	{Key: "scim.version", Type: "integer", Default: 2, Doc: "SCIM version: 2 (RFC 7643/7644) or 1 (SCIM 1.1)"},
	{Key: "scim.readSchema", Type: "boolean", Default: true, Doc: "read /ServiceProviderConfig, /ResourceTypes and /Schemas first and honour the declared page size and PATCH, filter and bulk support"},
	{Key: "scim.auth", Type: "object", Doc: "how the connector authenticates"},
	{Key: "scim.auth.type", Type: "string", Enum: []string{"bearer", "basic", "oauth2"}, Default: "bearer", Doc: "bearer token (Atlassian's directory API key), basic user and password, or OAuth 2.0"},
	{Key: "scim.auth.token", Type: "string", Secret: true, Doc: "bearer token; tokenFile and then the environment variable SCIM_TOKEN win"},
	{Key: "scim.auth.tokenFile", Type: "string", Doc: "path of a file holding only the bearer token"},
	{Key: "scim.auth.username", Type: "string", Doc: "basic user name"},
	{Key: "scim.auth.password", Type: "string", Secret: true, Doc: "basic password; passwordFile and then SCIM_PASSWORD win"},
	{Key: "scim.auth.passwordFile", Type: "string", Doc: "path of a file holding only the basic password"},
	{Key: "scim.auth.tokenUrl", Type: "string", Doc: "OAuth 2.0 token endpoint (http or https URL)"},
	{Key: "scim.auth.clientId", Type: "string", Doc: "OAuth 2.0 client id"},
	{Key: "scim.auth.clientSecret", Type: "string", Secret: true, Doc: "OAuth 2.0 client secret; clientSecretFile and then SCIM_CLIENT_SECRET win"},
	{Key: "scim.auth.clientSecretFile", Type: "string", Doc: "path of a file holding only the OAuth 2.0 client secret"},
	{Key: "scim.auth.scope", Type: "string", Doc: "OAuth 2.0 scopes, space-separated"},
	{Key: "scim.auth.grantType", Type: "string", Enum: []string{scim.GrantClientCredentials, scim.GrantRefreshToken}, Default: scim.GrantClientCredentials, Doc: "OAuth 2.0 grant; refresh_token needs refreshToken"},
	{Key: "scim.auth.refreshToken", Type: "string", Secret: true, Doc: "OAuth 2.0 refresh token (grantType refresh_token); refreshTokenFile and then SCIM_REFRESH_TOKEN win"},
	{Key: "scim.auth.refreshTokenFile", Type: "string", Doc: "path of a file holding only the refresh token"},
	{Key: "scim.requestsPerSecond", Type: "number", Default: DefaultRequestsPerSecond, Doc: "client-side steady request rate (0.1 to 100000); lowered on 429"},
	{Key: "scim.burst", Type: "integer", Default: DefaultBurst, Doc: "requests allowed at once above the steady rate (1 to 10000)"},
	{Key: "scim.concurrency", Type: "integer", Default: DefaultConcurrency, Doc: "requests in flight at once (1 to 256)"},
	{Key: "scim.maxRetries", Type: "integer", Default: DefaultMaxRetries, Doc: "retries of one read on 429, 5xx and network errors (0 to 50), with Retry-After or exponential backoff; writes are never retried blindly"},
	{Key: "scim.timeout", Type: "duration", Default: DefaultTimeout.String(), Doc: `timeout of one HTTP request (1s to 10m)`},
	{Key: "scim.maxConnections", Type: "integer", Doc: "open connections per host (1 to 1024); unset: follows scim.concurrency (at least 10)"},
	{Key: "scim.disableCompression", Type: "boolean", Default: false, Doc: "do not ask for gzip-compressed responses"},
	{Key: "scim.insecureSkipVerify", Type: "boolean", Default: false, Doc: "turn off TLS certificate checks; refused unless the command is started with --allow-insecure"},
	{Key: "scim.includeInactiveUsers", Type: "boolean", Default: true, Doc: "extract inactive SCIM users and their memberships"},
}

func init() {
	for i := range Keys {
		if Keys[i].Key == "appConfig" {
			Keys[i].Required = false
			Keys[i].Doc += "; required unless the job has scim"
		}
	}
	Keys = append(Keys, scimKeys...)
}

// directoryIDPattern is what an Atlassian directory id may hold: it is
// pasted into the base URL's path.
var directoryIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// HasJira reports whether the job reads a Jira site (appConfig given).
func (j *Job) HasJira() bool { return j.AppConfig.Site() != "" }

// SCIMBase is the SCIM base URL: baseUrl, or Atlassian's directory URL.
func (s *SCIMConfig) SCIMBase(gateway string) string {
	if s.BaseURL != "" {
		return strings.TrimRight(s.BaseURL, "/")
	}
	return strings.TrimRight(gateway, "/") + "/scim/directory/" + s.DirectoryID
}

// SCIMOptions returns the SCIM client's options; nil without a scim
// section.
func (j *Job) SCIMOptions() *scim.Options {
	s := j.SCIM
	if s == nil {
		return nil
	}
	a := s.Auth
	o := &scim.Options{BaseURL: s.SCIMBase(j.AppConfig.Gateway()), Version: s.Version, ReadSchema: s.ReadSchema == nil || *s.ReadSchema,
		Auth: scim.Auth{Kind: scim.AuthKind(a.Type), Token: a.Token, Username: a.Username, Password: a.Password,
			TokenURL: a.TokenURL, ClientID: a.ClientID, ClientSecret: a.ClientSecret, Scopes: strings.Fields(a.Scope),
			GrantType: a.GrantType, RefreshToken: a.RefreshToken},
		RequestsPerSecond: s.RequestsPerSecond, Burst: s.Burst, Concurrency: s.Concurrency, Timeout: s.Timeout.Duration,
		MaxConnections: s.MaxConnections, DisableCompression: s.DisableCompression, InsecureSkipVerify: s.InsecureSkipVerify,
		MaxRetries: DefaultMaxRetries}
	if s.MaxRetries != nil {
		o.MaxRetries = *s.MaxRetries
	}
	return o
}

// SCIMIncludeInactive reports whether inactive SCIM users are extracted.
func (s *SCIMConfig) SCIMIncludeInactive() bool {
	return s.IncludeInactive == nil || *s.IncludeInactive
}

// checkSCIM resolves the scim section's secrets (environment, file, job
// file, in that order) and validates it; every problem names its key.
func checkSCIM(j *Job, opts Options, env func(string) (string, bool), readFile func(string) ([]byte, error)) []Problem {
	s := j.SCIM
	if s == nil {
		return nil
	}
	var probs []Problem
	add := func(key, msg, fix string) { probs = append(probs, Problem{Key: key, Message: msg, Fix: fix}) }
	a := &s.Auth
	resolve := func(key, fileKey, envName, file string, v *secret.Value) bool {
		from := key
		switch val, ok := env(envName); {
		case ok:
			*v, from = secret.New(val), envName
		case file != "":
			b, err := readFile(file)
			if err != nil {
				add(fileKey, fmt.Sprintf("cannot read the secret file %s: %v", file, err), "name a readable file that holds only the secret")
				return false
			}
			*v, from = secret.New(strings.TrimSpace(string(b))), fileKey
		default:
			*v = secret.New(strings.TrimSpace(v.Reveal()))
		}
		if v.IsZero() {
			return false
		}
		if len(v.Reveal()) < secret.MinLength {
			add(from, fmt.Sprintf("is shorter than %d characters, so it cannot be a real credential", secret.MinLength), "copy the whole secret")
		}
		return true
	}
	hasToken := resolve("scim.auth.token", "scim.auth.tokenFile", EnvSCIMToken, a.TokenFile, &a.Token)
	hasPassword := resolve("scim.auth.password", "scim.auth.passwordFile", EnvSCIMPassword, a.PasswordFile, &a.Password)
	hasSecret := resolve("scim.auth.clientSecret", "scim.auth.clientSecretFile", EnvSCIMClientSecret, a.ClientSecretFile, &a.ClientSecret)
	hasRefresh := resolve("scim.auth.refreshToken", "scim.auth.refreshTokenFile", EnvSCIMRefreshToken, a.RefreshTokenFile, &a.RefreshToken)

	switch {
	case s.BaseURL != "" && s.DirectoryID != "":
		add("scim.baseUrl", "baseUrl and directoryId are both set", "keep exactly one of them")
	case s.BaseURL == "" && s.DirectoryID == "":
		add("scim.baseUrl", "missing", "set scim.baseUrl to the SCIM base URL, or scim.directoryId for Atlassian's user provisioning")
	case s.DirectoryID != "" && !directoryIDPattern.MatchString(s.DirectoryID):
		add("scim.directoryId", "is not a directory id (letters, digits, '.', '_' and '-', at most 128)",
			"copy the id from admin.atlassian.com (Security → Identity providers → your directory), not its URL")
	case s.DirectoryID != "" && a.Type != "bearer":
		add("scim.auth.type", fmt.Sprintf("is %q, but Atlassian's user provisioning takes only its directory API key as a bearer token", a.Type),
			`set scim.auth.type to "bearer" and scim.auth.token to the directory's API key, or use scim.baseUrl for another SCIM server`)
	}
	probs = append(probs, checkHTTPURL("scim.baseUrl", s.BaseURL, "https://scim.example.com/scim/v2")...)
	if s.Version != 1 && s.Version != 2 {
		add("scim.version", fmt.Sprintf("is %d", s.Version), "set 2 (SCIM 2.0) or 1 (SCIM 1.1)")
	}
	switch a.Type {
	case "bearer":
		if !hasToken {
			add("scim.auth.token", "missing for auth type bearer", "set scim.auth.token, scim.auth.tokenFile or "+EnvSCIMToken)
		}
	case "basic":
		if a.Username == "" {
			add("scim.auth.username", "missing for auth type basic", "set the basic user name")
		}
		if !hasPassword {
			add("scim.auth.password", "missing for auth type basic", "set scim.auth.password, scim.auth.passwordFile or "+EnvSCIMPassword)
		}
	case "oauth2":
		if a.TokenURL == "" {
			add("scim.auth.tokenUrl", "missing for auth type oauth2", "set the OAuth 2.0 token endpoint URL")
		}
		probs = append(probs, checkHTTPURL("scim.auth.tokenUrl", a.TokenURL, "https://auth.example.com/oauth/token")...)
		if a.ClientID == "" {
			add("scim.auth.clientId", "missing for auth type oauth2", "set the OAuth 2.0 client id")
		}
		if !hasSecret && a.GrantType == scim.GrantClientCredentials {
			add("scim.auth.clientSecret", "missing for grant type client_credentials", "set scim.auth.clientSecret, scim.auth.clientSecretFile or "+EnvSCIMClientSecret)
		}
		switch a.GrantType {
		case scim.GrantClientCredentials:
		case scim.GrantRefreshToken:
			if !hasRefresh {
				add("scim.auth.refreshToken", "missing for grant type refresh_token", "set scim.auth.refreshToken, scim.auth.refreshTokenFile or "+EnvSCIMRefreshToken)
			}
		default:
			add("scim.auth.grantType", fmt.Sprintf("%q is not a grant type", a.GrantType), "set client_credentials or refresh_token")
		}
	default:
		add("scim.auth.type", fmt.Sprintf("%q is not an auth type", a.Type), "set bearer, basic or oauth2")
	}
	if v := s.RequestsPerSecond; v < MinRequestsPerSecond || v > MaxRequestsPerSecond {
		add("scim.requestsPerSecond", fmt.Sprintf("is %s, outside %s to %s", fnum(v), fnum(MinRequestsPerSecond), fnum(MaxRequestsPerSecond)), "set e.g. 100")
	}
	probs = append(probs, checkRange("scim.burst", int64(s.Burst), 1, MaxBurst, "20")...)
	probs = append(probs, checkRange("scim.concurrency", int64(s.Concurrency), 1, MaxConcurrency, "8")...)
	if s.MaxRetries != nil {
		probs = append(probs, checkRange("scim.maxRetries", int64(*s.MaxRetries), 0, MaxMaxRetries, "6")...)
	}
	if d := s.Timeout.Duration; d < MinTimeout || d > MaxTimeout {
		add("scim.timeout", fmt.Sprintf("is %s, outside %s to %s", d, MinTimeout, MaxTimeout), `set e.g. "30s"`)
	}
	if s.MaxConnections != 0 {
		probs = append(probs, checkRange("scim.maxConnections", int64(s.MaxConnections), 1, MaxMaxConnections, "16")...)
	}
	if s.InsecureSkipVerify && !opts.AllowInsecure {
		add("scim.insecureSkipVerify", "turns off TLS certificate checks and is refused by default", "remove it, or start the run with --allow-insecure")
	}
	return probs
}

// scimProblems adds the scim section's problems to the others; a job
// that names scim (even with a value of the wrong type) and not appConfig
// drops appConfig's (a SCIM-only job).
func scimProblems(j *Job, d *decoder, probs []Problem, opts Options) []Problem {
	if !d.present["scim"] && !d.reported("scim") {
		return probs
	}
	if !d.present["appConfig"] && !d.reported("appConfig") {
		kept := probs[:0]
		for _, p := range probs {
			if !strings.HasPrefix(p.Key, "appConfig") && p.Key != EnvEmail && p.Key != EnvAPIToken {
				kept = append(kept, p)
			}
		}
		probs = kept
	}
	if j.SCIM == nil {
		return probs
	}
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	env := func(name string) (string, bool) {
		v, ok := lookup(name)
		v = strings.TrimSpace(v)
		return v, ok && v != ""
	}
	readFile := opts.ReadSecretFile
	if readFile == nil {
		readFile = readSecretFile
	}
	return append(probs, checkSCIM(j, opts, env, readFile)...)
}
