package config

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/govextract/jira-extractor/internal/location"
)

// Limits of the tuning keys: outside them a job would hang, hammer the
// site, or time out before any answer can arrive.
const (
	MinRequestsPerSecond = 0.1
	MaxRequestsPerSecond = 100_000.0
	MaxBurst             = 10_000
	MaxConcurrency       = 256
	MaxMaxRetries        = 50
	MinTimeout           = time.Second
	MaxTimeout           = 10 * time.Minute
	MaxMaxConnections    = 1024
	MaxBatchRows         = 10_000_000
	MinBatchBytes        = 1 << 10
	MaxBatchBytes        = 1 << 30
)

var dnsLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// knownAccountTypes are Jira's accountType values.
var knownAccountTypes = []string{"atlassian", "app", "customer", "unknown"}

// validate checks a decoded job whose defaults and credentials are in
// place. It changes nothing and returns every problem.
func validate(j *Job, opts Options) []Problem {
	var probs []Problem
	add := func(key, msg, fix string) { probs = append(probs, Problem{Key: key, Message: msg, Fix: fix}) }
	a := &j.AppConfig

	// Site.
	switch {
	case a.SiteName != "" && a.OrgName != "":
		add("appConfig.siteName", "siteName and its alias orgName are both set", "keep exactly one of them")
	case a.Site() == "":
		add("appConfig.siteName", "missing", `set it to the site subdomain, e.g. "acme" for https://acme.atlassian.net`)
	case !dnsLabel.MatchString(a.Site()):
		key := "appConfig.siteName"
		if a.SiteName == "" {
			key = "appConfig.orgName"
		}
		add(key, "is not a DNS label (letters, digits and inner hyphens, at most 63)", `give only the subdomain, e.g. "acme", not a URL`)
	}
	probs = append(probs, checkHTTPURL("appConfig.baseUrl", a.BaseURL, "https://acme.atlassian.net")...)
	probs = append(probs, checkHTTPURL("appConfig.gatewayUrl", a.GatewayURL, "https://api.atlassian.com")...)
	probs = append(probs, checkHTTPURL("appConfig.adminUrl", a.AdminURL, "https://api.atlassian.com/admin")...)

	// Tuning.
	if v := a.RequestsPerSecond; v < MinRequestsPerSecond || v > MaxRequestsPerSecond {
		add("appConfig.requestsPerSecond", fmt.Sprintf("is %s, outside %s to %s requests per second", fnum(v), fnum(MinRequestsPerSecond), fnum(MaxRequestsPerSecond)),
			"set e.g. 100 (Jira's usual steady rate); below 0.1 a run would never finish")
	}
	probs = append(probs, checkRange("appConfig.burst", int64(a.Burst), 1, MaxBurst, "20")...)
	probs = append(probs, checkRange("appConfig.concurrency", int64(a.Concurrency), 1, MaxConcurrency, "8")...)
	probs = append(probs, checkRange("appConfig.maxRetries", int64(a.Retries()), 0, MaxMaxRetries, "6")...)
	if d := a.Timeout.Duration; d < MinTimeout || d > MaxTimeout {
		add("appConfig.timeout", fmt.Sprintf("is %s, outside %s to %s", d, MinTimeout, MaxTimeout), `set e.g. "30s"`)
	}
	if a.MaxConnections != 0 { // 0: the pool follows the concurrency
		probs = append(probs, checkRange("appConfig.maxConnections", int64(a.MaxConnections), 1, MaxMaxConnections, "16, or leave it out to follow appConfig.concurrency")...)
	}
	if a.InsecureSkipVerify && !opts.AllowInsecure {
		add("appConfig.insecureSkipVerify", "turns off TLS certificate checks and is refused by default", "remove it, or start the run with --allow-insecure if you really mean it")
	}

	// Filters.
	for i, t := range a.AccountTypes {
		if !contains(knownAccountTypes, t) {
			add(fmt.Sprintf("appConfig.accountTypes[%d]", i), fmt.Sprintf("unknown account type %q", t), "use atlassian, app, customer or unknown")
		}
	}
	for i, k := range a.EntityKinds {
		if !contains(sourceTypeNames(), k) {
			add(fmt.Sprintf("appConfig.entityKinds[%d]", i), fmt.Sprintf("unknown entity kind %q", k), "use any of "+strings.Join(sourceTypeNames(), ", "))
		}
	}
	for i, k := range a.RelationKinds {
		if !contains(relationKindNames(), k) {
			add(fmt.Sprintf("appConfig.relationKinds[%d]", i), fmt.Sprintf("unknown relation kind %q", k), "use any of "+strings.Join(relationKindNames(), ", "))
		}
	}
	for i, k := range a.ProjectKeys {
		if strings.TrimSpace(k) == "" {
			add(fmt.Sprintf("appConfig.projectKeys[%d]", i), "is empty", "list project keys such as \"ABC\"")
		}
	}

	probs = append(probs, j.Output.validate()...)
	probs = append(probs, validateIncremental(j.Incremental)...)
	if u := j.Upload; u != nil {
		probs = append(probs, checkHTTPURL("upload.api", u.API, "https://platform.example.com/api")...)
		if u.AfterRun && u.API == "" {
			add("upload.api", "missing: upload.afterRun uploads each complete run, and needs the API's URL",
				`set upload.api, e.g. "https://platform.example.com/api", or remove upload.afterRun`)
		}
	}
	if j.Tickets != nil {
		probs = append(probs, j.Tickets.validate()...)
	}
	return probs
}

