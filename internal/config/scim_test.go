package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/scim"
)

// The SCIM test secrets; each is long enough to pass as a credential.
const (
	scimToken   = "scim-token-SECRET-1"
	scimPass    = "scim-pass-SECRET-2"
	scimClient  = "scim-client-SECRET-3"
	scimRefresh = "scim-refresh-SECRET-4"
)

var allSCIMSecrets = []string{scimToken, scimPass, scimClient, scimRefresh}

// scimJob returns a job with only a scim section: baseUrl, the given auth
// (JSON members) and the extra scim members.
func scimJob(auth, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return `{"scim":{"baseUrl":"https://scim.example.com/scim/v2","auth":{` + auth + `}` + extra + `}}`
}

const bearerAuth = `"token":"` + scimToken + `"`

// A SCIM-only job is valid without appConfig and gets appConfig's HTTP
// defaults; directoryId builds Atlassian's base under the gateway.
func TestSCIMDefaultsAreAppConfigs(t *testing.T) {
	job, err := parse(scimJob(bearerAuth, ""))
	if err != nil {
		t.Fatal(err)
	}
	o := job.SCIMOptions()
	want := scim.Options{BaseURL: "https://scim.example.com/scim/v2", Version: 2, ReadSchema: true,
		RequestsPerSecond: DefaultRequestsPerSecond, Burst: DefaultBurst, Concurrency: DefaultConcurrency,
		MaxRetries: DefaultMaxRetries, Timeout: DefaultTimeout}
	got := *o
	got.Auth = scim.Auth{}
	if fmt.Sprint(got) != fmt.Sprint(want) || o.Auth.Kind != scim.AuthBearer || o.Auth.Token.Reveal() != scimToken {
		t.Fatalf("options %+v\nwant    %+v", got, want)
	}
	if job.HasJira() || job.Resolve().Job.SCIM == nil {
		t.Fatal("a SCIM-only job reads Jira, or resolves without SCIM")
	}
	app, err := parse(validJob)
	if err != nil {
		t.Fatal(err)
	}
	a := app.AppConfig
	if o.RequestsPerSecond != a.RequestsPerSecond || o.Burst != a.Burst || o.Concurrency != a.Concurrency ||
		o.MaxRetries != a.Retries() || o.Timeout != a.Timeout.Duration || o.MaxConnections != a.MaxConnections {
		t.Fatalf("scim defaults %+v differ from appConfig's %+v", got, a)
	}

	job, err = parse(`{"appConfig":{"token":"` + goodToken + `","siteName":"acme","gatewayUrl":"http://127.0.0.1:9"},` +
		`"scim":{"directoryId":"dir-1","version":1,"readSchema":false,"timeout":"5s","maxConnections":3,"disableCompression":true,"auth":{` + bearerAuth + `}}}`)
	if err != nil {
		t.Fatal(err)
	}
	o = job.SCIMOptions()
	if o.BaseURL != "http://127.0.0.1:9/scim/directory/dir-1" || o.Version != 1 || o.ReadSchema || o.Timeout != 5*time.Second ||
		o.MaxConnections != 3 || !o.DisableCompression {
		t.Fatalf("options %+v", o)
	}
}

