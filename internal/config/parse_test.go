package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/secret"
)

const (
	goodToken = "me@example.com:s3cr3t-Tok3n"
	validJob  = `{"appConfig":{"token":"` + goodToken + `","siteName":"acme"},"output":{"destination":"./out"}}`
)

// noEnv is an environment without credentials, so a developer's own
// JIRA_API_TOKEN cannot change a test's outcome.
func noEnv(string) (string, bool) { return "", false }

// parse parses job with an empty environment.
func parse(job string, opts ...Options) (*Job, error) {
	o := Options{}
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.LookupEnv == nil {
		o.LookupEnv = noEnv
	}
	return Parse([]byte(job), o)
}

// app returns a job whose appConfig holds the valid credentials, the site
// and the extra members given as JSON text.
func app(extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return `{"appConfig":{"token":"` + goodToken + `","siteName":"acme"` + extra + `}}`
}

// withOutput returns a valid job with the given output object.
func withOutput(output string) string {
	return `{"appConfig":{"token":"` + goodToken + `","siteName":"acme"},"output":` + output + `}`
}

func problems(t *testing.T, err error) []Problem {
	t.Helper()
	var ie *InvalidError
	if !IsInvalid(err) {
		t.Fatalf("want InvalidError, got %v", err)
	}
	ie = err.(*InvalidError)
	return ie.Problems
}

func TestParseValidAppliesDefaults(t *testing.T) {
	job, err := parse(validJob)
	if err != nil {
		t.Fatal(err)
	}
	a := job.AppConfig
	if a.Email != "me@example.com" || a.APIToken.Reveal() != "s3cr3t-Tok3n" {
		t.Fatalf("token split wrong: email %q", a.Email)
	}
	if a.SiteURL() != "https://acme.atlassian.net" || a.Gateway() != "https://api.atlassian.com" {
		t.Fatalf("bases: %s %s", a.SiteURL(), a.Gateway())
	}
	if a.RequestsPerSecond != DefaultRequestsPerSecond || a.Burst != DefaultBurst || a.Concurrency != DefaultConcurrency ||
		a.Retries() != DefaultMaxRetries || a.Timeout.Duration != DefaultTimeout || a.MaxConnections != 0 {
		t.Fatalf("defaults not applied: %+v", a)
	}
	if !a.InactiveUsers() || !job.Output.Private() || job.Output.Format != "parquet" || job.Output.Compression != "zstd" {
		t.Fatalf("output/filter defaults wrong: %+v", job.Output)
	}
	if job.Output.Location != location.MustParse("./out") {
		t.Fatalf("Location = %+v", job.Output.Location)
	}
}

func TestTokenSplitsAtFirstColonAndTrims(t *testing.T) {
	job, err := parse(`{"appConfig":{"token":"  a@b.example : tok:with:colons ","orgName":"acme"}}`)
	if err != nil {
		t.Fatal(err)
	}
	if job.AppConfig.Email != "a@b.example" || job.AppConfig.APIToken.Reveal() != "tok:with:colons" || job.AppConfig.Site() != "acme" {
		t.Fatalf("got %q %q", job.AppConfig.Email, job.AppConfig.Site())
	}
}

