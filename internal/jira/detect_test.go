package jira

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
)

const cloudID = "11111111-2222-3333-4444-555555555555"

var myselfJSON = map[string]any{"accountId": "acc-me", "accountType": "atlassian", "displayName": "Me"}

// detectServer answers the detection path: site myself with siteStatus,
// tenant_info, and the gateway myself with gw.
func detectServer(t *testing.T, siteAnswer, gwAnswer func(w http.ResponseWriter)) (*Client, *recorder) {
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Path {
		case "/rest/api/3/myself":
			siteAnswer(w)
		case "/_edge/tenant_info":
			if r.Header.Get("Authorization") != "" {
				t.Errorf("tenant_info was sent credentials")
			}
			writeJSON(w, 200, map[string]string{"cloudId": cloudID})
		case "/ex/jira/" + cloudID + "/rest/api/3/myself":
			gwAnswer(w)
		default:
			http.NotFound(w, r)
		}
	})
	return newClient(t, srv.URL, clientOpts{retries: 3}), rec
}

func ok200(w http.ResponseWriter) { writeJSON(w, 200, myselfJSON) }
func unauthorizedJSON(w http.ResponseWriter) {
	writeJSON(w, 401, map[string]any{"message": "Client must be authenticated to access this resource.", "status-code": 401})
}
func scopeMismatch(w http.ResponseWriter) {
	writeJSON(w, 401, map[string]any{"code": 401, "message": "Unauthorized; scope does not match"})
}

func TestDetectUnscoped(t *testing.T) {
	c, rec := detectServer(t, ok200, func(w http.ResponseWriter) { t.Error("gateway called for an unscoped token") })
	id, err := c.Detect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if id.Kind != Unscoped || id.Myself.AccountID != "acc-me" || id.APIBase != c.opts.SiteURL {
		t.Fatalf("identity %+v", id)
	}
	if c.Identity() != id {
		t.Fatal("Identity() differs from Detect's result")
	}
	h := rec.all()
	if len(h) != 1 {
		t.Fatalf("%d requests, want 1", len(h))
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(testEmail+":"+testToken))
	if h[0].auth != want {
		t.Fatalf("Authorization %q", h[0].auth)
	}
	if h[0].ua != "jira-extractor/test" {
		t.Fatalf("User-Agent %q", h[0].ua)
	}
}

func TestDetectScopedSetsGatewayBase(t *testing.T) {
	c, rec := detectServer(t, unauthorizedJSON, ok200)
	id, err := c.Detect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantBase := c.opts.GatewayURL + "/ex/jira/" + cloudID
	if id.Kind != Scoped || id.CloudID != cloudID || id.APIBase != wantBase {
		t.Fatalf("identity %+v", id)
	}
	// Later calls go to the gateway.
	_, _ = c.ServerInfo(context.Background())
	last := rec.all()[len(rec.all())-1]
	if last.path != "/ex/jira/"+cloudID+"/rest/api/3/serverInfo" {
		t.Fatalf("serverInfo went to %s", last.path)
	}
}

func TestDetectMissingScope(t *testing.T) {
	c, rec := detectServer(t, unauthorizedJSON, scopeMismatch)
	_, err := c.Detect(context.Background())
	var ae *AuthError
	if !errors.As(err, &ae) || !ae.MissingScope {
		t.Fatalf("err = %v, want AuthError with MissingScope", err)
	}
	if ae.Scope != "read:jira-user" || !strings.Contains(err.Error(), "read:jira-user") {
		t.Fatalf("error does not name the scope: %v (Scope %q)", err, ae.Scope)
	}
	if n := len(rec.all()); n != 3 {
		t.Fatalf("%d requests, want 3 (no retries)", n)
	}
}

func TestDetectInvalidTokenAnyBodyFormatNoRetry(t *testing.T) {
	bodies := map[string]func(w http.ResponseWriter){
		"json": unauthorizedJSON,
		"xml": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(401)
			_, _ = w.Write([]byte(`<?xml version="1.0"?><status><status-code>401</status-code><message>Client must be authenticated to access this resource.</message></status>`))
		},
		"plain": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(401)
			_, _ = w.Write([]byte("Unauthorized"))
		},
		"empty": func(w http.ResponseWriter) { w.WriteHeader(401) },
		"garbage": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			_, _ = w.Write([]byte(`{"message": "trunc`))
		},
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			c, rec := detectServer(t, body, body)
			_, err := c.Detect(context.Background())
			var ae *AuthError
			if !errors.As(err, &ae) || ae.MissingScope {
				t.Fatalf("err = %v, want AuthError without MissingScope", err)
			}
			if !strings.Contains(err.Error(), "token is invalid or expired") {
				t.Fatalf("error %q", err)
			}
			if n := len(rec.all()); n != 3 {
				t.Fatalf("%d requests, want 3 (site, tenant_info, gateway; no retries)", n)
			}
			if _, retries, _ := c.Counts(); retries != 0 {
				t.Fatalf("%d retries", retries)
			}
		})
	}
}

func TestDetectPasswordRefused(t *testing.T) {
	pw := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(401)
		_, _ = w.Write([]byte("Basic authentication with passwords is deprecated. For more information, see: https://developer.atlassian.com/cloud/confluence/deprecation-notice-basic-auth/"))
	}
	c, _ := detectServer(t, pw, unauthorizedJSON)
	_, err := c.Detect(context.Background())
	if !IsAuth(err) || !strings.Contains(err.Error(), "not a password") {
		t.Fatalf("err = %v", err)
	}
}

func TestDetectUnknownSiteHTML404(t *testing.T) {
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(404)
		_, _ = w.Write([]byte("<!DOCTYPE html><html><body><h1>Your Atlassian Cloud site is currently unavailable.</h1></body></html>"))
	})
	c := newClient(t, srv.URL, clientOpts{retries: 3})
	_, err := c.Detect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "site answered 404 with an HTML page: is siteName right?") {
		t.Fatalf("err = %v", err)
	}
	if IsNotFound(err) {
		t.Fatal("an HTML 404 counts as a Jira not-found")
	}
	if n := len(rec.all()); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

func TestDetectTenantInfoFails(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.URL.Path == "/rest/api/3/myself" {
			unauthorizedJSON(w)
			return
		}
		jiraError(w, 404, "nope")
	})
	c := newClient(t, srv.URL, clientOpts{retries: 3})
	_, err := c.Detect(context.Background())
	if !IsAuth(err) || !strings.Contains(err.Error(), "cloud id") {
		t.Fatalf("err = %v", err)
	}
}

func TestDetectRetriesServerErrorsThenSucceeds(t *testing.T) {
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n < 3 {
			jiraError(w, 502, "bad gateway")
			return
		}
		ok200(w)
	})
	c := newClient(t, srv.URL, clientOpts{retries: 3})
	if _, err := c.Detect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.all()); n != 3 {
		t.Fatalf("%d requests", n)
	}
}
