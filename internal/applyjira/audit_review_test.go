package applyjira

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/plan"
	"github.com/govextract/jira-extractor/internal/secret"
)

// TestAuditReview_SuspendUsesTheUsersDirectory: an org with two
// directories (e.g. the managed-accounts directory and an identity
// provider's) holds the account in the second. Suspend must go to the
// directory that holds the account, not to whichever directory is listed
// first.
func TestAuditReview_SuspendUsesTheUsersDirectory(t *testing.T) {
	var mu sync.Mutex
	var posted []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/directories"):
			_, _ = w.Write([]byte(`{"data":[{"directoryId":"dir-a","name":"A"},{"directoryId":"dir-b","name":"B"}],"links":{}}`))
		case r.Method == "POST" && strings.Contains(r.URL.Path, "/directories/dir-b/users/acc-1/suspend"):
			mu.Lock()
			posted = append(posted, r.URL.Path)
			mu.Unlock()
			_, _ = w.Write([]byte(`{"message":"suspended"}`))
		case r.Method == "POST":
			mu.Lock()
			posted = append(posted, r.URL.Path)
			mu.Unlock()
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"errors":[{"id":"x","status":"404","code":"NOT_FOUND","title":"Not Found","detail":"User not found in this directory."}]}`))
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	c, err := jira.New(jira.Options{SiteURL: srv.URL, GatewayURL: srv.URL, AdminURL: srv.URL, SiteName: "acme",
		Email: "me@example.com", APIToken: secret.New("tok"), OrgID: "org-1", OrgAPIKey: secret.New("key"),
		RequestsPerSecond: 1000, Burst: 100})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := New(c).Write(context.Background(), plan.Action{ID: "s1", Op: plan.Suspend, Entity: "user", ToID: "acc-1"})
	if res.HTTPStatus != 200 {
		t.Fatalf("suspend got HTTP %d (%s); requests %v: it went to the first directory, not the account's", res.HTTPStatus, res.Message, posted)
	}
}
