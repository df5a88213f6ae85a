package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/secret"
	"github.com/govextract/jira-extractor/internal/upload/uploadtest"
)

func runCommand(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Command(context.Background(), args, &o, &e, loadTestJob)
	return code, o.String(), e.String()
}

// loadTestJob reads the upload section of a job file written by writeJob,
// standing in for the command layer's loader (which validates the whole
// job file; its own tests cover that).
func loadTestJob(_ context.Context, path string) (JobFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return JobFile{}, fmt.Errorf("cannot read job file: %w", err)
	}
	var job struct {
		Upload *struct {
			API, App, KeyID, KeySecret string
		}
	}
	if err := json.Unmarshal(b, &job); err != nil {
		return JobFile{}, err
	}
	var f JobFile
	if u := job.Upload; u != nil {
		f.Upload = &Options{API: u.API, App: u.App, KeyID: secret.New(u.KeyID), KeySecret: secret.New(u.KeySecret)}
	}
	return f, nil
}

// noSecrets fails if any text shows the test key.
func noSecrets(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		for _, k := range []string{testKeyID, testKeySecret, "wrong-id-55", "wrong-secret-66"} {
			if strings.Contains(s, k) {
				t.Fatalf("a key was printed:\n%s", s)
			}
		}
	}
}

func TestCommandHelpAndUsage(t *testing.T) {
	code, out, _ := runCommand("--help")
	for _, want := range []string{"--from", "--api", "--app", "--dry-run", "--allow-dangling", "--config", "--state", "--chunk-rows", "--chunk-bytes", "--max-retries", "ENTITY_API_KEY_ID", "Exit codes"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %s", want)
		}
	}
	if code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--nope"}, "flag provided but not defined"},
		{[]string{"--api", "http://127.0.0.1:1"}, "--from DEST/RUN_ID is required"},
		{[]string{"--from", "x", "extra"}, "unexpected argument"},
		{[]string{"--from", "x", "--chunk-bytes", "12XB"}, "not a positive size"},
		{[]string{"--from", "x", "--chunk-rows", "0"}, "--chunk-rows must be positive"},
		{[]string{"--from", "x"}, "--api URL is required"},
		{[]string{"--from", "x", "--config", "/does/not/exist.json"}, "cannot read job file"},
		{[]string{"--from", "x", "--api", "https://ops:hunter2-pass@platform.example.com/api"}, "carries a user or password"},
		{[]string{"--from", "x", "--api", "ftp://platform.example.com/api"}, "not an http(s) URL"},
		{[]string{"--from", "ftp://x/y", "--api", "http://127.0.0.1:1"}, "unsupported scheme"},
	} {
		code, _, errOut := runCommand(c.args...)
		if strings.Contains(errOut, "hunter2") {
			t.Errorf("%v: the password is echoed: %s", c.args, errOut)
		}
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
	if n, err := parseBytes("32MiB"); err != nil || n != 32<<20 {
		t.Fatalf("parseBytes(32MiB) = %d, %v", n, err)
	}
}

