package cli

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
)

// The simulator's SCIM credentials in these tests.
const (
	scimKey      = "scimK-4b1d9e7a-key-S3CRET"
	scimPassword = "scimP-8c2e0f6b-pass-S3CRET"
	scimSecret   = "scimC-2a7f4d1e-client-S3CRET"
	scimBad      = "scimB-5e3a9c2d-wrong-S3CRET"
)

func scimSecrets() []string {
	pair := sim.DefaultSCIMBasicUser + ":" + scimPassword
	return []string{scimKey, scimPassword, scimSecret, scimBad, pair, base64.StdEncoding.EncodeToString([]byte(pair)), "sim-scim-access-"}
}

// requireNoSCIMSecrets fails if any SCIM credential appears in r's output.
func requireNoSCIMSecrets(t *testing.T, what string, r result) {
	t.Helper()
	for _, s := range scimSecrets() {
		if strings.Contains(r.stdout+r.stderr, s) {
			t.Errorf("%s: the output holds a SCIM credential (%.8s...)\n%s", what, s, r)
		}
	}
}

func scimSim(t *testing.T, tls bool) (*sim.Server, string) {
	cfg := sim.Config{Size: "small", Seed: 1, Email: simEmail, Token: simToken,
		SCIM: sim.SCIMConfig{Token: scimKey, BasicPassword: scimPassword, ClientSecret: scimSecret, PageSize: 40}}
	if tls {
		return simtest.StartSimTLS(t, cfg)
	}
	return simtest.StartSim(t, cfg)
}

// scimOnlyJob reads base with the credential from the environment.
func scimOnlyJob(base string, extra map[string]any) map[string]any {
	s := map[string]any{"baseUrl": base, "auth": map[string]any{"type": "bearer"}, "requestsPerSecond": 2000, "burst": 100}
	for k, v := range extra {
		s[k] = v
	}
	return map[string]any{"scim": s, "output": map[string]any{"destination": "out"}}
}

// check, dry-run and run know a job with scim: alone (the key from the
// environment) or beside appConfig (OAuth 2.0 with the client secret in
// a file). Nothing they print holds a SCIM credential.
func TestSCIMOperatorCommands(t *testing.T) {
	srv, url := scimSim(t, false)
	dir := t.TempDir()
	env := []string{"SCIM_TOKEN=" + scimKey}
	only := writeJob(t, dir, scimOnlyJob(srv.SCIMBaseURL(url, 2), nil))

	r := runBinEnv(t, dir, env, "check", "--config", only)
	if r.code != 0 || strings.Contains(r.stdout, "Site:") || !strings.Contains(r.stdout, "SCIM directory:") || !strings.Contains(r.stdout, "can be read") {
		t.Fatalf("check of a SCIM-only job\n%s", r)
	}
	requireNoSCIMSecrets(t, "check", r)
	r = runBinEnv(t, dir, env, "check", "--config", only, "--format", "json")
	var rep struct {
		SCIM struct {
			OK     bool `json:"ok"`
			Probes []struct{ Kind, Result string }
		} `json:"scim"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rep) != nil || !rep.SCIM.OK || len(rep.SCIM.Probes) != 3 {
		t.Fatalf("check --format json\n%s", r)
	}
	r = runBinEnv(t, dir, env, "dry-run", "--config", only)
	if r.code != 0 || !strings.Contains(r.stdout, "scim directory") || !strings.Contains(r.stdout, "GET /Users") || !strings.Contains(r.stdout, "scim member_of") {
		t.Fatalf("dry-run of a SCIM-only job\n%s", r)
	}
	requireNoSCIMSecrets(t, "dry-run", r)
	r = runBinEnv(t, dir, env, "run", "--config", only, "--log-level", "debug")
	if m, _ := filepath.Glob(filepath.Join(dir, "out", "*", "manifest.json")); r.code != 0 || len(m) != 1 {
		t.Fatalf("run of a SCIM-only job\n%s", r)
	}
	requireNoSCIMSecrets(t, "run", r)

	secretFile := filepath.Join(dir, "client-secret")
	if err := os.WriteFile(secretFile, []byte(scimSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	both := simJob(url, simToken, "out2", false)
	both["scim"] = map[string]any{"baseUrl": srv.SCIMBaseURL(url, 2), "auth": map[string]any{"type": "oauth2",
		"tokenUrl": url + "/oauth/token", "clientId": sim.DefaultSCIMClientID, "clientSecretFile": secretFile}}
	job := writeJob(t, dir, both)
	r = runBin(t, dir, "check", "--config", job)
	if r.code != 0 || !strings.Contains(r.stdout, "Every kind can be read") || !strings.Contains(strings.Join(strings.Fields(r.stdout), " "), "SCIM auth: oauth2") {
		t.Fatalf("check of a job with appConfig and scim\n%s", r)
	}
	r = runBin(t, dir, "dry-run", "--config", job, "--format", "json")
	var plan struct {
		Site string
		SCIM *struct{ Users, Groups int64 } `json:"scim"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &plan) != nil || plan.Site != "sim" || plan.SCIM == nil || plan.SCIM.Users == 0 {
		t.Fatalf("dry-run --format json of a job with appConfig and scim\n%s", r)
	}
	requireNoSCIMSecrets(t, "dry-run json", r)
}

