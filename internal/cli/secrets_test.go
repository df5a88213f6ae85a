package cli

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
)

// secretStrings are every credential of the tests in every form that could
// leak: raw, as the EMAIL:TOKEN pair, and base64 of the pair (the Basic
// header).
func secretStrings() []string {
	var out []string
	for _, tok := range []string{simToken, simScoped, simNoScope, simBadToken} {
		pair := simEmail + ":" + tok
		out = append(out, tok, pair, base64.StdEncoding.EncodeToString([]byte(pair)))
	}
	return append(out, simOrgKey)
}

// assertNoSecrets fails if any credential appears in the command's output or
// in any file under dir.
func assertNoSecrets(t *testing.T, what string, r result, dir string) {
	t.Helper()
	for _, leak := range findSecrets(t, r, dir) {
		t.Errorf("%s: %s", what, leak)
	}
}

// findSecrets lists where credentials appear in r's output and dir's files.
func findSecrets(t *testing.T, r result, dir string) []string {
	t.Helper()
	var leaks []string
	texts := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(p) == "job.json" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("read %s: %v", p, err)
			return nil
		}
		texts[p] = string(b)
		return nil
	})
	for name, text := range texts {
		for _, s := range secretStrings() {
			if strings.Contains(text, s) {
				leaks = append(leaks, fmt.Sprintf("%s contains a credential (%.8s...)", name, s))
			}
		}
	}
	return leaks
}

// The leak detector finds a planted credential in output and in files.
func TestFindSecretsFindsLeaks(t *testing.T) {
	dir := t.TempDir()
	if leaks := findSecrets(t, result{stderr: "all clean"}, dir); len(leaks) != 0 {
		t.Fatalf("false positive: %v", leaks)
	}
	basic := base64.StdEncoding.EncodeToString([]byte(simEmail + ":" + simScoped))
	if leaks := findSecrets(t, result{stderr: "Authorization: Basic " + basic}, dir); len(leaks) != 1 {
		t.Fatalf("base64 pair not found: %v", leaks)
	}
	if err := os.MkdirAll(filepath.Join(dir, "out", "run"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "out", "run", "manifest.json"), []byte(`{"k":"`+simOrgKey+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if leaks := findSecrets(t, result{}, dir); len(leaks) != 1 || !strings.Contains(leaks[0], "manifest.json") {
		t.Fatalf("file leak not found: %v", leaks)
	}
}

func TestNoSecretsAnywhere(t *testing.T) {
	url := startSim(t, sim.Permissions{}, sim.Faults{})
	ds, err := sim.Generate(sim.Config{Size: "small", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	partial := startSim(t, sim.Permissions{}, sim.Faults{ForbiddenProjects: []string{ds.Projects[0].ID}})

	cases := []struct {
		name      string
		url, tok  string
		org       bool
		args      []string
		wantCodes []int
	}{
		{"run ok with org key", url, simToken, true, []string{"run", "--format", "csv"}, []int{0}},
		{"run ok json logs", url, simToken, true, []string{"run", "--log-format", "json"}, []int{0}},
		{"run scoped", url, simScoped, false, []string{"run", "--format", "csv"}, []int{0}},
		{"run partial", partial, simToken, true, []string{"run", "--format", "csv"}, []int{3}},
		{"run bad token", url, simBadToken, true, []string{"run"}, []int{1}},
		{"run under-scoped", url, simNoScope, false, []string{"run"}, []int{1, 3}},
		{"check ok", url, simToken, true, []string{"check"}, []int{0}},
		{"check scoped", url, simScoped, true, []string{"check"}, []int{0}},
		{"check under-scoped", url, simNoScope, false, []string{"check"}, []int{1}},
		{"check bad token", url, simBadToken, true, []string{"check"}, []int{1}},
		{"dry-run", url, simToken, true, []string{"dry-run"}, []int{0}},
		{"dry-run json", url, simToken, true, []string{"dry-run", "--format", "json"}, []int{0}},
		{"dry-run under-scoped json", url, simNoScope, false, []string{"dry-run", "--format", "json"}, []int{1, 3}},
		{"check under-scoped json", url, simNoScope, false, []string{"check", "--format", "json"}, []int{1}},
		{"check bad token json", url, simBadToken, true, []string{"check", "--format", "json"}, []int{1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			job := writeJob(t, dir, simJob(c.url, c.tok, filepath.Join(dir, "out"), c.org))
			args := append(append([]string{}, c.args...), "--config", job, "--log-level", "debug")
			r := runBin(t, dir, args...)
			ok := false
			for _, code := range c.wantCodes {
				ok = ok || r.code == code
			}
			if !ok {
				t.Fatalf("exit %d, want %v\n%s", r.code, c.wantCodes, r)
			}
			if c.args[0] == "run" && r.code != 1 {
				if m, _ := filepath.Glob(filepath.Join(dir, "out", "*", "manifest.json")); len(m) != 1 {
					t.Fatalf("no manifest to search")
				}
			}
			if !strings.Contains(r.stderr, "level=DEBUG") && !strings.Contains(r.stderr, `"level":"DEBUG"`) && c.args[0] != "check" {
				t.Errorf("no debug logs were written, the test proves little\n%s", r)
			}
			assertNoSecrets(t, c.name, r, dir)
		})
	}

	t.Run("bad config", func(t *testing.T) {
		dir := t.TempDir()
		j := simJob(url, simToken, "out", true)
		j["appConfig"].(map[string]any)["tokn"] = simToken // unknown key holding a secret
		j["appConfig"].(map[string]any)["siteName"] = "Bad Site"
		r := runBin(t, dir, "run", "--config", writeJob(t, dir, j), "--log-level", "debug")
		if r.code != ExitUsage {
			t.Fatalf("want exit 2\n%s", r)
		}
		assertNoSecrets(t, "bad config", r, dir)
		j = simJob(url, simToken, "out", false)
		j["appConfig"].(map[string]any)["token"] = simBadToken // no colon
		r = runBin(t, dir, "check", "--config", writeJob(t, dir, j), "--log-level", "debug")
		if r.code != ExitUsage {
			t.Fatalf("want exit 2\n%s", r)
		}
		assertNoSecrets(t, "token without colon", r, dir)
	})
}
