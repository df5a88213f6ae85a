package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/upload/uploadtest"
)

const (
	platformKeyID     = "pkid-5e7a9c1b"
	platformKeySecret = "pks-8f6d4b2a-S3CRET"
)

func TestRunUploadsAfterRun(t *testing.T) {
	url := startSim(t, sim.Permissions{}, sim.Faults{})
	platform := uploadtest.New(uploadtest.Options{KeyID: platformKeyID, KeySecret: platformKeySecret})
	defer platform.Close()

	for _, c := range []struct {
		name   string
		secret string
		code   int
	}{
		{"accepted", platformKeySecret, 0},
		{"refused key", "wrong-" + platformKeySecret, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			j := simJob(url, simToken, filepath.Join(dir, "out"), false)
			j["upload"] = map[string]any{"api": platform.URL, "app": "jira-sim", "keyId": platformKeyID, "keySecret": c.secret, "afterRun": true}
			r := runBin(t, dir, "run", "--config", writeJob(t, dir, j), "--log-level", "debug")
			if r.code != c.code {
				t.Fatalf("want exit %d\n%s", c.code, r)
			}
			if !strings.Contains(r.stderr, "upload.afterRun is set") {
				t.Errorf("no upload announced\n%s", r)
			}
			if c.code == 0 && len(platform.Entities()) == 0 {
				t.Errorf("platform received no entities")
			}
			if c.code != 0 && !strings.Contains(r.stderr, "the upload failed") {
				t.Errorf("failure not explained\n%s", r)
			}
			assertNoSecrets(t, c.name, r, dir)
			if strings.Contains(r.stdout+r.stderr, platformKeySecret) {
				t.Errorf("platform key secret printed")
			}
		})
	}
}

// TestRunFileLocalhostReportsThePath: a run to file://localhost/DIR prints
// the run folder DIR/RUN_ID that the run returned (not a path with
// "localhost" in it), and the upload after the run reads that folder.
func TestRunFileLocalhostReportsThePath(t *testing.T) {
	url := startSim(t, sim.Permissions{}, sim.Faults{})
	platform := uploadtest.New(uploadtest.Options{KeyID: platformKeyID, KeySecret: platformKeySecret})
	defer platform.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	j := simJob(url, simToken, "file://localhost"+filepath.ToSlash(out), false)
	j["upload"] = map[string]any{"api": platform.URL, "app": "jira-sim", "keyId": platformKeyID, "keySecret": platformKeySecret, "afterRun": true}
	r := runBin(t, dir, "run", "--config", writeJob(t, dir, j))
	run := strings.TrimSpace(r.stdout)
	if r.code != 0 || filepath.Dir(run) != out {
		t.Fatalf("stdout %q is not a run folder in %s\n%s", r.stdout, out, r)
	}
	if !strings.Contains(r.stderr, "uploading "+run+"\n") || len(platform.Entities()) == 0 {
		t.Fatalf("the upload after the run did not read %s (%d entities)\n%s", run, len(platform.Entities()), r)
	}
	if _, err := os.Stat(filepath.Join(run, "manifest.json")); err != nil {
		t.Fatalf("no manifest in %s: %v", run, err)
	}
}