// A refused SCIM credential fails check and dry-run (exit 1) naming the
// setting; a stalled directory fails a run within scim.timeout.
func TestSCIMFailuresNameTheSetting(t *testing.T) {
	srv, url := scimSim(t, false)
	dir := t.TempDir()
	only := writeJob(t, dir, scimOnlyJob(srv.SCIMBaseURL(url, 2), nil))
	for _, cmd := range []string{"check", "dry-run", "run"} {
		r := runBinEnv(t, dir, []string{"SCIM_TOKEN=" + scimBad}, cmd, "--config", only)
		if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "scim.auth.token") || r.took > 20*time.Second {
			t.Errorf("%s with a wrong SCIM token: want exit 1 naming scim.auth.token\n%s", cmd, r)
		}
		requireNoSCIMSecrets(t, cmd+" with a wrong token", r)
	}

	stop := make(chan struct{})
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(stall.Close)
	t.Cleanup(func() { close(stop) })
	job := writeJob(t, dir, scimOnlyJob(stall.URL+"/scim/v2", map[string]any{"timeout": "1s", "maxRetries": 0}))
	r := runBinEnv(t, dir, []string{"SCIM_TOKEN=" + scimKey}, "run", "--config", job)
	if r.code != 1 || !strings.Contains(r.stderr, "scim.timeout") || r.took > 15*time.Second {
		t.Fatalf("run against a stalled directory: want exit 1 naming scim.timeout within seconds\n%s", r)
	}
}

// A directory behind a self-signed certificate is refused naming
// scim.insecureSkipVerify; the knob needs --allow-insecure (exit 2
// without), and with both the run reads it, warning loudly.
func TestSCIMSelfSignedDirectory(t *testing.T) {
	srv, url := scimSim(t, true)
	dir := t.TempDir()
	env := []string{"SCIM_TOKEN=" + scimKey}
	strict := writeJob(t, dir, scimOnlyJob(srv.SCIMBaseURL(url, 2), nil))
	r := runBinEnv(t, dir, env, "run", "--config", strict)
	if r.code != 1 || !strings.Contains(r.stderr, "scim.insecureSkipVerify") || !strings.Contains(r.stderr, "not trusted") {
		t.Fatalf("run against a self-signed directory\n%s", r)
	}
	insecure := writeJob(t, dir, scimOnlyJob(srv.SCIMBaseURL(url, 2), map[string]any{"insecureSkipVerify": true}))
	r = runBinEnv(t, dir, env, "check", "--config", insecure)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "scim.insecureSkipVerify") || !strings.Contains(r.stderr, "--allow-insecure") {
		t.Fatalf("insecureSkipVerify without --allow-insecure\n%s", r)
	}
	for _, cmd := range []string{"check", "run"} {
		r = runBinEnv(t, dir, env, cmd, "--config", insecure, "--allow-insecure")
		if r.code != 0 || !strings.Contains(r.stderr, "TLS CERTIFICATE VERIFICATION IS OFF") {
			t.Fatalf("%s with insecureSkipVerify and --allow-insecure\n%s", cmd, r)
		}
	}
}

// schema, --help and a bad job file never print a SCIM secret, wherever
// it comes from.
func TestSCIMSecretsNeverPrinted(t *testing.T) {
	dir := t.TempDir()
	env := []string{"SCIM_TOKEN=" + scimKey, "SCIM_PASSWORD=" + scimPassword, "SCIM_CLIENT_SECRET=" + scimSecret, "SCIM_REFRESH_TOKEN=" + scimBad}
	bad := writeJob(t, dir, map[string]any{"scim": map[string]any{"baseUrl": "ftp://" + scimKey, "version": 7,
		"auth": map[string]any{"type": "oauth2", "clientSecret": scimSecret, "refreshToken": 12, "password": scimPassword, "tokn": scimBad}}})
	for _, args := range [][]string{
		{"schema"}, {"schema", "--json"}, {"schema", "--markdown"},
		{"run", "--help"}, {"check", "--help"}, {"dry-run", "--help"}, {"apply", "--help"},
		{"run", "--config", bad}, {"check", "--config", bad}, {"dry-run", "--config", bad},
	} {
		r := runBinEnv(t, dir, env, args...)
		if args[0] != "schema" && !strings.Contains(strings.Join(args, " "), "--help") && r.code != ExitUsage {
			t.Errorf("%v: want exit 2\n%s", args, r)
		}
		requireNoSCIMSecrets(t, strings.Join(args, " "), r)
	}
}
