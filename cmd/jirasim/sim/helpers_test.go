package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startSim builds and starts a server for one test.
func startSim(t testing.TB, cfg Config) (*Server, string) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	url, err := s.Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, url
}

// client is a tiny HTTP client that counts its requests.
type client struct {
	t            testing.TB
	base         string
	email, token string
	bearer       string
	hc           *http.Client
	requests     int
}

func newClient(t testing.TB, base string) *client {
	return &client{t: t, base: base, email: DefaultEmail, token: DefaultToken, hc: &http.Client{Timeout: 20 * time.Second}}
}

func (c *client) with(token string) *client {
	cp := *c
	cp.token = token
	return &cp
}

// do GETs path (relative to base, or a full URL) and returns status, headers, body.
func (c *client) do(path string) (int, http.Header, []byte) {
	c.t.Helper()
	status, h, b, err := c.try(path)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	return status, h, b
}

func (c *client) try(path string) (int, http.Header, []byte, error) {
	url := path
	if !strings.HasPrefix(path, "http") {
		url = c.base + path
	}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	} else if c.email != "" || c.token != "" {
		req.SetBasicAuth(c.email, c.token)
	}
	c.requests++
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

// getJSON GETs path, requires 200 and decodes into v.
func (c *client) getJSON(path string, v any) {
	c.t.Helper()
	status, _, b := c.do(path)
	if status != http.StatusOK {
		c.t.Fatalf("GET %s: status %d: %.300s", path, status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		c.t.Fatalf("GET %s: decode: %v: %.300s", path, err, b)
	}
}

func decodeMap(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %.200s: %v", b, err)
	}
	return m
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
