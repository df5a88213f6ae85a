package scim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/govextract/jira-extractor/internal/httpx"
)

// TransportError is a request that got no complete HTTP answer: a
// timeout, an untrusted TLS certificate, a refused redirect, a dropped
// connection. Its text names the setting to fix and holds no credential.
type TransportError struct {
	// Endpoint is "METHOD /path-template", or the token endpoint's setting.
	Endpoint string
	Detail   string
	// Timeout marks an attempt that ran out of the configured timeout.
	Timeout bool
	// Final marks a failure that sending again cannot fix (an untrusted
	// certificate, a refused redirect).
	Final bool
	// NotSent marks a request that never reached the server (the TLS
	// handshake failed).
	NotSent bool
	err     error
}

func (e *TransportError) Error() string { return "scim: " + e.Endpoint + ": " + e.Detail }

// Unwrap returns the cause (a *httpx.RedirectError, a context error...).
func (e *TransportError) Unwrap() error { return e.err }

// IsFinal reports whether err is a transport failure that sending again
// cannot fix: an untrusted certificate or a refused redirect.
func IsFinal(err error) bool {
	var te *TransportError
	return errors.As(err, &te) && te.Final
}

// netFailure describes where a transport failure happened, for its
// message: the endpoint, the setting naming the URL, and the timeout.
type netFailure struct {
	endpoint, urlSetting, setting string
	timeout                       time.Duration
	clean                         func(string) string
}

// classify turns err, from sending a request under the per-attempt
// context actx or reading its answer, into a *TransportError.
func (f netFailure) classify(actx context.Context, err error) *TransportError {
	e := &TransportError{Endpoint: f.endpoint, err: err}
	var certErr *tls.CertificateVerificationError
	var redir *httpx.RedirectError
	switch {
	case httpx.IsTimeout(actx, err):
		e.Timeout = true
		e.Detail = fmt.Sprintf("no complete answer within %s (%s.timeout)", f.timeout, f.setting)
	case errors.As(err, &redir):
		r := *redir
		r.To = f.clean(r.To)
		e.Final, e.err, e.Detail = true, &r, r.Error()
	case errors.As(err, &certErr):
		e.Final, e.NotSent = true, true
		e.Detail = fmt.Sprintf("the server's TLS certificate is not trusted (%s): check %s; for a test server with a self-signed certificate set %s.insecureSkipVerify: true and start the command with --allow-insecure",
			f.clean(httpx.StripURL(err).Error()), f.urlSetting, f.setting)
	default:
		e.Detail = f.clean(httpx.StripURL(err).Error())
	}
	return e
}

// netFailure returns the context of a failure of a request to endpoint.
func (c *Client) netFailure(endpoint string) netFailure {
	return netFailure{endpoint: endpoint, urlSetting: c.o.Setting + ".baseUrl", setting: c.o.Setting, timeout: c.o.Timeout,
		clean: func(s string) string { return httpx.CleanText(c.auth.scrubber().Scrub(s), 300) }}
}

// poolSize is the connections per host: maxConnections when set, else
// enough for the concurrency (at least 10), as for appConfig. An explicit
// pool below the concurrency caps the requests in flight: a warning.
func poolSize(o Options) int {
	if n := o.MaxConnections; n > 0 {
		if n < o.Concurrency {
			o.Logger.Warn(o.Setting+".maxConnections is below "+o.Setting+".concurrency: at most maxConnections requests are in flight; raise maxConnections or leave it unset to follow the concurrency",
				"max_connections", n, "concurrency", o.Concurrency)
		}
		return n
	}
	return max(o.Concurrency, DefaultMaxConnections)
}

// newHTTPClient builds the client from the knobs through httpx (same-
// origin redirects only): the pool, compression and TLS checks, with a
// loud warning when the checks are off.
func newHTTPClient(o Options) *http.Client {
	if o.InsecureSkipVerify {
		o.Logger.LogAttrs(context.Background(), slog.LevelWarn,
			"TLS CERTIFICATE VERIFICATION IS OFF ("+o.Setting+".insecureSkipVerify): traffic to the SCIM directory can be intercepted; use only against a test server",
			slog.String("base", o.BaseURL))
	}
	return httpx.New(httpx.Options{MaxConnsPerHost: poolSize(o), DisableCompression: o.DisableCompression,
		InsecureSkipVerify: o.InsecureSkipVerify, Redirects: httpx.SameOrigin})
}
