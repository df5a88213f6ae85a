package config

import "strings"

// KeyDoc documents one job-file key. Keys is the single table from which
// `jira-extractor schema` prints the job-file reference and its JSON Schema.
type KeyDoc struct {
	// Key is the dotted path, e.g. "appConfig.token".
	Key string
	// Type is the JSON Schema type: object, string, integer, number,
	// boolean, array; "duration" is a string like "30s" or a number of
	// seconds.
	Type string
	// Items is the element type of an array.
	Items string
	// Enum lists the allowed values (of the items, for an array).
	Enum []string
	// Default is the value used when the key is absent (nil: none).
	Default any
	// Required keys must be present.
	Required bool
	// Secret marks a credential: it is never printed.
	Secret bool
	// Pattern is a regular expression the value must match.
	Pattern string
	// Doc says what the key means.
	Doc string
}

// Keys documents every key of the job file, parents before children.
var Keys = []KeyDoc{
	{Key: "appConfig", Type: "object", Required: true, Doc: "the Jira site, credentials and extraction options"},
	{Key: "appConfig.token", Type: "string", Secret: true, Doc: `"EMAIL:API_TOKEN", split at the first colon; classic (unscoped) and scoped API tokens are told apart automatically. Not needed when the email and API token come from elsewhere: per half, the environment (JIRA_EMAIL, JIRA_API_TOKEN) wins, then appConfig.email and appConfig.apiTokenFile, then this key`},
	{Key: "appConfig.email", Type: "string", Doc: "the Atlassian account's email, for use with apiTokenFile or JIRA_API_TOKEN; it wins over the token's first half; the environment variable JIRA_EMAIL wins over it"},
	{Key: "appConfig.apiTokenFile", Type: "string", Doc: "path (from the working directory) of a file holding only the API token (e.g. a mounted Kubernetes Secret; surrounding whitespace trimmed, at most 64 KiB); it wins over the token's second half; the environment variable JIRA_API_TOKEN wins over it"},
	{Key: "appConfig.siteName", Type: "string", Pattern: dnsLabel.String(), Doc: `site subdomain: "acme" for https://acme.atlassian.net; exactly one of siteName and orgName is required`},
	{Key: "appConfig.orgName", Type: "string", Pattern: dnsLabel.String(), Doc: "alias of siteName"},
	{Key: "appConfig.baseUrl", Type: "string", Doc: "replaces https://{siteName}.atlassian.net (simulator, proxy, custom domain)"},
	{Key: "appConfig.gatewayUrl", Type: "string", Doc: "replaces https://api.atlassian.com, the scoped-token gateway and the Admin API host"},
	{Key: "appConfig.orgId", Type: "string", Doc: "Atlassian organization id, for Admin API enrichment of managed accounts (with orgApiKey)"},
	{Key: "appConfig.orgApiKey", Type: "string", Secret: true, Doc: "Atlassian organization API key (Bearer), with orgId; orgApiKeyFile and then the environment variable ATLASSIAN_ORG_API_KEY win"},
	{Key: "appConfig.orgApiKeyFile", Type: "string", Doc: "path (from the working directory) of a file holding only the organization API key (whitespace trimmed, at most 64 KiB); it wins over orgApiKey; the environment variable ATLASSIAN_ORG_API_KEY wins over it"},
	{Key: "appConfig.adminUrl", Type: "string", Doc: "replaces {gatewayUrl}/admin, the Admin API base"},
	{Key: "appConfig.requestsPerSecond", Type: "number", Default: DefaultRequestsPerSecond, Doc: "client-side steady request rate (0.1 to 100000), shared by every request of the run; lowered automatically on 429"},
	{Key: "appConfig.burst", Type: "integer", Default: DefaultBurst, Doc: "requests allowed at once above the steady rate (1 to 10000)"},
	{Key: "appConfig.concurrency", Type: "integer", Default: DefaultConcurrency, Doc: "requests in flight at once (1 to 256)"},
	{Key: "appConfig.maxRetries", Type: "integer", Default: DefaultMaxRetries, Doc: "retries of one request on 429, 5xx and network errors (0 to 50), with Retry-After or exponential backoff"},
	{Key: "appConfig.timeout", Type: "duration", Default: DefaultTimeout.String(), Doc: `timeout of one HTTP request, "30s" or a number of seconds (1s to 10m)`},
	{Key: "appConfig.maxConnections", Type: "integer", Doc: "open connections per host (1 to 1024); unset or 0: follows appConfig.concurrency (at least 10); a smaller explicit pool caps the requests in flight and is warned about"},
	{Key: "appConfig.disableCompression", Type: "boolean", Default: false, Doc: "do not ask for gzip-compressed responses"},
	{Key: "appConfig.insecureSkipVerify", Type: "boolean", Default: false, Doc: "turn off TLS certificate checks; refused unless the command is started with --allow-insecure"},
	{Key: "appConfig.projectKeys", Type: "array", Items: "string", Doc: "extract only these projects (and their roles and schemes); empty means every project"},
	{Key: "appConfig.accountTypes", Type: "array", Items: "string", Enum: knownAccountTypes, Doc: "keep only users of these account types; empty means every type"},
	{Key: "appConfig.entityKinds", Type: "array", Items: "string", Enum: sourceTypeNames(), Doc: "extract only these entity kinds; empty means every kind"},
	{Key: "appConfig.relationKinds", Type: "array", Items: "string", Enum: relationKindNames(), Doc: "extract only these relation kinds (a relation also needs the kinds at its ends); empty means every kind"},
	{Key: "appConfig.includeInactiveUsers", Type: "boolean", Default: true, Doc: "extract inactive users and their memberships"},
	{Key: "output", Type: "object", Doc: "where and how the run is written"},
	{Key: "output.destination", Type: "string", Default: DefaultDestination, Doc: "a local path, a file URL with an absolute path (file:///data/jira) or s3://bucket/prefix; the run goes into DEST/RUN_ID. Anything else that starts like a URL (scheme:) is an error"},
	{Key: "output.format", Type: "string", Enum: []string{"parquet", "csv"}, Default: DefaultFormat, Doc: "file format"},
	{Key: "output.compression", Type: "string", Enum: []string{"zstd", "snappy", "gzip", "none"}, Doc: "parquet: zstd (default), snappy, gzip or none; csv: none (default) or gzip"},
	{Key: "output.batchRows", Type: "integer", Default: DefaultBatchRows, Doc: "rows per part file at most (1 to 10000000)"},
	{Key: "output.batchBytes", Type: "integer", Default: DefaultBatchBytes, Doc: "approximate bytes per part file at most (64 MiB; 1 KiB to 1 GiB)"},
	{Key: "output.ownerOnly", Type: "boolean", Default: true, Doc: "local files 0600 and folders 0700"},
	{Key: "output.effectiveAccess", Type: "boolean", Default: true, Doc: "also write the derived tables effective_role and effective_permission, resolved from what the run read"},
	{Key: "output.effectivePermissions", Type: "array", Items: "string", Default: DefaultEffectivePermissions, Doc: `permission keys resolved into effective_permission; ["*"] for every permission a scheme grants`},
	{Key: "output.s3", Type: "object", Doc: "S3 options; credentials come from the AWS SDK's default chain (environment, profile, role)"},
	{Key: "output.s3.region", Type: "string", Doc: "bucket region; default from the AWS environment"},
	{Key: "output.s3.endpoint", Type: "string", Doc: "S3-compatible endpoint, an http(s) URL (MinIO, versitygw, ...)"},
	{Key: "output.s3.usePathStyle", Type: "boolean", Default: false, Doc: "path-style addressing (most S3-compatible servers need it)"},
	{Key: "output.s3.sse", Type: "string", Enum: []string{"AES256", "aws:kms"}, Doc: "server-side encryption; none by default"},
	{Key: "output.s3.kmsKeyId", Type: "string", Doc: "KMS key id with sse aws:kms"},
	{Key: "upload", Type: "object", Doc: "bulk upload of a finished run to a platform's entity APIs"},
	{Key: "upload.api", Type: "string", Doc: "the platform's API base URL, e.g. https://platform.example.com/api"},
	{Key: "upload.app", Type: "string", Doc: "the App column of every uploaded row; default the run's site"},
	{Key: "upload.keyId", Type: "string", Secret: true, Doc: "platform API key id; the environment variable ENTITY_API_KEY_ID wins"},
	{Key: "upload.keySecret", Type: "string", Secret: true, Doc: "platform API key secret; the environment variable ENTITY_API_KEY_SECRET wins"},
	{Key: "upload.afterRun", Type: "boolean", Default: false, Doc: "`jira-extractor run` uploads the run as soon as it is complete (needs upload.api)"},
	{Key: "upload.allowDangling", Type: "boolean", Default: false, Doc: "upload even if some relations refer to entities not in the run (those relations are left out) instead of refusing"},
	{Key: "tickets", Type: "object", Doc: "Jira issues that ask a person to make a change: plan actions with mode \"ticket\", and changes the API refuses because only a person can make them (a group synced from an identity provider)"},
	{Key: "tickets.projectKey", Type: "string", Pattern: projectKeyPattern.String(), Doc: "key of the project the issues are created in, e.g. \"OPS\"; required when tickets is set; checked against the site before the first write"},
	{Key: "tickets.issueType", Type: "string", Default: DefaultIssueType, Doc: "name of the issue type, as the project lists it"},
	{Key: "tickets.labels", Type: "array", Items: "string", Doc: "labels every issue carries (no spaces, at most 255 characters each), besides the dedupe label jira-extractor adds"},
}

