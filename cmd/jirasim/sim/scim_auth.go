package sim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// scimServer is the SCIM side of a Server: its configuration, directory
// (guarded by Server.siteMu) and OAuth state (its own lock).
type scimServer struct {
	cfg  SCIMConfig
	dir  *scimDir
	auth scimAuth
}

func newSCIMServer(cfg SCIMConfig, st *site) *scimServer {
	cfg = cfg.withDefaults()
	return &scimServer{cfg: cfg, dir: buildSCIM(st),
		auth: scimAuth{tokens: map[string]*scimToken{}, refresh: cfg.RefreshToken, grants: map[string]int{}}}
}

// SCIMConfig returns the SCIM directory's effective configuration.
func (s *Server) SCIMConfig() SCIMConfig { return s.scim.cfg }

// SCIMTokenGrants reports how many access tokens the OAuth token endpoint
// issued per grant type.
func (s *Server) SCIMTokenGrants() map[string]int {
	a := &s.scim.auth
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]int, len(a.grants))
	for k, v := range a.grants {
		out[k] = v
	}
	return out
}

// authSCIM accepts the directory API key, a live OAuth access token (both
// Bearer) or the Basic credentials; anything else is a SCIM 401.
func (s *Server) authSCIM(c *call) bool {
	if d := c.r.PathValue("directoryId"); d != s.site.directoryID {
		c.scimError(http.StatusNotFound, "", "Directory not found.")
		return false
	}
	cfg := &s.scim.cfg
	if u, p, ok := c.r.BasicAuth(); ok {
		if eq(u, cfg.BasicUser) && eq(p, cfg.BasicPassword) {
			return true
		}
		c.scimError(http.StatusUnauthorized, "", "The credentials are invalid.")
		return false
	}
	tok, ok := strings.CutPrefix(c.r.Header.Get("Authorization"), "Bearer ")
	if ok && eq(tok, cfg.Token) {
		return true
	}
	if ok && s.scim.useToken(tok, s) {
		return true
	}
	c.w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	c.scimError(http.StatusUnauthorized, "", "The API key or access token is missing, invalid or expired.")
	return false
}

// useToken counts one use of an issued access token; false when it is
// unknown, expired or used up.
func (sc *scimServer) useToken(tok string, s *Server) bool {
	a := &sc.auth
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.tokens[tok]
	if t == nil || !s.now().Before(t.expires) || (sc.cfg.TokenMaxUses > 0 && t.uses >= sc.cfg.TokenMaxUses) {
		return false
	}
	t.uses++
	return true
}

// hOAuthToken: POST /oauth/token, form-encoded, client authentication by
// Basic header or client_id/client_secret in the body; grant_type
// client_credentials, or refresh_token (the refresh token rotates).
func (s *Server) hOAuthToken(c *call) {
	fail := func(status int, code, desc string) {
		b, _ := json.Marshal(map[string]string{"error": code, "error_description": desc})
		c.json(status, b)
	}
	if err := c.r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, "invalid_request", "The body is not form-encoded.")
		return
	}
	cfg := &s.scim.cfg
	id, secret, ok := c.r.BasicAuth()
	if !ok {
		id, secret = c.r.PostForm.Get("client_id"), c.r.PostForm.Get("client_secret")
	}
	if !eq(id, cfg.ClientID) || !eq(secret, cfg.ClientSecret) {
		fail(http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		return
	}
	a := &s.scim.auth
	a.mu.Lock()
	defer a.mu.Unlock()
	grant := c.r.PostForm.Get("grant_type")
	resp := map[string]any{"token_type": "Bearer", "expires_in": int(cfg.TokenTTL.Seconds())}
	switch grant {
	case "client_credentials":
	case "refresh_token":
		if rt := c.r.PostForm.Get("refresh_token"); rt == "" || !eq(rt, a.refresh) {
			fail(http.StatusBadRequest, "invalid_grant", "The refresh token is invalid, expired or already used.")
			return
		}
		a.seq++
		a.refresh = "sim-scim-refresh-" + strconv.Itoa(a.seq)
		resp["refresh_token"] = a.refresh
	default:
		fail(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials or refresh_token.")
		return
	}
	a.seq++
	tok := "sim-scim-access-" + strconv.Itoa(a.seq) + "-" + uuidOf("scim-token-"+strconv.Itoa(a.seq))
	a.tokens[tok] = &scimToken{expires: s.now().Add(cfg.TokenTTL)}
	a.grants[grant]++
	resp["access_token"] = tok
	if sc := c.r.PostForm.Get("scope"); sc != "" {
		resp["scope"] = sc
	}
	b, _ := json.Marshal(resp)
	c.w.Header().Set("Cache-Control", "no-store")
	c.json(http.StatusOK, b)
}

// SCIMBaseURL is the SCIM base of the organization's directory under the
// server's URL url: version 2 (Atlassian's) or 1 (SCIM 1.1).
func (s *Server) SCIMBaseURL(url string, version int) string {
	p := "/scim/directory/"
	if version == 1 {
		p = "/scim/v1/directory/"
	}
	return strings.TrimRight(url, "/") + p + s.site.directoryID
}
