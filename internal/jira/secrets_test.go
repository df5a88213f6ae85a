package jira

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
)

// Requests at debug level against failing and succeeding servers never put
// the API token, the org API key or base64(email:token) in the logs or in
// error strings, even when the server echoes them back.
func TestNoSecretInLogsOrErrors(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte(testEmail + ":" + testToken))
	secrets := []string{testToken, testOrgKey, basic, testEmail + ":" + testToken}

	echo := func(w http.ResponseWriter, r *http.Request) string {
		return "you sent " + r.Header.Get("Authorization") + " " + testToken
	}
	logs := &simtest.SyncBuffer{}
	var errs []string
	handlers := []func(w http.ResponseWriter, r *http.Request, n int){
		func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, myselfJSON) },
		func(w http.ResponseWriter, r *http.Request, n int) { jiraError(w, 401, echo(w, r)) },
		func(w http.ResponseWriter, r *http.Request, n int) { jiraError(w, 403, echo(w, r)) },
		func(w http.ResponseWriter, r *http.Request, n int) { jiraError(w, 500, echo(w, r)) },
		func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Retry-After", "0")
			jiraError(w, 429, echo(w, r))
		},
		func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(400)
			_, _ = fmt.Fprint(w, echo(w, r))
		},
		func(w http.ResponseWriter, r *http.Request, n int) {
			writeJSON(w, 401, map[string]any{"errors": []any{map[string]any{"title": "bad", "detail": echo(w, r)}}})
		},
	}
	for _, h := range handlers {
		srv, _ := serve(t, h)
		c := newClient(t, srv.URL, clientOpts{retries: 1, logBuf: logs})
		if _, err := c.Detect(context.Background()); err != nil {
			errs = append(errs, err.Error(), fmt.Sprintf("%+v %#v", err, err))
		}
		if _, err := c.UsersPage(context.Background(), 0, 10); err != nil {
			errs = append(errs, err.Error())
		}
		if _, _, err := c.OrgUsersPage(context.Background(), ""); err != nil {
			errs = append(errs, err.Error())
		}
		errs = append(errs, c.String(), fmt.Sprintf("%v", c.Identity()))
	}
	out := logs.String() + "\n" + strings.Join(errs, "\n")
	if !strings.Contains(out, "jira request") || !strings.Contains(out, "status=500") {
		t.Fatalf("debug logs missing:\n%s", out)
	}
	if !strings.Contains(out, "you sent") {
		t.Fatalf("server messages missing from errors:\n%s", out)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Fatalf("secret %q leaked:\n%s", s[:4]+"...", out)
		}
	}
}
