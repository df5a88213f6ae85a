// Package config reads and validates the job file: the credentials and site in
// appConfig, the output destination and format, and the tuning and filter
// options. Every problem names its key and the fix; credentials are Secrets
// and never print. Resolve turns a Job into the plain options of the
// packages that run it; only the command layer (internal/cli,
// internal/pluginserver, cmd/*) imports this package.
package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/secret"
)

// Job is a parsed, validated job file.
type Job struct {
	AppConfig AppConfig     `json:"appConfig"`
	Output    Output        `json:"output"`
	Upload    *UploadConfig `json:"upload,omitempty"`
	// Tickets configures the Jira issues of "ticket" actions (nil: none).
	Tickets *TicketsConfig `json:"tickets,omitempty"`
	// SCIM is the scim section: a SCIM directory as a source and an
	// apply target (see scim.go).
	SCIM *SCIMConfig `json:"scim,omitempty"`
	// Incremental configures `run --since`.
	Incremental *IncrementalConfig `json:"incremental,omitempty"`
}

// AppConfig holds the site, credentials and extraction options.
type AppConfig struct {
	// Token is "EMAIL:API_TOKEN". After Parse, Email and APIToken hold the
	// credentials in use, from the environment (JIRA_EMAIL, JIRA_API_TOKEN),
	// APITokenFile, EmailAddress or Token, in that order.
	Token secret.Value `json:"token"`
	// EmailAddress is the appConfig.email key: the account's email, for use
	// with APITokenFile or JIRA_API_TOKEN.
	EmailAddress string `json:"email,omitempty"`
	// APITokenFile names a file holding the API token alone.
	APITokenFile string `json:"apiTokenFile,omitempty"`
	SiteName     string `json:"siteName,omitempty"`
	OrgName      string `json:"orgName,omitempty"`

	BaseURL    string `json:"baseUrl,omitempty"`
	GatewayURL string `json:"gatewayUrl,omitempty"`
	OrgID      string `json:"orgId,omitempty"`
	// OrgAPIKey is the organization API key in use after Parse: from
	// ATLASSIAN_ORG_API_KEY, OrgAPIKeyFile or the job file, in that order.
	OrgAPIKey     secret.Value `json:"orgApiKey"`
	OrgAPIKeyFile string       `json:"orgApiKeyFile,omitempty"`
	AdminURL      string       `json:"adminUrl,omitempty"`

	RequestsPerSecond  float64  `json:"requestsPerSecond,omitempty"`
	Burst              int      `json:"burst,omitempty"`
	Concurrency        int      `json:"concurrency,omitempty"`
	MaxRetries         *int     `json:"maxRetries,omitempty"`
	Timeout            Duration `json:"timeout,omitempty"`
	MaxConnections     int      `json:"maxConnections,omitempty"`
	DisableCompression bool     `json:"disableCompression,omitempty"`
	InsecureSkipVerify bool     `json:"insecureSkipVerify,omitempty"`

	ProjectKeys          []string `json:"projectKeys,omitempty"`
	AccountTypes         []string `json:"accountTypes,omitempty"`
	EntityKinds          []string `json:"entityKinds,omitempty"`
	RelationKinds        []string `json:"relationKinds,omitempty"`
	IncludeInactiveUsers *bool    `json:"includeInactiveUsers,omitempty"`

	// Email and APIToken are the credentials in use, set by Parse.
	Email    string       `json:"-"`
	APIToken secret.Value `json:"-"`
}

// Site returns the site subdomain (siteName or its alias orgName).
func (a AppConfig) Site() string {
	if a.SiteName != "" {
		return a.SiteName
	}
	return a.OrgName
}

// SiteURL is the base URL of the site's REST API (without /rest/api/3).
func (a AppConfig) SiteURL() string {
	if a.BaseURL != "" {
		return strings.TrimRight(a.BaseURL, "/")
	}
	return "https://" + a.Site() + ".atlassian.net"
}

// Gateway is the base of the scoped-token gateway and the Admin API.
func (a AppConfig) Gateway() string {
	if a.GatewayURL != "" {
		return strings.TrimRight(a.GatewayURL, "/")
	}
	return "https://api.atlassian.com"
}

