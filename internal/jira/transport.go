package jira

import (
	"log/slog"
	"net/http"

	"github.com/govextract/jira-extractor/internal/httpx"
)

// poolSize is the connections per host the client keeps: appConfig's
// maxConnections when set (a zero means unset), else enough for the
// concurrency (and never fewer than the historical default). An explicit
// pool smaller than the concurrency caps the requests in flight, which is
// worth a warning.
func poolSize(a Options, conc int, log *slog.Logger) int {
	if n := a.MaxConnections; n > 0 {
		if n < conc {
			log.Warn("appConfig.maxConnections is below appConfig.concurrency: at most maxConnections requests are in flight per host; raise maxConnections or leave it unset to follow the concurrency",
				"max_connections", n, "concurrency", conc)
		}
		return n
	}
	return max(conc, DefaultMaxConnections)
}

// newHTTPClient builds the HTTP client from appConfig through httpx (which
// refuses redirects): the pool follows the concurrency (poolSize),
// DisableCompression turns off gzip, InsecureSkipVerify turns off TLS
// checks (with a loud warning). There is no client-wide timeout: each
// attempt gets its own context deadline.
func newHTTPClient(a Options, conc int, log *slog.Logger) *http.Client {
	if a.InsecureSkipVerify {
		log.Warn("TLS CERTIFICATE VERIFICATION IS OFF (appConfig.insecureSkipVerify): traffic to Jira can be intercepted; use only against a test server",
			"site", a.SiteURL, "gateway", a.GatewayURL)
	}
	return httpx.New(httpx.Options{
		MaxConnsPerHost:    poolSize(a, conc, log),
		DisableCompression: a.DisableCompression,
		InsecureSkipVerify: a.InsecureSkipVerify,
	})
}