// Every problem of the scim section is reported at once, in exit-2 form,
// with its key and a fix, and never with a secret.
func TestSCIMProblems(t *testing.T) {
	cases := []struct {
		name, job string
		keys      []string // each must have a problem
		fix       string   // the first key's fix contains it
	}{
		{"no base", `{"scim":{"auth":{` + bearerAuth + `}}}`, []string{"scim.baseUrl"}, "scim.directoryId"},
		{"both bases", `{"scim":{"baseUrl":"https://s.example/scim","directoryId":"d","auth":{` + bearerAuth + `}}}`, []string{"scim.baseUrl"}, "exactly one"},
		{"directory id with a path", `{"scim":{"directoryId":"d/../../admin?x=1","auth":{` + bearerAuth + `}}}`, []string{"scim.directoryId"}, "not its URL"},
		{"directory id with basic auth", `{"scim":{"directoryId":"d-1","auth":{"type":"basic","username":"u","password":"` + scimPass + `"}}}`, []string{"scim.auth.type"}, "bearer"},
		{"base not http", `{"scim":{"baseUrl":"ftp://s.example","auth":{` + bearerAuth + `}}}`, []string{"scim.baseUrl"}, "https://"},
		{"credentials in the base", `{"scim":{"baseUrl":"https://u:` + scimPass + `@s.example","auth":{` + bearerAuth + `}}}`, []string{"scim.baseUrl"}, "remove"},
		{"version", scimJob(bearerAuth, `"version":3`), []string{"scim.version"}, "2 (SCIM 2.0) or 1"},
		{"auth type", scimJob(`"type":"digest"`, ""), []string{"scim.auth.type"}, "bearer, basic or oauth2"},
		{"no token", scimJob("", ""), []string{"scim.auth.token"}, "SCIM_TOKEN"},
		{"short token", scimJob(`"token":"abc"`, ""), []string{"scim.auth.token"}, "whole secret"},
		{"basic without user and password", scimJob(`"type":"basic"`, ""), []string{"scim.auth.username", "scim.auth.password"}, "user name"},
		{"oauth2 without anything", scimJob(`"type":"oauth2"`, ""), []string{"scim.auth.tokenUrl", "scim.auth.clientId", "scim.auth.clientSecret"}, "token endpoint"},
		{"oauth2 refresh without token", scimJob(`"type":"oauth2","tokenUrl":"https://a.example/t","clientId":"c","grantType":"refresh_token"`, ""),
			[]string{"scim.auth.refreshToken"}, "SCIM_REFRESH_TOKEN"},
		{"oauth2 bad grant", scimJob(`"type":"oauth2","tokenUrl":"https://a.example/t","clientId":"c","clientSecret":"`+scimClient+`","grantType":"password"`, ""),
			[]string{"scim.auth.grantType"}, "client_credentials or refresh_token"},
		{"oauth2 token URL", scimJob(`"type":"oauth2","tokenUrl":"a.example/t","clientId":"c","clientSecret":"`+scimClient+`"`, ""),
			[]string{"scim.auth.tokenUrl"}, "https://"},
		{"knobs out of range", scimJob(bearerAuth, `"requestsPerSecond":0,"burst":0,"concurrency":300,"maxRetries":99,"timeout":"0s","maxConnections":5000`),
			[]string{"scim.requestsPerSecond", "scim.burst", "scim.concurrency", "scim.maxRetries", "scim.timeout", "scim.maxConnections"}, "e.g."},
		{"timeout too long", scimJob(bearerAuth, `"timeout":"11m"`), []string{"scim.timeout"}, `"30s"`},
		{"timeout not a duration", scimJob(bearerAuth, `"timeout":"soon"`), []string{"scim.timeout"}, `"30s"`},
		{"insecure without the flag", scimJob(bearerAuth, `"insecureSkipVerify":true`), []string{"scim.insecureSkipVerify"}, "--allow-insecure"},
		{"unknown key with a secret", scimJob(bearerAuth+`,"tokn":"`+scimRefresh+`"`, ""), []string{"scim.auth.tokn"}, "token"},
		{"secret of the wrong type", scimJob(`"token":12345678901`, ""), []string{"scim.auth.token"}, "string"},
		{"secret file missing", scimJob(`"tokenFile":"/nonexistent/token"`, ""), []string{"scim.auth.tokenFile"}, "readable file"},
		{"scim not an object", `{"scim":"` + scimToken + `"}`, []string{"scim"}, "JSON object"},
		{"scim with a bad appConfig", `{"appConfig":{"siteName":"acme"},"scim":{"auth":{` + bearerAuth + `}}}`, []string{"appConfig.token", "scim.baseUrl"}, "EMAIL:API_TOKEN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(tc.job)
			if ie, ok := err.(*InvalidError); !ok || !ie.IsUsage() {
				t.Fatalf("err = %v, want an InvalidError (exit 2)", err)
			}
			by := map[string]Problem{}
			for _, p := range problems(t, err) {
				if !strings.HasPrefix(p.Key, "scim") && !strings.HasPrefix(p.Key, "appConfig") {
					t.Errorf("problem under an unexpected key: %v", p)
				}
				if p.Fix == "" || p.Message == "" {
					t.Errorf("problem without a message or fix: %v", p)
				}
				if _, seen := by[p.Key]; !seen {
					by[p.Key] = p
				}
			}
			for _, k := range tc.keys {
				if _, ok := by[k]; !ok {
					t.Errorf("no problem under %s: %v", k, err)
				}
			}
			if p := by[tc.keys[0]]; !strings.Contains(p.Fix+p.Message, tc.fix) {
				t.Errorf("%s: %q, want it to say %q", tc.keys[0], p, tc.fix)
			}
			for k := range by {
				if strings.HasPrefix(k, "appConfig") && !strings.Contains(tc.job, "appConfig") {
					t.Errorf("a SCIM-only job reports appConfig problems: %v", err)
				}
			}
			for _, s := range allSCIMSecrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the error shows the secret %q: %v", s, err)
				}
			}
		})
	}
	if _, err := parse(scimJob(bearerAuth, `"insecureSkipVerify":true`), Options{AllowInsecure: true, LookupEnv: noEnv}); err != nil {
		t.Fatalf("insecureSkipVerify with --allow-insecure: %v", err)
	}
}