func (o *Output) validate() []Problem {
	var probs []Problem
	add := func(key, msg, fix string) { probs = append(probs, Problem{Key: key, Message: msg, Fix: fix}) }
	if _, err := location.Parse(o.Destination); err != nil {
		var le *location.Error
		if errors.As(err, &le) {
			add("output.destination", le.Problem, le.Fix)
		} else {
			add("output.destination", err.Error(), `use a local path, "file:///path" or "s3://bucket/prefix"`)
		}
	}
	switch o.Format {
	case "parquet":
		if !contains([]string{"zstd", "snappy", "gzip", "none"}, o.Compression) {
			add("output.compression", fmt.Sprintf("%q is not a Parquet codec", o.Compression), "use zstd, snappy, gzip or none")
		}
	case "csv":
		if !contains([]string{"gzip", "none"}, o.Compression) {
			add("output.compression", fmt.Sprintf("%q is not a CSV compression", o.Compression), "use gzip or none")
		}
	default:
		add("output.format", fmt.Sprintf("unknown format %q", o.Format), "use parquet or csv")
	}
	probs = append(probs, checkRange("output.batchRows", int64(o.BatchRows), 1, MaxBatchRows, "20000")...)
	probs = append(probs, checkRange("output.batchBytes", o.BatchBytes, MinBatchBytes, MaxBatchBytes, "67108864 (64 MiB)")...)
	probs = append(probs, o.validateEffective()...)
	if s := o.S3; s != nil {
		switch s.SSE {
		case "", "AES256":
			if s.KMSKeyID != "" {
				add("output.s3.kmsKeyId", "is only used with sse aws:kms", `set output.s3.sse to "aws:kms" or remove the key id`)
			}
		case "aws:kms":
		default:
			add("output.s3.sse", fmt.Sprintf("unknown server-side encryption %q", s.SSE), `use "AES256" or "aws:kms"`)
		}
		probs = append(probs, checkHTTPURL("output.s3.endpoint", s.Endpoint, "http://127.0.0.1:7070")...)
	}
	return probs
}

// checkRange reports an integer key outside [lo, hi].
func checkRange(key string, v, lo, hi int64, example string) []Problem {
	if v >= lo && v <= hi {
		return nil
	}
	return []Problem{{Key: key, Message: fmt.Sprintf("is %d, outside %d to %d", v, lo, hi), Fix: "set e.g. " + example}}
}

func fnum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// checkHTTPURL reports everything wrong with an http(s) base URL; "" is
// fine (the key is optional). The URL is never repeated: its userinfo may
// hold a password.
func checkHTTPURL(key, v, example string) []Problem {
	if v == "" {
		return nil
	}
	fix := fmt.Sprintf("write it like %q", example)
	one := func(msg string) []Problem { return []Problem{{Key: key, Message: msg, Fix: fix}} }
	u, err := url.Parse(v)
	if err != nil {
		if i := strings.Index(v, "@"); i >= 0 && strings.Contains(v[:i], "://") {
			return one("has a user name or password in it; credentials never go in a URL")
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL
		}
		return one("is not a valid URL: " + err.Error())
	}
	var probs []Problem
	bad := func(msg, f string) {
		if f == "" {
			f = fix
		}
		probs = append(probs, Problem{Key: key, Message: msg, Fix: f})
	}
	if u.User != nil {
		bad("has a user name or password in it; credentials never go in a URL", "remove the \"user:password@\" part; credentials have their own keys or environment variables")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		if u.Scheme == "" {
			bad("has no scheme", fix)
		} else {
			bad(fmt.Sprintf("has the scheme %q; only http and https are supported", u.Scheme), fix)
		}
	}
	if u.Opaque != "" || u.Hostname() == "" {
		bad("has no host", fix)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			bad(fmt.Sprintf("has the port %s, outside 1 to 65535", p), fix)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		bad("has an empty port after the colon", fix)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(v, "#") {
		bad("has a query or fragment; give only scheme, host, port and path", fix)
	}
	return probs
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
