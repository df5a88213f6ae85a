package simtest

import (
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
)

// StartSim creates a simulator from cfg, serves it on 127.0.0.1 and closes
// it when the test ends; it returns the server and its base URL. Any error
// fails the test at once.
func StartSim(tb testing.TB, cfg sim.Config) (*sim.Server, string) {
	tb.Helper()
	srv, err := sim.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	url, err := srv.Start()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = srv.Close() })
	return srv, url
}

// JobMap is the job document that reads the simulator at url with its
// default credentials (sim.DefaultEmail:sim.DefaultToken) as site "sim",
// with url as both site and gateway, and writes to dest. Each key of
// extra is either "section.key", which sets key in that section (creating
// it: "appConfig.maxRetries", "output.format", "upload.app"), or a
// top-level key, which replaces the whole value ("upload").
func JobMap(url, dest string, extra map[string]any) map[string]any {
	job := map[string]any{
		"appConfig": map[string]any{"token": sim.DefaultEmail + ":" + sim.DefaultToken, "siteName": "sim", "baseUrl": url, "gatewayUrl": url},
		"output":    map[string]any{"destination": dest},
	}
	for k, v := range extra {
		section, key, nested := strings.Cut(k, ".")
		if !nested {
			job[k] = v
			continue
		}
		m, ok := job[section].(map[string]any)
		if !ok {
			m = map[string]any{}
			job[section] = m
		}
		m[key] = v
	}
	return job
}

// Job is JobMap as the JSON of a job file.
func Job(tb testing.TB, url, dest string, extra map[string]any) []byte {
	tb.Helper()
	b, err := json.Marshal(JobMap(url, dest, extra))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// StartSimTLS is StartSim over HTTPS with httptest's self-signed
// certificate, which no client trusts by default: the TLS endpoint that
// tests of a client's TLS settings read. It returns the server and its
// https base URL.
func StartSimTLS(tb testing.TB, cfg sim.Config) (*sim.Server, string) {
	tb.Helper()
	srv, err := sim.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	ts.StartTLS()
	tb.Cleanup(ts.Close)
	return srv, ts.URL
}
