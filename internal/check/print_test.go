package check

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/jira"
)

func TestWriteJSON(t *testing.T) {
	rep := &Report{Site: "https://acme.atlassian.net",
		Identity: jira.Identity{Kind: jira.Scoped, CloudID: "c-1", Myself: jira.Myself{AccountID: "a-1", DisplayName: "Ann"}},
		Results: []Result{
			{Kind: "user", Endpoint: "GET /rest/api/3/users/search", State: OK},
			{Kind: "role", Endpoint: "GET /rest/api/3/role", State: Denied, Missing: ScopeManageConf, Detail: "HTTP 401\n scope does not match"},
		}}
	var b strings.Builder
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OK        bool   `json:"ok"`
		TokenKind string `json:"token_kind"`
		CloudID   string `json:"cloud_id"`
		Account   struct {
			AccountID string `json:"account_id"`
		} `json:"account"`
		Probes []struct{ Kind, Endpoint, Result, Missing, Detail string } `json:"probes"`
	}
	dec := json.NewDecoder(strings.NewReader(b.String()))
	if err := dec.Decode(&doc); err != nil || dec.More() {
		t.Fatalf("not one JSON document (%v): %s", err, b.String())
	}
	if doc.OK || doc.TokenKind != "scoped" || doc.CloudID != "c-1" || doc.Account.AccountID != "a-1" || len(doc.Probes) != 2 {
		t.Fatalf("%+v", doc)
	}
	if p := doc.Probes[1]; p.Kind != "role" || p.Result != "denied" || p.Missing != ScopeManageConf || p.Detail != "HTTP 401 scope does not match" {
		t.Errorf("probe %+v", p)
	}

	b.Reset()
	refused := &Report{Site: "s", AuthErr: errors.New("token is invalid or expired")}
	if err := refused.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"error": "token is invalid or expired"`) || !strings.Contains(b.String(), `"probes": []`) ||
		!strings.Contains(b.String(), `"ok": false`) {
		t.Errorf("refused: %s", b.String())
	}
}
