package applyjira

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/plan"
	"github.com/govextract/jira-extractor/internal/secret"
)

// TestSuspendUsesTheUsersDirectory: an org with two directories (e.g. the
// managed-accounts directory and an identity provider's), listed on two
// pages, holds the account in the second. Suspend must go to the directory
// that holds the account, not to whichever directory is listed first, and
// the next write for that account goes there directly.
func TestSuspendUsesTheUsersDirectory(t *testing.T) {
	var mu sync.Mutex
	var requests []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/directories") && r.URL.Query().Get("cursor") == "":
			_, _ = w.Write([]byte(`{"data":[{"directoryId":"dir-a","name":"A"}],"links":{"next":"page-2"}}`))
		case r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/directories"):
			_, _ = w.Write([]byte(`{"data":[{"directoryId":"dir-b","name":"B"}],"links":{}}`))
		case r.Method == "POST" && strings.HasPrefix(r.URL.Path, "/v2/orgs/org-1/directories/dir-b/users/acc-1/"):
			_, _ = w.Write([]byte(`{"message":"done"}`))
		default:
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"errors":[{"id":"x","status":"404","code":"NOT_FOUND","title":"Not Found","detail":"User not found in this directory."}]}`))
		}
	}))
	defer srv.Close()
	c, err := jira.New(jira.Options{SiteURL: srv.URL, GatewayURL: srv.URL, AdminURL: srv.URL, SiteName: "acme",
		Email: "me@example.com", APIToken: secret.New("tok"), OrgID: "org-1", OrgAPIKey: secret.New("key"),
		RequestsPerSecond: 1000, Burst: 100})
	if err != nil {
		t.Fatal(err)
	}
	tg := New(c)
	for _, op := range []plan.Op{plan.Suspend, plan.Restore} {
		res, _ := tg.Write(context.Background(), plan.Action{ID: "s1", Op: op, Entity: "user", ToID: "acc-1"})
		if res.HTTPStatus != 200 {
			t.Fatalf("%s got HTTP %d (%s); requests %v", op, res.HTTPStatus, res.Message, requests)
		}
	}
	want := []string{
		"GET /v2/orgs/org-1/directories?", "GET /v2/orgs/org-1/directories?cursor=page-2",
		"POST /v2/orgs/org-1/directories/dir-a/users/acc-1/suspend?", "POST /v2/orgs/org-1/directories/dir-b/users/acc-1/suspend?",
		"POST /v2/orgs/org-1/directories/dir-b/users/acc-1/restore?",
	}
	if !slices.Equal(requests, want) {
		t.Fatalf("requests\n%q\nwant\n%q", requests, want)
	}
	res, _ := tg.Write(context.Background(), plan.Action{ID: "s2", Op: plan.Suspend, Entity: "user", ToID: "acc-9"})
	if res.HTTPStatus != 404 || !strings.Contains(res.Message, "none of the organization's 2 directories") {
		t.Fatalf("an account in no directory: HTTP %d %q", res.HTTPStatus, res.Message)
	}
}
