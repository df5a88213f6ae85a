package applyjira

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/plan"
	"github.com/govextract/jira-extractor/internal/secret"
)

// TestCreatedUserWithPrivateEmailReadsBack: a site keeps some emails
// private, so a user made by a create cannot be found by its email. The
// read-back must find it through the accountId the create answered with,
// or every such create would end "failed".
func TestCreatedUserWithPrivateEmailReadsBack(t *testing.T) {
	created := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "POST" && r.URL.Path == "/rest/api/3/user":
			created = true
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"accountId":"acc-7","accountType":"atlassian","active":true,"displayName":"Pat"}`))
		case r.Method == "GET" && (r.URL.Path == "/rest/api/3/user/search" || r.URL.Path == "/rest/api/3/users/search"):
			if created && r.URL.Query().Get("startAt") != "" && r.URL.Query().Get("startAt") != "0" {
				_, _ = w.Write([]byte(`[]`))
				return
			}
			if created { // the new user, without its (private) email
				_, _ = w.Write([]byte(`[{"accountId":"acc-7","accountType":"atlassian","active":true,"displayName":"Pat"}]`))
				return
			}
			_, _ = w.Write([]byte(`[]`))
		case r.Method == "GET" && r.URL.Path == "/rest/api/3/user" && created && r.URL.Query().Get("accountId") == "acc-7":
			_, _ = w.Write([]byte(`{"accountId":"acc-7","accountType":"atlassian","active":true,"displayName":"Pat"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"errorMessages":["not found"],"errors":{}}`))
		}
	}))
	defer srv.Close()
	c, err := jira.New(jira.Options{SiteURL: srv.URL, GatewayURL: srv.URL, SiteName: "acme",
		Email: "me@example.com", APIToken: secret.New("tok"), RequestsPerSecond: 1000, Burst: 100})
	if err != nil {
		t.Fatal(err)
	}
	tg := New(c)
	ctx := context.Background()
	a := plan.Action{ID: "c1", Op: plan.Create, Entity: "user", Email: "pat+ops@example.com"}
	if st, err := tg.Read(ctx, a); err != nil || st.Has {
		t.Fatalf("before: %+v, %v; want absent", st, err)
	}
	if res, _ := tg.Write(ctx, a); res.HTTPStatus != http.StatusCreated {
		t.Fatalf("create: HTTP %d %q", res.HTTPStatus, res.Message)
	}
	st, err := tg.Read(ctx, a)
	if err != nil || !st.Has || st.Detail != "account acc-7" {
		t.Fatalf("read-back: %+v, %v; want the created account acc-7", st, err)
	}
}
