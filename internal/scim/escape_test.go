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

// TestRemoveMemberPathEscapesBackslash: the remove path
// members[value eq "ID"] carries a SCIM (JSON) string; an id with a
// backslash must be escaped, or the server reads another id or refuses.
func TestRemoveMemberPathEscapesBackslash(t *testing.T) {
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

// TestUserNameFilterIsNotHTMLEscaped: the userName filter is a SCIM
// string; a name with <, > or & goes as it is (a server reading "\u0026"
// literally would find no one), quotes and backslashes escaped.
func TestUserNameFilterIsNotHTMLEscaped(t *testing.T) {
	var filter string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := r.URL.Query().Get("filter"); f != "" {
			filter = f
		}
		w.Header().Set("Content-Type", "application/scim+json")
		_, _ = w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}`))
	}))
	defer srv.Close()
	c, err := scim.New(scim.Options{BaseURL: srv.URL, Version: 2, Auth: scim.Auth{Kind: scim.AuthBearer, Token: secret.New("k")},
		RequestsPerSecond: 1000, Burst: 100})
	if err != nil {
		t.Fatal(err)
	}
	name := `R&D <ops> "x"\y`
	if _, err := c.UsersByUserName(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	want := `userName eq "R&D <ops> \"x\"\\y"`
	if filter != want {
		t.Fatalf("filter %q, want %q", filter, want)
	}
}
