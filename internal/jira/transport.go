package jira

import (
	"crypto/tls"
	"log/slog"
	"net/http"

	"github.com/govextract/jira-extractor/internal/config"
)

// newHTTPClient builds the HTTP client from appConfig: MaxConnections caps
// connections (and idle connections) per host, DisableCompression turns off
// gzip, InsecureSkipVerify turns off TLS checks (with a loud warning). There
// is no client-wide timeout: each attempt gets its own context deadline.
func newHTTPClient(a config.AppConfig, log *slog.Logger) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	n := a.MaxConnections
	if n <= 0 {
		n = config.DefaultMaxConnections
	}
	tr.MaxConnsPerHost = n
	tr.MaxIdleConnsPerHost = n
	tr.MaxIdleConns = 4 * n
	tr.DisableCompression = a.DisableCompression
	if a.InsecureSkipVerify {
		log.Warn("TLS CERTIFICATE VERIFICATION IS OFF (appConfig.insecureSkipVerify): traffic to Jira can be intercepted; use only against a test server",
			"site", a.SiteURL(), "gateway", a.Gateway())
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // explicit, refused by config unless --allow-insecure
	}
	return &http.Client{Transport: tr}
}
