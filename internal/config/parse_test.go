package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/secret"
)

const validJob = `{"appConfig":{"token":"me@example.com:s3cr3t-Tok3n","siteName":"acme"},"output":{"destination":"./out"}}`

func TestParseValidAppliesDefaults(t *testing.T) {
	job, err := Parse([]byte(validJob), Options{})
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
		a.Retries() != DefaultMaxRetries || a.Timeout.Duration != DefaultTimeout || a.MaxConnections != DefaultMaxConnections {
		t.Fatalf("defaults not applied: %+v", a)
	}
	if !a.InactiveUsers() || !job.Output.Private() || job.Output.Format != "parquet" || job.Output.Compression != "zstd" {
		t.Fatalf("output/filter defaults wrong: %+v", job.Output)
	}
}

func TestTokenSplitsAtFirstColon(t *testing.T) {
	job, err := Parse([]byte(`{"appConfig":{"token":"a@b.c:tok:with:colons","orgName":"acme"}}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if job.AppConfig.Email != "a@b.c" || job.AppConfig.APIToken.Reveal() != "tok:with:colons" || job.AppConfig.Site() != "acme" {
		t.Fatalf("got %q %q", job.AppConfig.Email, job.AppConfig.Site())
	}
}

func TestParseProblemsNameKeyAndFix(t *testing.T) {
	cases := []struct {
		name, job, key, want string
	}{
		{"unknown key", `{"appConfig":{"token":"a@b:c","siteName":"acme","requestPerSecond":5}}`, "appConfig.requestPerSecond", "unknown key"},
		{"unknown top key", `{"appConfig":{"token":"a@b:c","siteName":"acme"},"outptu":{}}`, "outptu", "unknown key"},
		{"unknown nested", `{"appConfig":{"token":"a@b:c","siteName":"acme"},"output":{"s3":{"bukket":"x"}}}`, "output.s3.bukket", "unknown key"},
		{"missing token", `{"appConfig":{"siteName":"acme"}}`, "appConfig.token", "missing"},
		{"no colon", `{"appConfig":{"token":"justatoken","siteName":"acme"}}`, "appConfig.token", "no colon"},
		{"missing site", `{"appConfig":{"token":"a@b:c"}}`, "appConfig.siteName", "missing"},
		{"both site keys", `{"appConfig":{"token":"a@b:c","siteName":"a","orgName":"b"}}`, "appConfig.siteName", "both"},
		{"url injection", `{"appConfig":{"token":"a@b:c","siteName":"evil.com/x?"}}`, "appConfig.siteName", "DNS label"},
		{"url as site", `{"appConfig":{"token":"a@b:c","orgName":"https://acme.atlassian.net"}}`, "appConfig.orgName", "DNS label"},
		{"bad type", `{"appConfig":{"token":"a@b:c","siteName":"acme","concurrency":"many"}}`, "appConfig.concurrency", "wrong type"},
		{"bad duration", `{"appConfig":{"token":"a@b:c","siteName":"acme","timeout":"soon"}}`, "appConfig.timeout", "wrong type"},
		{"token not string", `{"appConfig":{"token":42,"siteName":"acme"}}`, "appConfig.token", "wrong type"},
		{"insecure", `{"appConfig":{"token":"a@b:c","siteName":"acme","insecureSkipVerify":true}}`, "appConfig.insecureSkipVerify", "refused"},
		{"bad format", `{"appConfig":{"token":"a@b:c","siteName":"acme"},"output":{"format":"xlsx"}}`, "output.format", "unknown format"},
		{"bad codec", `{"appConfig":{"token":"a@b:c","siteName":"acme"},"output":{"compression":"lz4"}}`, "output.compression", "not a Parquet codec"},
		{"bad account type", `{"appConfig":{"token":"a@b:c","siteName":"acme","accountTypes":["robot"]}}`, "appConfig.accountTypes[0]", "unknown account type"},
		{"bad kind", `{"appConfig":{"token":"a@b:c","siteName":"acme","entityKinds":["issue"]}}`, "appConfig.entityKinds[0]", "unknown entity kind"},
		{"org half", `{"appConfig":{"token":"a@b:c","siteName":"acme","orgId":"o"}}`, "appConfig.orgApiKey", "go together"},
		{"bad base url", `{"appConfig":{"token":"a@b:c","siteName":"acme","baseUrl":"ftp://x"}}`, "appConfig.baseUrl", "not an http(s) URL"},
		{"bad sse", `{"appConfig":{"token":"a@b:c","siteName":"acme"},"output":{"s3":{"sse":"rot13"}}}`, "output.s3.sse", "unknown server-side encryption"},
		{"not json", `{"appConfig":`, "(file)", "not a JSON object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.job), Options{})
			if !IsInvalid(err) {
				t.Fatalf("want InvalidError, got %v", err)
			}
			ie := err.(*InvalidError)
			for _, p := range ie.Problems {
				if p.Key == tc.key && strings.Contains(p.Message, tc.want) {
					if p.Fix == "" {
						t.Fatalf("problem %v has no fix", p)
					}
					return
				}
			}
			t.Fatalf("no problem for key %s containing %q in %v", tc.key, tc.want, ie.Problems)
		})
	}
}

func TestInsecureAllowedExplicitly(t *testing.T) {
	job := `{"appConfig":{"token":"a@b:c","siteName":"acme","insecureSkipVerify":true}}`
	if _, err := Parse([]byte(job), Options{AllowInsecure: true}); err != nil {
		t.Fatal(err)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	const tokenValue = "s3cr3t-Tok3n"
	job, err := Parse([]byte(validJob), Options{})
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
	bad := `{"appConfig":{"token":"a@b:TOPSECRET","siteName":"Not A Label","orgId":"x","orgApiKey":"ORGSECRET","timeout":"soon"}}`
	_, err := Parse([]byte(bad), Options{})
	if err == nil {
		t.Fatal("want error")
	}
	if strings.Contains(err.Error(), "TOPSECRET") || strings.Contains(err.Error(), "ORGSECRET") {
		t.Fatalf("error leaks a secret: %v", err)
	}
}

func TestWantsRelationFollowsEntityKinds(t *testing.T) {
	a := AppConfig{EntityKinds: []string{"user", "group"}}
	if !a.WantsRelation("member_of") || a.WantsRelation("has_role") || a.WantsRelation("lead_of") {
		t.Fatal("relation filter does not follow entity kinds")
	}
	b := AppConfig{RelationKinds: []string{"lead_of"}}
	if !b.WantsRelation("lead_of") || b.WantsRelation("member_of") {
		t.Fatal("relationKinds filter ignored")
	}
}

func TestEffectivePermissions(t *testing.T) {
	parse := func(out string) (*Job, error) {
		return Parse([]byte(`{"appConfig":{"token":"a@b.c:t","siteName":"acme"},"output":`+out+`}`), Options{})
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