// Each SCIM secret comes from the job file, a file (which wins) or the
// environment (which wins over both); a blank variable is unset, and a
// short one is named by its variable.
func TestSCIMSecretsFromEnvOrFile(t *testing.T) {
	type src struct{ key, fileKey, env, value string }
	for _, s := range []src{
		{"token", "tokenFile", EnvSCIMToken, scimToken},
		{"password", "passwordFile", EnvSCIMPassword, scimPass},
		{"clientSecret", "clientSecretFile", EnvSCIMClientSecret, scimClient},
		{"refreshToken", "refreshTokenFile", EnvSCIMRefreshToken, scimRefresh},
	} {
		// The auth of the secret's mode, with the other secrets it needs.
		auth := map[string]string{
			"token":        `"type":"bearer"`,
			"password":     `"type":"basic","username":"u"`,
			"clientSecret": `"type":"oauth2","tokenUrl":"https://a.example/t","clientId":"c"`,
			"refreshToken": `"type":"oauth2","tokenUrl":"https://a.example/t","clientId":"c","grantType":"refresh_token"`,
		}[s.key]
		file := writeSecret(t, "  file-"+s.value+"\n")
		reveal := func(j *Job) string {
			a := j.SCIMOptions().Auth
			return map[string]string{"token": a.Token.Reveal(), "password": a.Password.Reveal(),
				"clientSecret": a.ClientSecret.Reveal(), "refreshToken": a.RefreshToken.Reveal()}[s.key]
		}
		for _, tc := range []struct {
			name, members string
			env           map[string]string
			want          string
		}{
			{"inline", `,"` + s.key + `":"` + s.value + `"`, nil, s.value},
			{"file wins", `,"` + s.key + `":"` + s.value + `","` + s.fileKey + `":"` + file + `"`, nil, "file-" + s.value},
			{"environment wins", `,"` + s.fileKey + `":"` + file + `"`, map[string]string{s.env: " env-" + s.value + " "}, "env-" + s.value},
			{"blank environment", `,"` + s.key + `":"` + s.value + `"`, map[string]string{s.env: " "}, s.value},
		} {
			job, err := parse(scimJob(auth+tc.members, ""), Options{LookupEnv: envOf(tc.env)})
			if err != nil {
				t.Fatalf("%s %s: %v", s.key, tc.name, err)
			}
			if got := reveal(job); got != tc.want {
				t.Fatalf("%s %s: got %q, want %q", s.key, tc.name, got, tc.want)
			}
		}
		_, err := parse(scimJob(auth, ""), Options{LookupEnv: envOf(map[string]string{s.env: "short"})})
		if ps := problems(t, err); len(ps) != 1 || ps[0].Key != s.env || !strings.Contains(ps[0].Message, "shorter than") {
			t.Fatalf("%s: short secret from %s: %v", s.key, s.env, err)
		}
	}
}

// A parsed job and its SCIM options print no secret: not with %v, %+v or
// %#v, not as JSON.
func TestSCIMSecretsNeverPrinted(t *testing.T) {
	auth := `"type":"oauth2","tokenUrl":"https://a.example/t","clientId":"c","grantType":"refresh_token","clientSecret":"` + scimClient +
		`","refreshToken":"` + scimRefresh + `","token":"` + scimToken + `","password":"` + scimPass + `"`
	job, err := parse(scimJob(auth, ""))
	if err != nil {
		t.Fatal(err)
	}
	o := job.SCIMOptions()
	b, _ := json.Marshal(job)
	for _, out := range []string{fmt.Sprintf("%v %+v %#v", job, job, job), fmt.Sprintf("%v %+v %#v", o, *o, *o),
		fmt.Sprintf("%v %+v", *job.SCIM, job.SCIM.Auth), string(b)} {
		for _, s := range allSCIMSecrets {
			if strings.Contains(out, s) {
				t.Fatalf("%q printed: %s", s, out)
			}
		}
	}
	if o.Auth.ClientSecret.Reveal() != scimClient || o.Auth.RefreshToken.Reveal() != scimRefresh {
		t.Fatal("the secrets were lost on the way")
	}
}
