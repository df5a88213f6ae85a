package scim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/scim"
	"github.com/govextract/jira-extractor/internal/secret"
)

// TestAuditReview_RemoveMemberPathEscapesBackslash: the remove path
// members[value eq "ID"] carries a SCIM (JSON) string; an id with a
// backslash must be escaped, or the server reads another id or refuses.
func TestAuditReview_RemoveMemberPathEscapesBackslash(t *testing.T) {
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Operations []struct{ Path string } `json:"Operations"`
		}
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &b)
		if len(b.Operations) > 0 {
			path = b.Operations[0].Path
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c, err := scim.New(scim.Options{BaseURL: srv.URL, Version: 2, Auth: scim.Auth{Kind: scim.AuthBearer, Token: secret.New("k")},
		RequestsPerSecond: 1000, Burst: 100})
	if err != nil {
		t.Fatal(err)
	}
	id := `dom\user"x`
	c.SetMember(context.Background(), "g1", id, false)
	v := strings.TrimSuffix(strings.TrimPrefix(path, "members[value eq "), "]")
	var got string
	if err := json.Unmarshal([]byte(v), &got); err != nil || got != id {
		t.Fatalf("path %q names %q (err %v), want the id %q", path, got, err, id)
	}
}