func TestCommandUploadResumeWithDefaultState(t *testing.T) {
	f := newFixture(30)
	loc := writeRun(t, t.TempDir(), "parquet", f)
	srv := newServer(t, uploadtest.Options{})
	t.Setenv(EnvKeyID, testKeyID)
	t.Setenv(EnvKeySecret, testKeySecret)
	srv.DropConnection(1)
	code, out, errOut := runCommand("--from", loc, "--api", srv.URL, "--chunk-rows", "10", "--max-retries", "0", "--verbose")
	if code != 1 || !strings.Contains(errOut, "entities-00000") {
		t.Fatalf("dropped connection: exit %d\n%s", code, errOut)
	}
	noSecrets(t, out, errOut)
	srv.Fail429(1)
	srv.Fail5xx(1)
	code, out, errOut = runCommand("--from", loc, "--api", srv.URL, "--chunk-rows", "10", "--max-retries", "2", "--verbose")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	noSecrets(t, out, errOut)
	if !strings.Contains(errOut, "upload retry") || !strings.Contains(out, "left out 3 permission grants to special holders") {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
	statePath := filepath.Join(loc, StateFileName)
	b, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil || !st.Complete || len(st.Accepted) == 0 || st.Accepted[0].SHA256 == "" {
		t.Fatalf("state %s: %v", b, err)
	}
	assertStored(t, srv, f, "acme")
	// Again: the state file in the run folder does not break verification,
	// and nothing is sent twice.
	code, out, errOut = runCommand("--from", loc, "--api", srv.URL, "--chunk-rows", "10")
	if code != 0 || !strings.Contains(out, "skipped") {
		t.Fatalf("rerun: exit %d\n%s\n%s", code, out, errOut)
	}
	assertStored(t, srv, f, "acme")
}

func TestCommandWrongKey(t *testing.T) {
	f := newFixture(5)
	loc := writeRun(t, t.TempDir(), "parquet", f)
	srv := newServer(t, uploadtest.Options{})
	t.Setenv(EnvKeyID, "wrong-id-55")
	t.Setenv(EnvKeySecret, "wrong-secret-66")
	code, out, errOut := runCommand("--from", loc, "--api", srv.URL, "--verbose")
	if code != 1 || !strings.Contains(errOut, "401") || !strings.Contains(errOut, "ENTITY_API_KEY_ID") || !strings.Contains(errOut, "invalid API key") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	noSecrets(t, out, errOut)
	if len(srv.Entities()) != 0 {
		t.Fatal("rows stored with a wrong key")
	}

	// Keys from the job file; the environment is empty.
	t.Setenv(EnvKeyID, "")
	t.Setenv(EnvKeySecret, "")
	code, _, errOut = runCommand("--from", loc, "--api", srv.URL)
	if code != 2 || !strings.Contains(errOut, "no platform API key") {
		t.Fatalf("no key: exit %d\n%s", code, errOut)
	}
	job := filepath.Join(t.TempDir(), "job.json")
	writeJob(t, job, srv.URL, testKeyID, testKeySecret)
	code, out, errOut = runCommand("--from", loc, "--config", job, "--app", "from-flag", "--verbose")
	if code != 0 {
		t.Fatalf("job keys: exit %d\n%s", code, errOut)
	}
	noSecrets(t, out, errOut)
	assertStored(t, srv, f, "from-flag")
}

func writeJob(t *testing.T, path, api, id, secret string) {
	t.Helper()
	job := map[string]any{
		"appConfig": map[string]any{"token": "me@example.com:tok-long-enough", "siteName": "acme"},
		"output":    map[string]any{"destination": t.TempDir()},
		"upload":    map[string]any{"api": api, "keyId": id, "keySecret": secret, "app": "from-job"},
	}
	b, _ := json.Marshal(job)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCommandRefusesIncompleteAndTampered(t *testing.T) {
	f := newFixture(5)
	loc := writeRun(t, t.TempDir(), "csv", f)
	srv := newServer(t, uploadtest.Options{})
	t.Setenv(EnvKeyID, testKeyID)
	t.Setenv(EnvKeySecret, testKeySecret)
	part := filepath.Join(loc, "relations", "relation=member_of", "part-00000.csv")
	if err := os.WriteFile(part, []byte("tampered\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCommand("--from", loc, "--api", srv.URL)
	if code != 1 || !strings.Contains(errOut, "does not match its manifest") {
		t.Fatalf("tampered: exit %d\n%s", code, errOut)
	}
	_ = os.Remove(filepath.Join(loc, "manifest.json"))
	code, _, errOut = runCommand("--from", loc, "--api", srv.URL)
	if code != 1 || !strings.Contains(errOut, "not complete") {
		t.Fatalf("incomplete: exit %d\n%s", code, errOut)
	}
	if srv.Requests() != 0 {
		t.Fatalf("%d requests sent", srv.Requests())
	}
}

func TestCommandDryRun(t *testing.T) {
	f := newFixture(30)
	loc := writeRun(t, t.TempDir(), "parquet", f)
	srv := newServer(t, uploadtest.Options{})
	code, out, errOut := runCommand("--from", "file://"+loc, "--api", srv.URL, "--dry-run", "--chunk-rows", "25")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "entities-00000: 25 rows") || !strings.Contains(out, "would upload") {
		t.Fatalf("dry run output:\n%s", out)
	}
	if srv.Requests() != 0 {
		t.Fatal("dry run sent requests")
	}
	if _, err := os.Stat(filepath.Join(loc, StateFileName)); !os.IsNotExist(err) {
		t.Fatal("dry run wrote a state file")
	}
}

func TestAfterRun(t *testing.T) {
	f := newFixture(12)
	loc := writeRun(t, t.TempDir(), "parquet", f)
	srv := newServer(t, uploadtest.Options{})
	t.Setenv(EnvKeyID, "")
	t.Setenv(EnvKeySecret, "")
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	job := &Options{API: srv.URL, KeyID: secret.New(testKeyID), KeySecret: secret.New(testKeySecret), MaxRetries: DefaultMaxRetries}
	if err := AfterRun(context.Background(), job, nil, location.MustParse(loc), logger); err != nil {
		t.Fatal(err)
	}
	assertStored(t, srv, f, "acme")
	if !strings.Contains(logs.String(), "upload finished") {
		t.Fatalf("logs: %s", logs.String())
	}
	noSecrets(t, logs.String())

	job.KeySecret = secret.New("wrong-secret-66")
	err := AfterRun(context.Background(), job, nil, location.MustParse(filepath.Join(t.TempDir(), "nothing")), logger)
	if err == nil {
		t.Fatal("no error for a missing run")
	}
	if err := AfterRun(context.Background(), nil, nil, location.MustParse(loc), logger); err == nil || !IsUsage(err) {
		t.Fatalf("no upload section: %v", err)
	}
	// A wrong key on a fresh state: a 401 naming the fix, without the key.
	_ = os.Remove(filepath.Join(loc, StateFileName))
	err = AfterRun(context.Background(), job, nil, location.MustParse(loc), logger)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong key: %v", err)
	}
	noSecrets(t, err.Error(), logs.String())
}
