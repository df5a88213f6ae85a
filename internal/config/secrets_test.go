package config

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func writeSecret(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A job file without any credential is valid when they come from the
// environment or from files, so it can live in git.
func TestCredentialsPrecedence(t *testing.T) {
	tokenFile := writeSecret(t, "file-api-token-123\n")
	orgFile := writeSecret(t, "  file-org-key-123\r\n")
	cases := []struct {
		name, job              string
		env                    map[string]string
		email, token, orgKey   string
		emailFrom, tokenFromOK string
	}{
		{name: "inline", job: app(`"orgId":"o","orgApiKey":"inline-org-key"`),
			email: "me@example.com", token: "s3cr3t-Tok3n", orgKey: "inline-org-key"},
		{name: "files win over inline", job: app(`"apiTokenFile":"` + tokenFile + `","orgId":"o","orgApiKey":"inline-org-key","orgApiKeyFile":"` + orgFile + `"`),
			email: "me@example.com", token: "file-api-token-123", orgKey: "file-org-key-123"},
		{name: "environment wins over files", job: app(`"apiTokenFile":"` + tokenFile + `","orgId":"o","orgApiKeyFile":"` + orgFile + `"`),
			env:   map[string]string{EnvEmail: " env@example.com ", EnvAPIToken: "env-api-token-123", EnvOrgAPIKey: "env-org-key-123"},
			email: "env@example.com", token: "env-api-token-123", orgKey: "env-org-key-123"},
		{name: "blank environment is unset", job: app(""), env: map[string]string{EnvEmail: " ", EnvAPIToken: ""},
			email: "me@example.com", token: "s3cr3t-Tok3n"},
		{name: "email key and token file, no token", job: `{"appConfig":{"email":"bot@example.com","apiTokenFile":"` + tokenFile + `","siteName":"acme"}}`,
			email: "bot@example.com", token: "file-api-token-123"},
		{name: "environment only", job: `{"appConfig":{"siteName":"acme"}}`,
			env:   map[string]string{EnvEmail: "env@example.com", EnvAPIToken: "env-api-token-123"},
			email: "env@example.com", token: "env-api-token-123"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job, err := parse(tc.job, Options{LookupEnv: envOf(tc.env)})
			if err != nil {
				t.Fatal(err)
			}
			a := job.AppConfig
			if a.Email != tc.email || a.APIToken.Reveal() != tc.token || a.OrgAPIKey.Reveal() != tc.orgKey {
				t.Fatalf("email %q token %q org %q", a.Email, a.APIToken.Reveal(), a.OrgAPIKey.Reveal())
			}
		})
	}
}

func TestUploadKeysFromEnvironment(t *testing.T) {
	job := `{"appConfig":{"token":"` + goodToken + `","siteName":"acme"},"upload":{"api":"https://p.example","keyId":"k","keySecret":"s"}}`
	env := envOf(map[string]string{EnvUploadKeyID: "env-key-id-1", EnvUploadKeySecret: "env-key-secret-1"})
	j, err := parse(job, Options{LookupEnv: env})
	if err != nil {
		t.Fatal(err) // the short inline keys are not used
	}
	if j.Upload.KeyID.Reveal() != "env-key-id-1" || j.Upload.KeySecret.Reveal() != "env-key-secret-1" {
		t.Fatal("upload keys not from the environment")
	}
	_, err = parse(job, Options{LookupEnv: envOf(map[string]string{EnvUploadKeyID: "short"})})
	keys := map[string]bool{}
	for _, p := range problems(t, err) {
		keys[p.Key] = true
	}
	if !keys[EnvUploadKeyID] || !keys["upload.keySecret"] {
		t.Fatalf("short keys not named by their source: %v", err)
	}
}

func TestCredentialProblems(t *testing.T) {
	dir := t.TempDir()
	empty := writeSecret(t, "\n")
	big := writeSecret(t, strings.Repeat("x", MaxSecretFileSize+1))
	short := writeSecret(t, "abc\n")
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, job string
		env       map[string]string
		key, want string
	}{
		{"missing token file", app(`"apiTokenFile":"` + filepath.Join(dir, "nope") + `"`), nil, "appConfig.apiTokenFile", "no such file"},
		{"empty token file", app(`"apiTokenFile":"` + empty + `"`), nil, "appConfig.apiTokenFile", "is empty"},
		{"huge token file", app(`"apiTokenFile":"` + big + `"`), nil, "appConfig.apiTokenFile", "larger than 64 KiB"},
		{"fifo token file", app(`"apiTokenFile":"` + fifo + `"`), nil, "appConfig.apiTokenFile", "not a regular file"},
		{"dir token file", app(`"apiTokenFile":"` + dir + `"`), nil, "appConfig.apiTokenFile", "not a regular file"},
		{"short token file", app(`"apiTokenFile":"` + short + `"`), nil, "appConfig.apiTokenFile", "shorter than 8"},
		{"short org file", app(`"orgId":"o","orgApiKeyFile":"` + short + `"`), nil, "appConfig.orgApiKeyFile", "shorter than 8"},
		{"short env token", app(""), map[string]string{EnvAPIToken: "abc"}, EnvAPIToken, "shorter than 8"},
		{"env email not an email", app(""), map[string]string{EnvEmail: "nobody"}, EnvEmail, "does not look like an email"},
		{"email key not an email", app(`"email":"me@localhost"`), nil, "appConfig.email", "does not look like an email"},
		{"token file without email", `{"appConfig":{"apiTokenFile":"` + writeSecret(t, "file-api-token-123") + `","siteName":"acme"}}`, nil, "appConfig.email", "needs the account's email"},
		{"email without token", `{"appConfig":{"email":"a@example.com","siteName":"acme"}}`, nil, "appConfig.apiTokenFile", "needs an API token"},
		{"env org key without org id", app(""), map[string]string{EnvOrgAPIKey: "env-org-key-123"}, "appConfig.orgId", "missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(tc.job, Options{LookupEnv: envOf(tc.env)})
			probs := problems(t, err)
			for _, p := range probs {
				if strings.Contains(p.String(), "file-api-token") || strings.Contains(p.String(), "abc") || strings.Contains(p.String(), "env-org-key") {
					t.Fatalf("problem shows a secret: %v", p)
				}
			}
			for _, p := range probs {
				if p.Key == tc.key && strings.Contains(p.Message, tc.want) && p.Fix != "" {
					return
				}
			}
			t.Fatalf("no problem %s %q in %v", tc.key, tc.want, probs)
		})
	}
}
