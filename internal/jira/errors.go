package jira

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// APIError is a non-success answer from Jira or the Admin API that was not
// retried (or was the last cause when retries ran out). It never holds a
// credential.
type APIError struct {
	// Method is the HTTP method; Endpoint is the route template with its
	// method, e.g. "GET /rest/api/3/project/{id}/role/{roleId}" (no ids, no
	// query), the same key as in Stats().ByEndpoint.
	Method, Endpoint string
	Status           int
	// Messages are Jira's errorMessages, errors and message fields, or the
	// Admin API's error titles and details.
	Messages []string
	// HTML is set when the body was an HTML page rather than JSON (an unknown
	// site or a proxy): such a 404 is not a Jira "not found".
	HTML bool
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: HTTP %d", e.Endpoint, e.Status)
	if t := http.StatusText(e.Status); t != "" {
		b.WriteString(" " + t)
	}
	if len(e.Messages) > 0 {
		b.WriteString(": " + strings.Join(e.Messages, "; "))
	}
	return b.String()
}

// IsNotFound reports whether err is (or wraps) a Jira 404 with a JSON (or
// empty) body. Jira often answers 404 where it means "no permission". An
// HTML 404 page is not a Jira answer and does not count.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound && !ae.HTML
}

// IsForbidden reports whether err is (or wraps) a 403.
func IsForbidden(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusForbidden
}

// IsAuth reports whether err is (or wraps) an *AuthError.
func IsAuth(err error) bool {
	var ae *AuthError
	return errors.As(err, &ae)
}

// AuthError is a credential problem: a token that is invalid or expired, a
// password used instead of a token, or a scoped token lacking a scope. It is
// never retried.
type AuthError struct {
	// Endpoint is the route template that was refused, e.g.
	// "GET /rest/api/3/myself".
	Endpoint string
	Status   int
	// MissingScope is set when a scoped token was refused with "scope does
	// not match"; Scope then names the scope the endpoint needs, when known.
	MissingScope bool
	Scope        string
	// Message says what is wrong and how to fix it.
	Message string
	// Server holds the server's own words, when it gave any.
	Server []string
	// Err is an underlying cause, if any (never holds a credential).
	Err error

	password bool // the server said passwords are refused
}

func (e *AuthError) Error() string {
	s := e.Message
	if e.Endpoint != "" {
		s = e.Endpoint + ": " + s
	}
	if len(e.Server) > 0 {
		s += " (server said: " + strings.Join(e.Server, "; ") + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *AuthError) Unwrap() error { return e.Err }

// RetryError is returned when retries ran out: it names the endpoint, the
// number of attempts and the last cause (which errors.As can reach, e.g. an
// *APIError for a 503).
type RetryError struct {
	Endpoint string
	Attempts int
	Err      error
}

func (e *RetryError) Error() string {
	cause := ""
	if e.Err != nil {
		// The cause names the endpoint too: say it once.
		cause = strings.TrimPrefix(e.Err.Error(), e.Endpoint+": ")
	}
	return fmt.Sprintf("%s: giving up after %d attempts: %s", e.Endpoint, e.Attempts, cause)
}

// Unwrap returns the last cause.
func (e *RetryError) Unwrap() error { return e.Err }

// htmlPageMessage is the hint given when a site answers with an HTML page.
const htmlPageMessage = "site answered %d with an HTML page: is siteName right?"