// AdminBase is the base of the Admin API ({gateway}/admin unless adminUrl is set).
func (a AppConfig) AdminBase() string {
	if a.AdminURL != "" {
		return strings.TrimRight(a.AdminURL, "/")
	}
	return a.Gateway() + "/admin"
}

// InactiveUsers reports whether inactive users are extracted (default true).
func (a AppConfig) InactiveUsers() bool {
	return a.IncludeInactiveUsers == nil || *a.IncludeInactiveUsers
}

// Retries returns maxRetries (DefaultMaxRetries when unset).
func (a AppConfig) Retries() int {
	if a.MaxRetries == nil {
		return DefaultMaxRetries
	}
	return *a.MaxRetries
}

// Output says where and how the run is written.
type Output struct {
	Destination string `json:"destination,omitempty"`
	// Location is Destination parsed, set by Parse.
	Location location.Location `json:"-"`
	Format   string            `json:"format,omitempty"`
	// Compression: parquet zstd (default), snappy, gzip, none; csv none
	// (default) or gzip.
	Compression string `json:"compression,omitempty"`
	BatchRows   int    `json:"batchRows,omitempty"`
	BatchBytes  int64  `json:"batchBytes,omitempty"`
	// OwnerOnly keeps files 0600 and folders 0700 (default true).
	OwnerOnly *bool     `json:"ownerOnly,omitempty"`
	S3        *S3Output `json:"s3,omitempty"`
	// EffectiveAccess writes the derived effective_role and
	// effective_permission tables (default true).
	EffectiveAccess *bool `json:"effectiveAccess,omitempty"`
	// EffectivePermissions are the permission keys resolved into
	// effective_permission (default ["ADMINISTER_PROJECTS"]; ["*"] for all).
	EffectivePermissions []string `json:"effectivePermissions,omitempty"`
}

// Private reports whether output files are owner-only (default true).
func (o Output) Private() bool { return o.OwnerOnly == nil || *o.OwnerOnly }

// S3Output holds the S3 options; credentials come from the SDK's default chain.
type S3Output struct {
	Region       string `json:"region,omitempty"`
	Endpoint     string `json:"endpoint,omitempty"`
	UsePathStyle bool   `json:"usePathStyle,omitempty"`
	// SSE is "", "AES256" or "aws:kms".
	SSE      string `json:"sse,omitempty"`
	KMSKeyID string `json:"kmsKeyId,omitempty"`
}

// UploadConfig holds the bulk-upload options of the job file.
type UploadConfig struct {
	API           string       `json:"api,omitempty"`
	App           string       `json:"app,omitempty"`
	KeyID         secret.Value `json:"keyId"`
	KeySecret     secret.Value `json:"keySecret"`
	AfterRun      bool         `json:"afterRun,omitempty"`
	AllowDangling bool         `json:"allowDangling,omitempty"`
}

// Defaults. Keys holds them for `jira-extractor schema`; Parse applies them
// from Keys, so the two cannot differ.
const (
	DefaultRequestsPerSecond = jira.DefaultRequestsPerSecond
	DefaultBurst             = 20
	DefaultConcurrency       = jira.DefaultConcurrency
	DefaultMaxRetries        = 6
	DefaultTimeout           = 30 * time.Second
	// DefaultMaxConnections is the smallest pool when maxConnections is
	// unset: the pool is max(concurrency, DefaultMaxConnections).
	DefaultMaxConnections = jira.DefaultMaxConnections
	DefaultDestination    = "./out"
	DefaultFormat         = output.DefaultFormat
	// DefaultParquetCompression and DefaultCSVCompression are
	// output.compression's default for each format.
	DefaultParquetCompression = "zstd"
	DefaultCSVCompression     = "none"
	DefaultBatchRows          = output.DefaultBatchRows
	DefaultBatchBytes         = output.DefaultBatchBytes
)

// Duration is a time.Duration written as "30s" or as a number of seconds.
type Duration struct{ time.Duration }

// UnmarshalJSON accepts "1m30s" or 90.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration like \"30s\"", s)
		}
		d.Duration = v
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("must be a duration like \"30s\" or a number of seconds")
	}
	d.Duration = time.Duration(f * float64(time.Second))
	return nil
}

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }
