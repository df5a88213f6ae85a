// Package httpx builds every outbound HTTP client of the project (Jira, the
// Admin API, the upload API, and the SCIM and OAuth clients to come), so
// they share one redirect rule, one connection pool rule and one way of
// counting what goes on the wire.
//
// Redirects: the APIs the project talks to never redirect, so by default a
// client refuses every redirect. The refusal is a *RedirectError naming
// only the origin the server pointed to (scheme://host:port, never a path
// or query): credentials are never sent after a redirect, and a foreign
// answer is never taken as data. SameOrigin follows redirects that stay on
// the request's own origin (for servers that redirect within themselves,
// such as a SCIM server adding a trailing slash) and refuses any other.
package httpx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Redirects says which redirects a client follows.
type Redirects int

// Redirect rules.
const (
	// RefuseRedirects refuses every redirect (the default).
	RefuseRedirects Redirects = iota
	// SameOrigin follows redirects to the request's own scheme, host and
	// port (at most 10), and refuses any other.
	SameOrigin
)

// Options configure a client.
type Options struct {
	// MaxConnsPerHost caps connections (and idle connections) per host;
	// zero means no cap.
	MaxConnsPerHost int
	// DisableCompression turns off transparent gzip.
	DisableCompression bool
	// InsecureSkipVerify turns off TLS certificate checks (logged loudly by
	// the caller, which knows which setting turned it on).
	InsecureSkipVerify bool
	// TLS is a base TLS configuration (tests pass one that trusts their
	// test server's certificate); nil means the system's.
	TLS *tls.Config
	// Redirects is the redirect rule; the zero value refuses them all.
	Redirects Redirects
}

// New builds a client. It has no client-wide timeout: callers give each
// attempt a context deadline.
func New(o Options) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if n := o.MaxConnsPerHost; n > 0 {
		tr.MaxConnsPerHost = n
		tr.MaxIdleConnsPerHost = n
		tr.MaxIdleConns = max(4*n, tr.MaxIdleConns)
	}
	tr.DisableCompression = o.DisableCompression
	if o.TLS != nil {
		tr.TLSClientConfig = o.TLS.Clone()
	}
	if o.InsecureSkipVerify {
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{}
		}
		tr.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // explicit, refused by config unless allowed
	}
	return Harden(&http.Client{Transport: tr}, o.Redirects)
}

// Harden returns a shallow copy of hc (nil: a client on
// http.DefaultTransport) whose redirect rule is r, so a client handed in
// from elsewhere (a test's, a caller's) obeys the project's rule too.
func Harden(hc *http.Client, r Redirects) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	}
	if c.Transport == nil {
		c.Transport = http.DefaultTransport
	}
	c.CheckRedirect = checkRedirect(r)
	return &c
}

func checkRedirect(r Redirects) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		status := 0
		if req.Response != nil {
			status = req.Response.StatusCode
		}
		from := via[0].URL
		e := &RedirectError{Status: status, From: Origin(from), To: Origin(req.URL)}
		if r == SameOrigin && e.From == e.To && len(via) < 10 {
			return nil
		}
		return e
	}
}

// RedirectError is a refused redirect. It names origins only: a Location's
// path and query may hold a one-time token or a signature.
type RedirectError struct {
	// Status is the redirect's HTTP status (0 if unknown).
	Status int
	// From is the origin of the request that was redirected; To is where
	// the server pointed (scheme://host:port).
	From, To string
}

func (e *RedirectError) Error() string {
	where := "to " + e.To
	if e.To == e.From {
		where = "within " + e.To
	}
	s := "the server answered with a redirect"
	if e.Status != 0 {
		s = fmt.Sprintf("the server answered HTTP %d, a redirect", e.Status)
	}
	return s + " " + where + ", which is refused: this API never redirects, so the URL in the configuration (or a proxy in between) is wrong; credentials were not sent there"
}

// IsRedirect reports whether err is (or wraps) a *RedirectError.
func IsRedirect(err error) bool {
	var re *RedirectError
	return errors.As(err, &re)
}

// Origin returns u's origin: scheme://host:port, with the default port
// spelled out, and nothing else (no user info, path or query).
func Origin(u *url.URL) string {
	if u == nil {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	host, port := u.Hostname(), u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	h := strings.ToLower(host)
	if port != "" {
		h = net.JoinHostPort(h, port)
	} else if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return scheme + "://" + h
}

// CleanText makes a server-supplied string safe to log or put in an error
// (after the caller scrubbed credentials from it): control characters are
// dropped, white space is collapsed, invalid UTF-8 is removed, and the
// result is cut to at most max bytes (with "..." when cut).
func CleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			return -1 // C0/C1 controls, line separators, bidi overrides
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if max > 0 && len(s) > max {
		cut := max
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// IsTimeout reports whether err, from a request made under the
// per-attempt context actx, comes from its deadline or a network timeout.
func IsTimeout(actx context.Context, err error) bool {
	if errors.Is(actx.Err(), context.DeadlineExceeded) {
		return true
	}
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

// StripURL drops *url.Error's URL (it holds query values) and keeps the
// cause; callers name the endpoint by its template.
func StripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