// Each case is a job file today's code accepted (or reported only after
// contacting Jira); each must be a problem naming the key, with a fix.
func TestParseProblemsNameKeyAndFix(t *testing.T) {
	cases := []struct {
		name, job, key, want string
	}{
		{"unknown key", app(`"requestPerSecond":5`), "appConfig.requestPerSecond", "unknown key"},
		{"unknown top key", `{"appConfig":{"token":"` + goodToken + `","siteName":"acme"},"outptu":{}}`, "outptu", "unknown key"},
		{"unknown nested", withOutput(`{"s3":{"bukket":"x"}}`), "output.s3.bukket", "unknown key"},
		{"missing token", `{"appConfig":{"siteName":"acme"}}`, "appConfig.token", "missing"},
		{"no colon", `{"appConfig":{"token":"justatoken-long","siteName":"acme"}}`, "appConfig.token", "no colon"},
		{"blank halves", `{"appConfig":{"token":"  :  ","siteName":"acme"}}`, "appConfig.token", "half is empty"},
		{"email half not an email", `{"appConfig":{"token":"me:s3cr3t-Tok3n","siteName":"acme"}}`, "appConfig.token", "does not look like an email"},
		{"short api token", `{"appConfig":{"token":"me@example.com:abc","siteName":"acme"}}`, "appConfig.token", "shorter than 8"},
		{"missing site", `{"appConfig":{"token":"` + goodToken + `"}}`, "appConfig.siteName", "missing"},
		{"both site keys", app(`"orgName":"b"`), "appConfig.siteName", "both"},
		{"url injection", `{"appConfig":{"token":"` + goodToken + `","siteName":"evil.com/x?"}}`, "appConfig.siteName", "DNS label"},
		{"url as site", `{"appConfig":{"token":"` + goodToken + `","orgName":"https://acme.atlassian.net"}}`, "appConfig.orgName", "DNS label"},
		{"bad type", app(`"concurrency":"many"`), "appConfig.concurrency", "must be a whole number, got a string"},
		{"fraction", app(`"burst":2.5`), "appConfig.burst", "must be a whole number, got 2.5"},
		{"bad duration", app(`"timeout":"soon"`), "appConfig.timeout", "is not a duration"},
		{"token not string", `{"appConfig":{"token":42,"siteName":"acme"}}`, "appConfig.token", "must be a string, got a number"},
		{"list not list", app(`"projectKeys":"ABC"`), "appConfig.projectKeys", "must be a list of strings"},
		{"object not object", `{"appConfig":{"token":"` + goodToken + `","siteName":"acme"},"output":"./out"}`, "output", "must be a JSON object"},
		{"insecure", app(`"insecureSkipVerify":true`), "appConfig.insecureSkipVerify", "refused"},
		{"bad format", withOutput(`{"format":"xlsx"}`), "output.format", "unknown format"},
		{"bad codec", withOutput(`{"compression":"lz4"}`), "output.compression", "not a Parquet codec"},
		{"bad account type", app(`"accountTypes":["robot"]`), "appConfig.accountTypes[0]", "unknown account type"},
		{"bad kind", app(`"entityKinds":["issue"]`), "appConfig.entityKinds[0]", "unknown entity kind"},
		{"org id alone", app(`"orgId":"o"`), "appConfig.orgApiKey", "missing"},
		{"org key alone", app(`"orgApiKey":"org-key-123456"`), "appConfig.orgId", "missing"},
		{"short org key", app(`"orgId":"o","orgApiKey":"k"`), "appConfig.orgApiKey", "shorter than 8"},
		{"bad sse", withOutput(`{"s3":{"sse":"rot13"}}`), "output.s3.sse", "unknown server-side encryption"},
		{"not json", `{"appConfig":`, "(file)", "line 1, column 14: the file ends"},

		// Tuning limits.
		{"rps tiny", app(`"requestsPerSecond":1e-12`), "appConfig.requestsPerSecond", "outside 0.1 to 100000"},
		{"rps zero", app(`"requestsPerSecond":0`), "appConfig.requestsPerSecond", "outside"},
		{"rps huge", app(`"requestsPerSecond":1e9`), "appConfig.requestsPerSecond", "outside"},
		{"timeout 1ns", app(`"timeout":"1ns"`), "appConfig.timeout", "outside 1s to 10m0s"},
		{"timeout zero", app(`"timeout":0`), "appConfig.timeout", "outside"},
		{"timeout day", app(`"timeout":"24h"`), "appConfig.timeout", "outside"},
		{"concurrency zero", app(`"concurrency":0`), "appConfig.concurrency", "outside 1 to 256"},
		{"burst negative", app(`"burst":-1`), "appConfig.burst", "outside"},
		{"retries", app(`"maxRetries":51`), "appConfig.maxRetries", "outside 0 to 50"},
		{"connections", app(`"maxConnections":2000`), "appConfig.maxConnections", "outside"},
		{"batch rows", withOutput(`{"batchRows":0}`), "output.batchRows", "outside"},
		{"batch bytes", withOutput(`{"batchBytes":10}`), "output.batchBytes", "outside"},
		{"too large int", app(`"concurrency":1e30`), "appConfig.concurrency", "too large"},

		// URLs.
		{"base url ftp", app(`"baseUrl":"ftp://x"`), "appConfig.baseUrl", `scheme "ftp"`},
		{"base url port", app(`"baseUrl":"http://127.0.0.1:99999"`), "appConfig.baseUrl", "port 99999, outside 1 to 65535"},
		{"base url port zero", app(`"baseUrl":"http://127.0.0.1:0"`), "appConfig.baseUrl", "port 0"},
		{"base url no host", app(`"baseUrl":"https:///x"`), "appConfig.baseUrl", "no host"},
		{"base url query", app(`"baseUrl":"https://x.example/?a=1"`), "appConfig.baseUrl", "query"},
		{"base url fragment", app(`"baseUrl":"https://x.example/#a"`), "appConfig.baseUrl", "fragment"},
		{"base url relative", app(`"baseUrl":"acme.atlassian.net"`), "appConfig.baseUrl", "no scheme"},
		{"gateway userinfo", app(`"gatewayUrl":"https://u:hunter2@api.example"`), "appConfig.gatewayUrl", "password"},
		{"admin port", app(`"adminUrl":"https://api.example:65536/admin"`), "appConfig.adminUrl", "port 65536"},
		{"s3 endpoint ftp", withOutput(`{"s3":{"endpoint":"ftp://127.0.0.1:7070"}}`), "output.s3.endpoint", `scheme "ftp"`},
		{"s3 endpoint port", withOutput(`{"s3":{"endpoint":"http://127.0.0.1:70700"}}`), "output.s3.endpoint", "port 70700"},
		{"upload api userinfo", `{"appConfig":{"token":"` + goodToken + `","siteName":"acme"},"upload":{"api":"https://user:hunter2@platform.example/api"}}`, "upload.api", "password"},
		{"upload api bad", `{"appConfig":{"token":"` + goodToken + `","siteName":"acme"},"upload":{"api":"platform.example"}}`, "upload.api", "no scheme"},
		{"after run without api", `{"appConfig":{"token":"` + goodToken + `","siteName":"acme"},"upload":{"afterRun":true}}`, "upload.api", "afterRun"},
		{"short upload key", `{"appConfig":{"token":"` + goodToken + `","siteName":"acme"},"upload":{"api":"https://p.example","keyId":"k","keySecret":"secret-long-enough"}}`, "upload.keyId", "shorter than 8"},
		{"short upload secret", `{"appConfig":{"token":"` + goodToken + `","siteName":"acme"},"upload":{"api":"https://p.example","keyId":"key-id-1234","keySecret":"s"}}`, "upload.keySecret", "shorter than 8"},

		// Destinations.
		{"file relative", withOutput(`{"destination":"file://relative"}`), "output.destination", `host "relative"`},
		{"file bare", withOutput(`{"destination":"file://"}`), "output.destination", "no path"},
		{"file other host", withOutput(`{"destination":"file://otherhost/x"}`), "output.destination", `host "otherhost"`},
		{"s3 one slash", withOutput(`{"destination":"s3:/bucket/x"}`), "output.destination", "malformed S3 URL"},
		{"unknown scheme", withOutput(`{"destination":"gs://bucket/x"}`), "output.destination", `unsupported scheme "gs"`},
		{"bad bucket", withOutput(`{"destination":"s3://My_Bucket/x"}`), "output.destination", "bucket name"},
		{"short bucket", withOutput(`{"destination":"s3://ab/x"}`), "output.destination", "3 to 63"},
		{"empty destination", withOutput(`{"destination":""}`), "output.destination", "empty"},

		// Repeated keys.
		{"duplicate", `{"appConfig":{"token":"` + goodToken + `","siteName":"acme","siteName":"evil"}}`, "appConfig.siteName", "more than once (lines 1 and 1)"},
		{"duplicate top", `{"appConfig":{"token":"` + goodToken + `","siteName":"acme"},"output":{},` + "\n" + `"output":{}}`, "output", "lines 1 and 2"},
		// The kept (first) value is still checked.
		{"duplicate still checked", `{"appConfig":{"token":"` + goodToken + `","siteName":"acme"},"output":{"destination":"s3:/b"},` + "\n" + `"output":{}}`, "output.destination", "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(tc.job)
			probs := problems(t, err)
			for _, p := range probs {
				if strings.Contains(p.String(), "hunter2") {
					t.Errorf("problem echoes a password: %v", p)
				}
			}
			for _, p := range probs {
				if p.Key == tc.key && strings.Contains(p.Message, tc.want) {
					if p.Fix == "" {
						t.Fatalf("problem %v has no fix", p)
					}
					return
				}
			}
			t.Fatalf("no problem for key %s containing %q in %v", tc.key, tc.want, probs)
		})
	}
}

