package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
)

const tiny = "../../testdata/sites/tiny.json"

func TestServeReadyFileAndStop(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb simtest.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--dataset", tiny, "--ready-file", ready, "--fault-409", "1", "--deny", "administer-jira"}, &out, &errb)
	}()
	var url string
	deadline := time.Now().Add(10 * time.Second)
	for url == "" {
		if b, err := os.ReadFile(ready); err == nil {
			url = strings.TrimSpace(string(b))
		} else if time.Now().After(deadline) {
			t.Fatalf("no ready file; stderr: %s", errb.String())
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	line := out.String()
	for _, want := range []string{`serving site "tiny" at ` + url, "users=6 groups=4 projects=3", "email=sim@example.com", "token=sim-token"} {
		if !strings.Contains(line, want) {
			t.Errorf("start line %q lacks %q", line, want)
		}
	}
	get := func(path string) int {
		req, _ := http.NewRequest(http.MethodGet, url+path, nil)
		req.SetBasicAuth(sim.DefaultEmail, sim.DefaultToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get("/rest/api/3/myself"); got != 200 {
		t.Errorf("myself: %d", got)
	}
	if got := get("/rest/api/3/users/search"); got != 409 {
		t.Errorf("--fault-409 1: users/search %d", got)
	}
	if got := get("/rest/api/3/role"); got != 403 {
		t.Errorf("--deny administer-jira: /role %d", got)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exit %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestTruthCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"truth", "--dataset", tiny, "--org"}, &out, &errb); code != 0 {
		t.Fatalf("truth exit %d: %s", code, errb.String())
	}
	s, err := sim.New(sim.Config{DatasetFile: tiny})
	if err != nil {
		t.Fatal(err)
	}
	tr := s.Truth(sim.TruthOptions{Org: true})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(tr.Entities)+len(tr.Relations) {
		t.Fatalf("%d lines, want %d", len(lines), len(tr.Entities)+len(tr.Relations))
	}
	records := map[string]int{}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		records[m["record"].(string)]++
	}
	if records["entity"] != len(tr.Entities) || records["relation"] != len(tr.Relations) {
		t.Errorf("records %v", records)
	}
}

func TestDatasetCommandRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.json")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"dataset", "--users", "30", "--groups", "5", "--projects", "4", "--seed", "3", "--out", path}, &out, &errb); code != 0 {
		t.Fatalf("dataset exit %d: %s", code, errb.String())
	}
	fromFile, err := sim.New(sim.Config{DatasetFile: path})
	if err != nil {
		t.Fatal(err)
	}
	generated, err := sim.New(sim.Config{Users: 30, Groups: 5, Projects: 4, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	a, b := fromFile.Truth(sim.TruthOptions{Org: true}), generated.Truth(sim.TruthOptions{Org: true})
	if len(a.Entities) != len(b.Entities) || len(a.Relations) != len(b.Relations) || fromFile.Stats().Floor != generated.Stats().Floor {
		t.Errorf("round trip differs: %d/%d vs %d/%d", len(a.Entities), len(a.Relations), len(b.Entities), len(b.Relations))
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"bogus"}, 2},
		{[]string{"help"}, 0},
		{[]string{"serve", "--help"}, 0},
		{[]string{"serve", "--no-such-flag"}, 2},
		{[]string{"serve", "--size", "huge"}, 2},
		{[]string{"serve", "--deny", "fly"}, 2},
		{[]string{"serve", "--issue-required-field", "OPS"}, 2},
		{[]string{"truth", "extra-arg"}, 2},
		{[]string{"truth", "--dataset", "missing.json"}, 2},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), tc.args, &out, &errb); code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.code, errb.String())
		}
	}
	// "serve --help" and "help serve" print serve's own help, on stdout.
	for _, args := range [][]string{{"serve", "--help"}, {"help", "serve"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != 0 {
			t.Errorf("%v: exit %d", args, code)
		}
		for _, flag := range []string{"Usage: jirasim serve", "-addr", "127.0.0.1:8080", "-ready-file", "-fault-reset", "-vanishing-groups", "-no-retry-after", "-short-pages",
			"-post-rate", "-delete-rate", "-fault-after-write-500", "-fault-after-write-reset", "-issue-required-field", "/_sim/issues/{key}/transition"} {
			if !strings.Contains(out.String(), flag) {
				t.Errorf("%v lacks %s:\n%s", args, flag, out.String())
			}
		}
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"help", "truth"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "Usage: jirasim truth") || !strings.Contains(out.String(), "-org") {
		t.Errorf("help truth: exit %d\n%s", code, out.String())
	}
	if code := run(context.Background(), []string{"help", "fly"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `unknown command "fly"`) {
		t.Errorf("help fly: exit %d\n%s", code, errb.String())
	}
}

// TestExampleJobMatchesServeDefault: testdata/jobs/simulator.json reads the
// simulator where "jirasim serve" listens without --addr.
func TestExampleJobMatchesServeDefault(t *testing.T) {
	b, err := os.ReadFile("../../testdata/jobs/simulator.json")
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		AppConfig struct {
			BaseURL    string `json:"baseUrl"`
			GatewayURL string `json:"gatewayUrl"`
		} `json:"appConfig"`
	}
	if err := json.Unmarshal(b, &job); err != nil {
		t.Fatal(err)
	}
	if want := "http://" + DefaultAddr; job.AppConfig.BaseURL != want || job.AppConfig.GatewayURL != want {
		t.Errorf("simulator.json reads %s and %s; jirasim serve listens at %s", job.AppConfig.BaseURL, job.AppConfig.GatewayURL, want)
	}
}
