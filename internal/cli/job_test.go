package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/manifest"
)

func TestExampleJobFilesAreValid(t *testing.T) {
	files, err := filepath.Glob("../../testdata/jobs/*.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("example job files: %v %v", files, err)
	}
	for _, f := range files {
		var errb bytes.Buffer
		job, code, done := loadJob(context.Background(), Env{Err: &errb}, "run", jobFlags{config: f})
		if done || job == nil {
			t.Errorf("%s: exit %d\n%s", f, code, errb.String())
		}
	}
}

func TestOverridesAreValidatedWithTheFile(t *testing.T) {
	dir := t.TempDir()
	path := writeJob(t, dir, `{"appConfig":{"token":"a@b.example:tok-long-enough","siteName":"acme"},"output":{"destination":"./out"}}`)
	var errb bytes.Buffer
	env := Env{Err: &errb}
	job, _, done := loadJob(context.Background(), env, "run", jobFlags{config: path},
		override{flag: "--out", key: "output.destination", value: "s3://bucket/x"},
		override{flag: "--format", key: "output.format", value: "csv"})
	if done {
		t.Fatalf("overrides refused: %s", errb.String())
	}
	if job.Output.Destination != "s3://bucket/x" || job.Output.Format != "csv" || job.Output.Compression != "none" {
		t.Fatalf("output = %+v (compression must default for csv)", job.Output)
	}
	if job.AppConfig.Email != "a@b.example" || job.AppConfig.APIToken.Reveal() != "tok-long-enough" {
		t.Fatalf("credentials lost in the reparse")
	}

	// An override that clashes with the file names both.
	path = writeJob(t, dir, `{"appConfig":{"token":"a@b.example:tok-long-enough","siteName":"acme"},"output":{"compression":"zstd"}}`)
	errb.Reset()
	_, code, done := loadJob(context.Background(), env, "run", jobFlags{config: path}, override{flag: "--format", key: "output.format", value: "csv"})
	if !done || code != ExitUsage || !strings.Contains(errb.String(), "output.compression") {
		t.Fatalf("clash not reported: exit %d\n%s", code, errb.String())
	}
	errb.Reset()
	_, _, done = loadJob(context.Background(), env, "run", jobFlags{config: path}, override{flag: "--out", key: "output.destination", value: "ftp://x/y"})
	if !done || !strings.Contains(errb.String(), "output.destination (--out on the command line)") {
		t.Fatalf("bad --out not named\n%s", errb.String())
	}
}

// An in-process run (under -race) with the interactive display: progress
// events, log lines and the summary all go through one writer.
func TestRunInProcessInteractive(t *testing.T) {
	url := startSim(t, sim.Permissions{}, sim.Faults{})
	dir := t.TempDir()
	dest := filepath.Join(dir, "out")
	job := writeJob(t, dir, simJob(url, simToken, dest, true))
	var out, errb simtest.SyncBuffer
	code := Main(context.Background(), []string{"run", "--config", job, "--log-level", "debug"}, Env{Out: &out, Err: &errb, Interactive: true})
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	s := errb.String()
	for _, want := range []string{"elapsed", "req/s", "level=DEBUG", "Run ", " complete in ", dest} {
		if !strings.Contains(s, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(onlyRun(t, dest), manifest.FileName)); err != nil {
		t.Fatal(err)
	}
}

func TestRunCancelled(t *testing.T) {
	url := startSim(t, sim.Permissions{}, sim.Faults{})
	dir := t.TempDir()
	dest := filepath.Join(dir, "out")
	job := writeJob(t, dir, simJob(url, simToken, dest, false))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb simtest.SyncBuffer
	code := Main(ctx, []string{"run", "--config", job, "--no-progress"}, Env{Out: &out, Err: &errb})
	if code != ExitFailed || !strings.Contains(errb.String(), "cancel") {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if m, _ := filepath.Glob(filepath.Join(dest, "*", manifest.FileName)); len(m) > 0 {
		t.Fatalf("a cancelled run wrote a manifest: %v", m)
	}
}