// A job file with a type error, an unknown key and bad values gets every
// problem at once, each once, in the job file's words.
func TestEveryProblemInOnePass(t *testing.T) {
	job := `{"appConfig":{"token":"me@example.com:abc","siteName":"Not A Label","concurrency":"eight",
	  "timeout":"1ns","requestsPrSecond":5,"baseUrl":"http://x:99999"},
	 "output":{"destination":"s3:/b/x","format":"xlsx","batchRows":"many"},
	 "upload":{"afterRun":true}}`
	probs := problems(t, func() error { _, err := parse(job); return err }())
	want := map[string]string{
		"appConfig.token":            "shorter than 8",
		"appConfig.siteName":         "DNS label",
		"appConfig.concurrency":      "must be a whole number, got a string",
		"appConfig.timeout":          "outside",
		"appConfig.requestsPrSecond": "unknown key",
		"appConfig.baseUrl":          "port 99999",
		"output.destination":         "malformed S3 URL",
		"output.format":              "unknown format",
		"output.batchRows":           "must be a whole number, got a string",
		"upload.api":                 "afterRun",
	}
	seen := map[string]int{}
	for _, p := range probs {
		seen[p.Key]++
		if strings.Contains(p.Message, "config.") || strings.Contains(p.Message, "AppConfig") || strings.Contains(p.Message, "int64") ||
			strings.Contains(p.Message, "float64") || strings.Contains(p.Message, "want ") || strings.Contains(p.Message, "Go value") {
			t.Errorf("problem uses Go words: %v", p)
		}
	}
	for key, msg := range want {
		found := false
		for _, p := range probs {
			if p.Key == key && strings.Contains(p.Message, msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("missing %s: %s in\n%v", key, msg, probs)
		}
		if seen[key] != 1 {
			t.Errorf("%s reported %d times: %v", key, seen[key], probs)
		}
	}
	if len(probs) != len(want) {
		t.Errorf("%d problems, want %d: %v", len(probs), len(want), probs)
	}
}

func TestSyntaxErrorGivesLineAndColumn(t *testing.T) {
	cases := map[string]string{
		"{\n  \"appConfig\": {\n    \"token\": \"x\",,\n  }\n}": "line 3, column 18: invalid character ','",
		"{\"appConfig\": {}}\n}":                                "line 2, column 1",
		"[1, 2]":                                                "must be a JSON object, got a list",
		"":                                                      "is empty",
		"\xff\xfe{\x00}\x00":                                    "UTF-16",
	}
	for in, want := range cases {
		probs := problems(t, func() error { _, err := parse(in); return err }())
		if len(probs) != 1 || !strings.Contains(probs[0].Message, want) || strings.Contains(probs[0].Message, "byte") {
			t.Errorf("%q: %v, want %q", in, probs, want)
		}
	}
}

func TestByteOrderMarkIsAccepted(t *testing.T) {
	job, err := parse("\xEF\xBB\xBF" + validJob)
	if err != nil {
		t.Fatal(err)
	}
	if job.AppConfig.Site() != "acme" {
		t.Fatalf("site %q", job.AppConfig.Site())
	}
}

// Absent and null keys get Keys' defaults; a present zero is a value, and
// is checked like one.
func TestDefaultsOnlyForAbsentKeys(t *testing.T) {
	job, err := parse(app(`"concurrency":null,"maxRetries":0`))
	if err != nil {
		t.Fatal(err)
	}
	if job.AppConfig.Concurrency != DefaultConcurrency || job.AppConfig.Retries() != 0 {
		t.Fatalf("concurrency %d retries %d", job.AppConfig.Concurrency, job.AppConfig.Retries())
	}
	job, err = parse(withOutput(`{"format":"csv"}`))
	if err != nil || job.Output.Compression != DefaultCSVCompression {
		t.Fatalf("csv compression default: %v %+v", err, job)
	}
	job, err = parse(app(`"includeInactiveUsers":false`))
	if err != nil || job.AppConfig.InactiveUsers() {
		t.Fatalf("includeInactiveUsers false lost: %v", err)
	}
}

func TestSetReplacesKeysBeforeValidation(t *testing.T) {
	job, err := parse(validJob, Options{Set: map[string]string{"output.destination": "s3://bucket/x", "output.format": "csv"}})
	if err != nil {
		t.Fatal(err)
	}
	if job.Output.Destination != "s3://bucket/x" || job.Output.Location.Bucket() != "bucket" || job.Output.Compression != "none" {
		t.Fatalf("output = %+v", job.Output)
	}
	// A job with no output object gets one.
	job, err = parse(`{"appConfig":{"token":"`+goodToken+`","siteName":"acme"}}`, Options{Set: map[string]string{"output.destination": "/tmp/x"}})
	if err != nil || job.Output.Location.Path() != "/tmp/x" {
		t.Fatalf("%v %+v", err, job)
	}
	_, err = parse(validJob, Options{Set: map[string]string{"output.destination": "ftp://x/y"}})
	if probs := problems(t, err); len(probs) != 1 || probs[0].Key != "output.destination" {
		t.Fatalf("problems %v", probs)
	}
}

func TestInsecureAllowedExplicitly(t *testing.T) {
	if _, err := parse(app(`"insecureSkipVerify":true`), Options{AllowInsecure: true}); err != nil {
		t.Fatal(err)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	const tokenValue = "s3cr3t-Tok3n"
	job, err := parse(validJob)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	logger := slog.New(slog.NewTextHandler(&sb, &slog.HandlerOptions{Level: slog.LevelDebug}))
	logger.Debug("job", "job", job, "token", job.AppConfig.Token, "api", job.AppConfig.APIToken)
	logger.Info("appConfig", slog.Any("app", job.AppConfig))
	js, _ := json.Marshal(job)
	outs := []string{
		sb.String(), string(js),
		fmt.Sprintf("%v %+v %#v %s %q %x", job, job, job, job.AppConfig.APIToken, job.AppConfig.APIToken, job.AppConfig.APIToken),
		fmt.Sprint(job.AppConfig.Token), fmt.Sprintf("%+v", *job),
	}
	for _, o := range outs {
		if strings.Contains(o, tokenValue) || strings.Contains(o, "me@example.com:s3cr3t") {
			t.Fatalf("secret leaked: %s", o)
		}
	}
	if !strings.Contains(string(js), secret.Redacted) {
		t.Fatalf("JSON should show %s: %s", secret.Redacted, js)
	}
}

func TestProblemsDoNotEchoSecrets(t *testing.T) {
	// A token with a bad type or a bad neighbour must not be echoed back.
	bad := `{"appConfig":{"token":"a@b:TOPSECRET","siteName":"Not A Label","orgId":"x","orgApiKey":"ORGSECRET","timeout":"soon"},
	  "upload":{"keyId":["KEYSECRET"],"keySecret":"SHORTSEC"}}`
	_, err := parse(bad)
	if err == nil {
		t.Fatal("want error")
	}
	for _, s := range []string{"TOPSECRET", "ORGSECRET", "KEYSECRET", "SHORTSEC"} {
		if strings.Contains(err.Error(), s) {
			t.Fatalf("error leaks %s: %v", s, err)
		}
	}
}

func TestEffectivePermissions(t *testing.T) {
	parse := func(out string) (*Job, error) {
		return Parse([]byte(`{"appConfig":{"token":"a@b.c:tok3n-long-enough","siteName":"acme"},"output":`+out+`}`), Options{})
	}
	job, err := parse(`{}`)
	if err != nil {
		t.Fatal(err)
	}
	if !job.Output.EffectiveAccessOn() || strings.Join(job.Output.ResolvedPermissions(), ",") != "ADMINISTER_PROJECTS" {
		t.Errorf("defaults: on=%v perms=%v", job.Output.EffectiveAccessOn(), job.Output.ResolvedPermissions())
	}
	job, err = parse(`{"effectiveAccess":false,"effectivePermissions":["*"]}`)
	if err != nil {
		t.Fatal(err)
	}
	if job.Output.EffectiveAccessOn() || job.Output.ResolvedPermissions() != nil {
		t.Errorf(`["*"]: on=%v perms=%v, want off and nil (every permission)`, job.Output.EffectiveAccessOn(), job.Output.ResolvedPermissions())
	}
	for _, bad := range []string{`["*","BROWSE_PROJECTS"]`, `[""]`, `["BROWSE PROJECTS"]`} {
		_, err := parse(`{"effectivePermissions":` + bad + `}`)
		if err == nil || !strings.Contains(err.Error(), "output.effectivePermissions[") || !strings.Contains(err.Error(), "fix: ") {
			t.Errorf("%s: %v, want a problem naming output.effectivePermissions[i] with a fix", bad, err)
		}
	}
}

// TestSiteNameIsCaseInsensitive: a DNS label is case-insensitive, so
// "Acme" (or orgName "ACME-2") is accepted and read as the lower-case site.
func TestSiteNameIsCaseInsensitive(t *testing.T) {
	for key, site := range map[string]string{"siteName": "Acme", "orgName": "ACME-2"} {
		job, err := parse(`{"appConfig":{"token":"` + goodToken + `","` + key + `":"` + site + `"},"output":{"destination":"./out"}}`)
		if err != nil {
			t.Fatalf("%s %q refused: %v", key, site, err)
		}
		if got := job.AppConfig.Site(); got != strings.ToLower(site) {
			t.Errorf("%s %q read as %q, want %q", key, site, got, strings.ToLower(site))
		}
	}
	if _, err := parse(`{"appConfig":{"token":"` + goodToken + `","siteName":"Acme.atlassian.net"},"output":{"destination":"./out"}}`); err == nil {
		t.Error("a host name with dots was accepted as a site name")
	}
}