// JSONSchema returns the job file's JSON Schema (draft 2020-12), built from
// Keys.
func JSONSchema() map[string]any {
	root := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"title":                "jira-extractor job file",
		"type":                 "object",
		"properties":           map[string]any{},
		"additionalProperties": false,
	}
	nodes := map[string]map[string]any{"": root}
	for _, k := range Keys {
		parent, name := "", k.Key
		if i := strings.LastIndex(k.Key, "."); i >= 0 {
			parent, name = k.Key[:i], k.Key[i+1:]
		}
		p := nodes[parent]
		node := keySchema(k)
		p["properties"].(map[string]any)[name] = node
		if k.Required {
			req, _ := p["required"].([]string)
			p["required"] = append(req, name)
		}
		if k.Type == "object" {
			nodes[k.Key] = node
		}
	}
	// Exactly one of siteName and its alias orgName.
	nodes["appConfig"]["oneOf"] = []any{
		map[string]any{"required": []string{"siteName"}},
		map[string]any{"required": []string{"orgName"}},
	}
	// A job reads a Jira site, a SCIM directory, or both.
	root["anyOf"] = []any{
		map[string]any{"required": []string{"appConfig"}},
		map[string]any{"required": []string{"scim"}},
	}
	return root
}

func keySchema(k KeyDoc) map[string]any {
	n := map[string]any{"description": k.Doc}
	switch k.Type {
	case "object":
		n["type"] = "object"
		n["properties"] = map[string]any{}
		n["additionalProperties"] = false
	case "duration":
		n["type"] = []string{"string", "number"}
	case "array":
		n["type"] = "array"
		items := map[string]any{"type": k.Items}
		if len(k.Enum) > 0 {
			items["enum"] = k.Enum
		}
		n["items"] = items
	default:
		n["type"] = k.Type
		if len(k.Enum) > 0 {
			n["enum"] = k.Enum
		}
	}
	if k.Pattern != "" {
		n["pattern"] = k.Pattern
	}
	if k.Default != nil {
		n["default"] = k.Default
	}
	if k.Secret {
		n["writeOnly"] = true
	}
	return n
}
