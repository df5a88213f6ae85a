package scim

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/govextract/jira-extractor/internal/httpx"
	"github.com/govextract/jira-extractor/internal/secret"
)

// authorizer sets a request's credentials. For OAuth 2.0 it keeps the
// current access token, fetches a new one when it has expired or when the
// server refused it (invalidate), and keeps the latest refresh token when
// the server rotates it.
type authorizer struct {
	auth    Auth
	setting string
	timeout time.Duration // of one token request
	hc      *http.Client  // the token endpoint's client

	mu      sync.Mutex
	tok     *oauth2.Token
	refresh string   // the refresh token in use (rotated by the server)
	grants  int      // tokens obtained
	past    []string // the latest access and refresh tokens replaced, still scrubbed
}

// maxPast bounds the replaced tokens kept for scrubbing.
const maxPast = 16

// retire keeps a replaced token for scrubbing (z.mu held).
func (z *authorizer) retire(tok string) {
	if tok == "" {
		return
	}
	z.past = append(z.past, tok)
	if len(z.past) > maxPast {
		z.past = z.past[len(z.past)-maxPast:]
	}
}

func newAuthorizer(o Options, hc *http.Client) *authorizer {
	return &authorizer{auth: o.Auth, setting: o.Setting, timeout: o.Timeout, hc: hc, refresh: o.Auth.RefreshToken.Reveal()}
}

// scrubber removes every credential from text: the configured ones, the
// Basic pair in clear and in base64 (as a server may echo the header),
// and the OAuth access and refresh tokens obtained so far.
func (z *authorizer) scrubber() secret.Scrubber {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.scrubberLocked()
}

func (z *authorizer) scrubberLocked() secret.Scrubber {
	a := z.auth
	vals := []string{a.Token.Reveal(), a.Password.Reveal(), a.ClientSecret.Reveal(), a.RefreshToken.Reveal(), z.refresh}
	if a.Kind == AuthBasic {
		pair := a.Username + ":" + a.Password.Reveal()
		vals = append(vals, pair, base64.StdEncoding.EncodeToString([]byte(pair)))
	}
	if a.ClientID != "" && !a.ClientSecret.IsZero() { // the token request's Basic client authentication
		pair := url.QueryEscape(a.ClientID) + ":" + url.QueryEscape(a.ClientSecret.Reveal())
		vals = append(vals, pair, base64.StdEncoding.EncodeToString([]byte(pair)))
	}
	if z.tok != nil {
		vals = append(vals, z.tok.AccessToken)
	}
	return secret.NewScrubber(append(vals, z.past...)...)
}

// set puts the credentials on req.
func (z *authorizer) set(ctx context.Context, req *http.Request) error {
	switch z.auth.Kind {
	case AuthBearer:
		req.Header.Set("Authorization", "Bearer "+z.auth.Token.Reveal())
	case AuthBasic:
		req.SetBasicAuth(z.auth.Username, z.auth.Password.Reveal())
	case AuthOAuth2:
		tok, err := z.token(ctx)
		if err != nil {
			return err
		}
		tok.SetAuthHeader(req)
	}
	return nil
}

// invalidate forgets the current access token after the server refused
// it; it reports whether a new one can be tried (OAuth 2.0 only).
func (z *authorizer) invalidate() bool {
	if z.auth.Kind != AuthOAuth2 {
		return false
	}
	z.mu.Lock()
	if z.tok != nil {
		z.retire(z.tok.AccessToken)
	}
	z.tok = nil
	z.mu.Unlock()
	return true
}

// Grants is how many access tokens were obtained.
func (z *authorizer) Grants() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.grants
}

// token returns a valid access token, fetching one when needed.
func (z *authorizer) token(ctx context.Context) (*oauth2.Token, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.tok.Valid() {
		return z.tok, nil
	}
	actx, cancel := context.WithTimeout(ctx, z.timeout)
	defer cancel()
	ctx = context.WithValue(actx, oauth2.HTTPClient, z.hc)
	a := z.auth
	var src oauth2.TokenSource
	if a.GrantType == GrantRefreshToken {
		cfg := &oauth2.Config{ClientID: a.ClientID, ClientSecret: a.ClientSecret.Reveal(), Scopes: a.Scopes,
			Endpoint: oauth2.Endpoint{TokenURL: a.TokenURL}}
		src = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: z.refresh})
	} else {
		cfg := &clientcredentials.Config{ClientID: a.ClientID, ClientSecret: a.ClientSecret.Reveal(), Scopes: a.Scopes, TokenURL: a.TokenURL}
		src = cfg.TokenSource(ctx)
	}
	tok, err := src.Token()
	if err != nil {
		return nil, z.tokenError(actx, err)
	}
	if tok.RefreshToken != "" && tok.RefreshToken != z.refresh {
		z.retire(z.refresh)
		z.refresh = tok.RefreshToken
	}
	if z.tok != nil {
		z.retire(z.tok.AccessToken)
	}
	z.tok = tok
	z.grants++
	return tok, nil
}

// tokenError names the setting to fix; the server's text is scrubbed.
// A failure without an answer (a timeout, an untrusted certificate, a
// refused redirect) is a *TransportError naming the token URL's setting.
func (z *authorizer) tokenError(actx context.Context, err error) error {
	var re *oauth2.RetrieveError
	s := z.setting + ".auth"
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		what := s + ".clientId and " + s + ".clientSecret"
		switch re.ErrorCode {
		case "invalid_grant":
			what = s + ".refreshToken"
		case "invalid_scope":
			what = s + ".scope"
		case "unsupported_grant_type":
			what = s + ".grantType"
		}
		return &Error{Status: status, Auth: true, Detail: z.scrubberLocked().Scrub(fmt.Sprintf("the token endpoint %s refused the credentials (%s): check %s",
			s+".tokenUrl", nonEmpty(re.ErrorCode, fmt.Sprintf("HTTP %d", status)), what))}
	}
	f := netFailure{endpoint: "POST " + s + ".tokenUrl", urlSetting: s + ".tokenUrl", setting: z.setting, timeout: z.timeout,
		clean: func(t string) string { return httpx.CleanText(z.scrubberLocked().Scrub(t), 300) }}
	te := f.classify(actx, err)
	te.Detail = "get an OAuth 2.0 token: " + te.Detail
	return te
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// credentialSetting names the settings to check after a 401.
func (z *authorizer) credentialSetting() string {
	s := z.setting + ".auth"
	switch z.auth.Kind {
	case AuthBasic:
		return s + ".username and " + s + ".password"
	case AuthOAuth2:
		return s + ".clientId, " + s + ".clientSecret and " + s + ".scope (the token was refused by the SCIM server)"
	}
	return s + ".token"
}
