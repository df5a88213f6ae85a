package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/govextract/jira-extractor/internal/secret"
)

// Problem is one thing wrong with a job file: the key (dotted path), what is
// wrong, and how to fix it.
type Problem struct {
	Key     string `json:"key"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

func (p Problem) String() string {
	s := p.Key + ": " + p.Message
	if p.Fix != "" {
		s += " (fix: " + p.Fix + ")"
	}
	return s
}

// InvalidError lists every problem found in a job file. Commands exit 2 on it.
type InvalidError struct{ Problems []Problem }

func (e *InvalidError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return "invalid job file:\n  " + strings.Join(lines, "\n  ")
}

// IsInvalid reports whether err is (or wraps) an InvalidError.
func IsInvalid(err error) bool {
	var ie *InvalidError
	return errors.As(err, &ie)
}

// Options change what validation accepts.
type Options struct {
	// AllowInsecure lets appConfig.insecureSkipVerify through; without it the
	// key is refused. Set only from an explicit operator flag.
	AllowInsecure bool
}

// Load reads and validates a job file.
func Load(path string, opts Options) (*Job, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &InvalidError{Problems: []Problem{{Key: "--config", Message: fmt.Sprintf("cannot read job file %s: %v", path, errors.Unwrap(err)), Fix: "pass the path of a readable JSON job file"}}}
	}
	return Parse(b, opts)
}

// Parse decodes and validates a job file. Unknown keys, type errors and bad
// values are all reported together in an *InvalidError.
func Parse(data []byte, opts Options) (*Job, error) {
	var probs []Problem
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, &InvalidError{Problems: []Problem{{Key: "(file)", Message: "not a JSON object: " + jsonErr(err), Fix: "write the job file as a JSON object with appConfig and output"}}}
	}
	probs = append(probs, unknownKeys("", raw, reflect.TypeOf(Job{}))...)
	var job Job
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&job); err != nil {
		probs = append(probs, typeProblem(err))
	}
	if len(probs) == 0 {
		probs = append(probs, job.validate(opts)...)
	}
	if len(probs) > 0 {
		return nil, &InvalidError{Problems: probs}
	}
	return &job, nil
}

// unknownKeys walks raw JSON objects alongside the struct they decode into and
// reports keys the struct does not have.
func unknownKeys(prefix string, raw map[string]json.RawMessage, t reflect.Type) []Problem {
	known := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		known[name] = ft
	}
	var probs []Problem
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ft, ok := known[k]
		if !ok {
			names := make([]string, 0, len(known))
			for n := range known {
				names = append(names, n)
			}
			sort.Strings(names)
			fix := "remove it; known keys here are " + strings.Join(names, ", ")
			if s := closest(k, names); s != "" {
				fix = "did you mean " + prefix + s + "? Known keys here are " + strings.Join(names, ", ")
			}
			probs = append(probs, Problem{Key: prefix + k, Message: "unknown key", Fix: fix})
			continue
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeOf(secret.Value{}) && ft != reflect.TypeOf(Duration{}) {
			var sub map[string]json.RawMessage
			if err := json.Unmarshal(raw[k], &sub); err != nil {
				probs = append(probs, Problem{Key: prefix + k, Message: "must be a JSON object", Fix: "write it as {...}"})
			} else {
				probs = append(probs, unknownKeys(prefix+k+".", sub, ft)...)
			}
			continue
		}
		// Decode each leaf on its own so a type error names its key.
		if err := json.Unmarshal(raw[k], reflect.New(ft).Interface()); err != nil {
			probs = append(probs, Problem{Key: prefix + k, Message: "has the wrong type or value: " + leafErr(err), Fix: "write it as " + describeType(ft)})
		}
	}
	return probs
}

// leafErr describes a decoding error of one value without echoing the value.
func leafErr(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "got JSON " + te.Value
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "not valid JSON"
	}
	return err.Error()
}

func describeType(t reflect.Type) string {
	switch t {
	case reflect.TypeOf(secret.Value{}):
		return "a string"
	case reflect.TypeOf(Duration{}):
		return `a duration such as "30s" or a number of seconds`
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a JSON array of " + describeType(t.Elem()) + "s"
	}
	return "a " + t.String()
}

func closest(k string, names []string) string {
	lk := strings.ToLower(k)
	for _, n := range names {
		ln := strings.ToLower(n)
		if ln == lk || strings.Contains(ln, lk) || strings.Contains(lk, ln) {
			return n
		}
	}
	return ""
}

func typeProblem(err error) Problem {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return Problem{Key: te.Field, Message: "has the wrong type: got JSON " + te.Value + ", want " + te.Type.String(), Fix: "write it as a " + te.Type.String()}
	}
	return Problem{Key: "(file)", Message: jsonErr(err), Fix: "correct the value"}
}

// jsonErr renders a JSON error without echoing the document's content.
func jsonErr(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("JSON syntax error at byte %d", se.Offset)
	}
	msg := err.Error()
	// encoding/json errors from custom unmarshalers name the Go field path;
	// they never contain the value of a Secret because Secret's decoder does
	// not echo it.
	return msg
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// knownAccountTypes are Jira's accountType values.
var knownAccountTypes = []string{"atlassian", "app", "customer", "unknown"}

func (j *Job) validate(opts Options) []Problem {
	var probs []Problem
	add := func(key, msg, fix string) { probs = append(probs, Problem{Key: key, Message: msg, Fix: fix}) }
	a := &j.AppConfig

	// Credentials.
	tok := a.Token.Reveal()
	switch {
	case tok == "":
		add("appConfig.token", "missing", `set it to "EMAIL:API_TOKEN", e.g. "me@example.com:ATATT..."`)
	case !strings.Contains(tok, ":"):
		add("appConfig.token", "has no colon between the email and the API token", `write it as "EMAIL:API_TOKEN"`)
	default:
		email, tokenPart, _ := strings.Cut(tok, ":")
		if email == "" || tokenPart == "" {
			add("appConfig.token", "the email or the API token half is empty", `write it as "EMAIL:API_TOKEN"`)
		}
		a.Email, a.APIToken = email, secret.New(tokenPart)
	}

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
		add(key, "is not a DNS label (lowercase letters, digits and inner hyphens, at most 63)", `give only the subdomain, e.g. "acme", not a URL`)
	}
	for key, v := range map[string]string{"appConfig.baseUrl": a.BaseURL, "appConfig.gatewayUrl": a.GatewayURL, "appConfig.adminUrl": a.AdminURL} {
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			add(key, "is not an http(s) URL with a host and nothing after the path", `write it like "https://acme.atlassian.net"`)
		}
	}
	if (a.OrgID == "") != a.OrgAPIKey.IsZero() {
		add("appConfig.orgApiKey", "orgId and orgApiKey go together", "set both for Admin API enrichment, or neither")
	}

	// Tuning.
	if a.RequestsPerSecond < 0 {
		add("appConfig.requestsPerSecond", "must be positive", "set e.g. 100 (Jira's default steady rate for GET)")
	} else if a.RequestsPerSecond == 0 {
		a.RequestsPerSecond = DefaultRequestsPerSecond
	}
	if a.Burst < 0 {
		add("appConfig.burst", "must be positive", "set e.g. 20")
	} else if a.Burst == 0 {
		a.Burst = DefaultBurst
	}
	if a.Concurrency < 0 || a.Concurrency > 256 {
		add("appConfig.concurrency", "must be between 1 and 256", "set e.g. 8")
	} else if a.Concurrency == 0 {
		a.Concurrency = DefaultConcurrency
	}
	if a.MaxRetries != nil && (*a.MaxRetries < 0 || *a.MaxRetries > 50) {
		add("appConfig.maxRetries", "must be between 0 and 50", "set e.g. 6")
	}
	if a.Timeout.Duration < 0 {
		add("appConfig.timeout", "must be positive", `set e.g. "30s"`)
	} else if a.Timeout.Duration == 0 {
		a.Timeout.Duration = DefaultTimeout
	}
	if a.MaxConnections < 0 {
		add("appConfig.maxConnections", "must be positive", "set e.g. 10")
	} else if a.MaxConnections == 0 {
		a.MaxConnections = DefaultMaxConnections
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
	if j.Upload != nil && j.Upload.API != "" {
		if u, err := url.Parse(j.Upload.API); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("upload.api", "is not an http(s) URL", `write it like "https://platform.example.com/api"`)
		}
	}
	return probs
}

func (o *Output) validate() []Problem {
	var probs []Problem
	add := func(key, msg, fix string) { probs = append(probs, Problem{Key: key, Message: msg, Fix: fix}) }
	if o.Destination == "" {
		o.Destination = DefaultDestination
	}
	if strings.HasPrefix(o.Destination, "s3://") {
		u, err := url.Parse(o.Destination)
		if err != nil || u.Host == "" {
			add("output.destination", "is not an s3://bucket/prefix URL", `write it like "s3://my-bucket/jira"`)
		}
	} else if strings.Contains(o.Destination, "://") && !strings.HasPrefix(o.Destination, "file://") {
		add("output.destination", "has an unsupported scheme", `use a local path, "file:///path" or "s3://bucket/prefix"`)
	}
	if o.Format == "" {
		o.Format = DefaultFormat
	}
	switch o.Format {
	case "parquet":
		if o.Compression == "" {
			o.Compression = "zstd"
		}
		if !contains([]string{"zstd", "snappy", "gzip", "none"}, o.Compression) {
			add("output.compression", fmt.Sprintf("%q is not a Parquet codec", o.Compression), "use zstd, snappy, gzip or none")
		}
	case "csv":
		if o.Compression == "" {
			o.Compression = "none"
		}
		if !contains([]string{"gzip", "none"}, o.Compression) {
			add("output.compression", fmt.Sprintf("%q is not a CSV compression", o.Compression), "use gzip or none")
		}
	default:
		add("output.format", fmt.Sprintf("unknown format %q", o.Format), "use parquet or csv")
	}
	if o.BatchRows < 0 {
		add("output.batchRows", "must be positive", "set e.g. 20000")
	} else if o.BatchRows == 0 {
		o.BatchRows = DefaultBatchRows
	}
	if o.BatchBytes < 0 {
		add("output.batchBytes", "must be positive", "set e.g. 67108864 (64 MiB)")
	} else if o.BatchBytes == 0 {
		o.BatchBytes = DefaultBatchBytes
	}
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
		if s.Endpoint != "" {
			if u, err := url.Parse(s.Endpoint); err != nil || u.Host == "" {
				add("output.s3.endpoint", "is not a URL", `write it like "http://127.0.0.1:7070"`)
			}
		}
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
