package uploadtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func post(t *testing.T, s *Server, path, id, secret string) (int, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+path, nil)
	req.Header.Set("X-Api-Key-ID", id)
	req.Header.Set("X-Api-Key-Secret", secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func put(t *testing.T, url, contentType, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const entHeader = "App,Name,Entity Type,Source System,Source ID,Source Type,Metadata Version,Metadata\n"
const relHeader = "App,Parent Entity Source ID,Parent Entity Type,Entity Source ID,Entity Type,Source System,Metadata Version,Metadata\n"

func uploadURL(t *testing.T, s *Server, path string) string {
	t.Helper()
	code, body := post(t, s, path, "id", "secret")
	if code != 200 || body["url"] == "" {
		t.Fatalf("upload-url: %d %v", code, body)
	}
	return body["url"]
}

func TestServerProtocol(t *testing.T) {
	s := New(Options{KeyID: "id", KeySecret: "secret"})
	defer s.Close()

	if code, body := post(t, s, "/v0/entities/upload-url", "id", "nope"); code != 401 || body["error"] == "" {
		t.Fatalf("wrong key: %d %v", code, body)
	}
	u := uploadURL(t, s, "/v0/entities/upload-url")
	if code, _ := put(t, u, "application/json", entHeader); code != http.StatusUnsupportedMediaType {
		t.Fatalf("json content type: %d", code)
	}
	if code, msg := put(t, u, "text/csv", "App,Name\nacme,x\n"); code != 400 || !strings.Contains(msg, "header") {
		t.Fatalf("bad header: %d %s", code, msg)
	}
	if code, msg := put(t, u, "text/csv", entHeader+"acme,Ann,person,jira,a1,user,1,{}\n"); code != 400 || !strings.Contains(msg, "Entity Type") {
		t.Fatalf("bad entity type: %d %s", code, msg)
	}
	if code, msg := put(t, u, "text/csv", entHeader+"acme,Ann,identity,jira,a1,user,2,{}\n"); code != 400 || !strings.Contains(msg, "Metadata Version") {
		t.Fatalf("bad version: %d %s", code, msg)
	}
	if code, msg := put(t, u, "text/csv", entHeader+"acme,Ann,identity,jira,a1,user,1,[]\n"); code != 400 || !strings.Contains(msg, "JSON object") {
		t.Fatalf("bad metadata: %d %s", code, msg)
	}
	ok := entHeader + "acme,Ann,identity,jira,a1,user,1,{}\nacme,G,connection,jira,g1,group,1,{}\n"
	if code, msg := put(t, u, "text/csv", ok); code != 200 {
		t.Fatalf("good CSV: %d %s", code, msg)
	}
	if code, _ := put(t, u, "text/csv", ok); code != 404 {
		t.Fatalf("a used upload URL was accepted again: %d", code)
	}
	if len(s.Entities()) != 2 || s.Entities()[0].SourceID != "a1" {
		t.Fatalf("stored %v", s.Entities())
	}

	r := uploadURL(t, s, "/v0/entity-relations/upload-url")
	code, msg := put(t, r, "text/csv", relHeader+"acme,g1,group,a1,user,jira,1,{}\nacme,g2,group,a1,user,jira,1,{}\n")
	if code != 400 || !strings.Contains(msg, "dangling reference: parent group g2") {
		t.Fatalf("dangling: %d %s", code, msg)
	}
	// A type mismatch is dangling too: a1 is a user, not a group.
	code, msg = put(t, r, "text/csv", relHeader+"acme,a1,group,a1,user,jira,1,{}\n")
	if code != 400 || !strings.Contains(msg, "group a1") {
		t.Fatalf("type mismatch: %d %s", code, msg)
	}
	if code, msg := put(t, r, "text/csv", relHeader+"acme,g1,group,a1,user,jira,1,{}\n"); code != 200 {
		t.Fatalf("good relation: %d %s", code, msg)
	}
	if len(s.Relations()) != 1 || s.Relations()[0].ParentSourceID != "g1" {
		t.Fatalf("relations %v", s.Relations())
	}
}

func TestServerFaults(t *testing.T) {
	s := New(Options{KeyID: "id", KeySecret: "secret", RetryAfter: "3"})
	defer s.Close()
	s.DropConnection(1)
	s.Fail5xx(1)
	s.Fail429(1)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v0/entities/upload-url", nil)
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("dropped connection answered")
	}
	if code, _ := post(t, s, "/v0/entities/upload-url", "id", "secret"); code != 503 {
		t.Fatalf("5xx: %d", code)
	}
	req, _ = http.NewRequest(http.MethodPost, s.URL+"/v0/entities/upload-url", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
		t.Fatalf("429: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if code, _ := post(t, s, "/v0/entities/upload-url", "id", "secret"); code != 200 {
		t.Fatalf("after the faults: %d", code)
	}
	if s.Requests() != 4 {
		t.Fatalf("requests %d", s.Requests())
	}
}
