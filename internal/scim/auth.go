package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/govextract/jira-extractor/internal/secret"
)

// authorizer sets a request's credentials. For OAuth 2.0 it keeps the
// current access token, fetches a new one when it has expired or when the
// server refused it (invalidate), and keeps the latest refresh token when
// the server rotates it.
type authorizer struct {
	auth    Auth
	setting string
	hc      *http.Client // the token endpoint's client

	mu      sync.Mutex
	tok     *oauth2.Token
	refresh string // the refresh token in use (rotated by the server)
	grants  int    // tokens obtained
}

func newAuthorizer(a Auth, setting string, hc *http.Client) *authorizer {
	return &authorizer{auth: a, setting: setting, hc: hc, refresh: a.RefreshToken.Reveal()}
}

// scrubber removes every credential of a from text.
func (z *authorizer) scrubber() secret.Scrubber {
	a := z.auth
	return secret.NewScrubber(a.Token.Reveal(), a.Password.Reveal(), a.ClientSecret.Reveal(), a.RefreshToken.Reveal())
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
	ctx = context.WithValue(ctx, oauth2.HTTPClient, z.hc)
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
		return nil, z.tokenError(err)
	}
	if tok.RefreshToken != "" {
		z.refresh = tok.RefreshToken
	}
	z.tok = tok
	z.grants++
	return tok, nil
}

// tokenError names the setting to fix; the server's text is scrubbed.
func (z *authorizer) tokenError(err error) error {
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
		return &Error{Status: status, Auth: true, Detail: z.scrubber().Scrub(fmt.Sprintf("the token endpoint %s refused the credentials (%s): check %s",
			s+".tokenUrl", nonEmpty(re.ErrorCode, fmt.Sprintf("HTTP %d", status)), what))}
	}
	return fmt.Errorf("get an OAuth 2.0 token from %s.tokenUrl: %s", s, z.scrubber().Scrub(err.Error()))
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
