// Package attack is shared test support: hostile HTTP servers that any
// client of the project (Jira, Admin API, upload, SCIM, OAuth) is tested
// against. Each is a real server on 127.0.0.1, usually a reverse proxy in
// front of a real upstream (the simulator, a reference server), that
// misbehaves on the requests a test picks:
//
//   - Inject answers chosen requests (by path and query, or the n-th
//     match) with a given status, headers and body: a 404 on one page, a
//     200 "null", a redirect (Redirect).
//   - Reflect copies the credentials a request carried (Authorization, API
//     key headers, and the decoded Basic pair) into response headers
//     (RateLimit-Reason, Content-Type, Location, ...) and the body.
//   - ResetReused drops requests that arrive on a reused connection
//     without answering, which makes Go's transport re-send them silently.
//   - Sink records every request it gets, to prove that nothing (or no
//     credential) reached a host a client was redirected to.
//
// Foreign turns a 127.0.0.1 URL into one with another host name for the
// same machine, and Other starts a second server, so redirects can point
// at another port of the same host, another host, or from https to http.
package attack

import (
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Match picks requests. The zero Match picks every request.
type Match struct {
	// Method, if set, must equal the request's method.
	Method string
	// Path, if set, must equal the request's path.
	Path string
	// Query: each key must be present with exactly these values.
	Query url.Values
	// Nth picks the n-th request (from 1) that matches the rest; 0 means
	// the first.
	Nth int
	// Times is how many matches from the Nth on are picked: 0 means one,
	// a negative number every one.
	Times int
}

func (m Match) matches(r *http.Request) bool {
	if m.Method != "" && r.Method != m.Method {
		return false
	}
	if m.Path != "" && r.URL.Path != m.Path {
		return false
	}
	q := r.URL.Query()
	for k, want := range m.Query {
		got := q[k]
		if len(got) != len(want) {
			return false
		}
		for i := range want {
			if got[i] != want[i] {
				return false
			}
		}
	}
	return true
}

// picker counts matches and says which are picked.
type picker struct {
	m       Match
	matched atomic.Int64
	fired   atomic.Int64
}

func (p *picker) pick(r *http.Request) bool {
	if !p.m.matches(r) {
		return false
	}
	k := int(p.matched.Add(1))
	first := max(p.m.Nth, 1)
	times := p.m.Times
	if times == 0 {
		times = 1
	}
	if k < first || (times > 0 && k >= first+times) {
		return false
	}
	p.fired.Add(1)
	return true
}

// Answer is a response a hostile server gives.
type Answer struct {
	Status int
	Header http.Header
	Body   string
}

func (a Answer) write(w http.ResponseWriter) {
	for k, vs := range a.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(a.Body))
}

// proxy returns a reverse proxy to upstream (nil when upstream is "").
func proxy(tb testing.TB, upstream string) http.Handler {
	tb.Helper()
	if upstream == "" {
		return http.NotFoundHandler()
	}
	u, err := url.Parse(upstream)
	if err != nil {
		tb.Fatalf("attack: upstream %q: %v", upstream, err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorLog = nil
	return rp
}

// Server is a running hostile server.
type Server struct {
	*httptest.Server
	p        *picker
	requests atomic.Int64
}

// Fired returns how many requests got the hostile treatment.
func (s *Server) Fired() int { return int(s.p.fired.Load()) }

// Requests returns how many requests the server got.
func (s *Server) Requests() int { return int(s.requests.Load()) }

func start(tb testing.TB, tls bool, h http.Handler) *httptest.Server {
	tb.Helper()
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	tb.Cleanup(srv.Close)
	return srv
}

// Inject starts a proxy to upstream (or, with upstream "", a server that
// answers 404) that answers the requests m picks with a and passes every
// other request through.
func Inject(tb testing.TB, upstream string, m Match, a Answer) *Server {
	tb.Helper()
	s := &Server{p: &picker{m: m}}
	next := proxy(tb, upstream)
	s.Server = start(tb, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if s.p.pick(r) {
			a.write(w)
			return
		}
		next.ServeHTTP(w, r)
	}))
	return s
}

// Redirect starts a proxy to upstream that answers the requests m picks
// with status (e.g. 307) and a Location of to plus the request's path and
// query. With tls the server itself speaks HTTPS (use TLSClient, or the
// server's Client(), to trust it), so to = an http URL tests a downgrade.
func Redirect(tb testing.TB, upstream string, m Match, status int, to string, tls bool) *Server {
	tb.Helper()
	s := &Server{p: &picker{m: m}}
	next := proxy(tb, upstream)
	s.Server = start(tb, tls, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if s.p.pick(r) {
			w.Header().Set("Location", strings.TrimRight(to, "/")+r.URL.RequestURI())
			w.WriteHeader(status)
			return
		}
		next.ServeHTTP(w, r)
	}))
	return s
}

// Foreign returns u (an http(s)://127.0.0.1:PORT URL) with the host name
// "localhost": the same server, but another host to a client.
func Foreign(u string) string {
	return strings.Replace(u, "://127.0.0.1:", "://localhost:", 1)
}

// Seen is one request a Sink got.
type Seen struct {
	Method, Path, RawQuery string
	Header                 http.Header
}

// Sink is a server that records every request and answers each with a.
type Sink struct {
	*httptest.Server
	mu   sync.Mutex
	seen []Seen
}

// NewSink starts a Sink answering a (e.g. a well-formed but wrong answer,
// to catch a client that takes a foreign answer as data).
func NewSink(tb testing.TB, a Answer) *Sink {
	tb.Helper()
	s := &Sink{}
	s.Server = start(tb, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, Seen{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone()})
		s.mu.Unlock()
		a.write(w)
	}))
	return s
}

// Seen returns the requests the sink got.
func (s *Sink) Seen() []Seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Seen(nil), s.seen...)
}

// Leaked returns the first request header value that contains any of
// secrets (header name and value), or "" when none does.
func (s *Sink) Leaked(secrets ...string) string {
	for _, r := range s.Seen() {
		for k, vs := range r.Header {
			for _, v := range vs {
				for _, sec := range secrets {
					if sec != "" && strings.Contains(v, sec) {
						return k + ": " + v
					}
				}
			}
		}
	}
	return ""
}

// CredentialHeaders are the request headers Reflect copies by default.
var CredentialHeaders = []string{"Authorization", "X-Api-Key-ID", "X-Api-Key-Secret", "Cookie", "Proxy-Authorization"}

// ReflectTo are the response headers Reflect fills by default.
var ReflectTo = []string{"RateLimit-Reason", "Content-Type", "Location", "WWW-Authenticate", "Retry-After", "X-RateLimit-Reset", "Beta-RateLimit-Reason"}

// Reflection configures Reflect.
type Reflection struct {
	// Match picks the requests answered with reflected credentials; the
	// others pass through to upstream unchanged.
	Match Match
	// Status of the reflecting answer (default 200).
	Status int
	// Body builds the answer's body from the reflected credentials
	// (default: a Jira error body whose messages hold them).
	Body func(creds string) string
	// From and To override CredentialHeaders and ReflectTo.
	From, To []string
	// Header builds each reflected header's value from the credentials
	// (default: the credentials themselves), e.g. to prefix a
	// RateLimit-Reason with "jira-quota-tenant-based ".
	Header func(creds string) string
	// Extra headers are set on the answer as they are.
	Extra http.Header
}

// Reflect starts a proxy to upstream that answers the requests r.Match
// picks with the request's credentials copied into response headers and
// the body: the raw header values, and for Basic auth the decoded
// "email:token" too.
func Reflect(tb testing.TB, upstream string, r Reflection) *Server {
	tb.Helper()
	from, to := r.From, r.To
	if from == nil {
		from = CredentialHeaders
	}
	if to == nil {
		to = ReflectTo
	}
	body := r.Body
	if body == nil {
		body = func(creds string) string {
			q := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(creds)
			return `{"errorMessages":["echo ` + q + `"],"message":"` + q + `","errors":{}}`
		}
	}
	s := &Server{p: &picker{m: r.Match}}
	next := proxy(tb, upstream)
	s.Server = start(tb, false, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.requests.Add(1)
		if !s.p.pick(req) {
			next.ServeHTTP(w, req)
			return
		}
		creds := Credentials(req, from)
		hv := creds
		if r.Header != nil {
			hv = r.Header(creds)
		}
		for _, h := range to {
			w.Header().Set(h, hv)
		}
		for k, vs := range r.Extra {
			w.Header()[k] = vs
		}
		status := r.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body(creds)))
	}))
	return s
}

// Credentials returns the values of the headers from that req carries,
// joined by spaces, plus the decoded pair of a Basic Authorization.
func Credentials(req *http.Request, from []string) string {
	var parts []string
	for _, h := range from {
		for _, v := range req.Header.Values(h) {
			parts = append(parts, v)
			if b, ok := strings.CutPrefix(v, "Basic "); ok {
				if dec, err := base64.StdEncoding.DecodeString(b); err == nil {
					parts = append(parts, string(dec))
				}
			}
			if b, ok := strings.CutPrefix(v, "Bearer "); ok {
				parts = append(parts, b)
			}
		}
	}
	return strings.Join(parts, " ")
}

// connKey is the context key of a connection's request counter.
type connKey struct{}

// ResetReused starts a proxy to upstream that, on every `every`-th request
// arriving on a reused keep-alive connection, closes the connection with a
// TCP reset after reading the request and before answering. Go's transport
// re-sends such an idempotent request on a new connection by itself, so a
// client that counts calls to Do undercounts. Requests counts every
// request the server read, reset or not.
func ResetReused(tb testing.TB, upstream string, every int) *Server {
	tb.Helper()
	s := &Server{p: &picker{m: Match{Times: -1}}}
	next := proxy(tb, upstream)
	var reused atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		n := r.Context().Value(connKey{}).(*atomic.Int64).Add(1)
		if n > 1 && reused.Add(1)%int64(every) == 0 {
			s.p.fired.Add(1)
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0)
				}
				_ = conn.Close()
				return
			}
		}
		next.ServeHTTP(w, r)
	}))
	srv.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
		return context.WithValue(ctx, connKey{}, new(atomic.Int64))
	}
	srv.Start()
	tb.Cleanup(srv.Close)
	s.Server = srv
	return s
}
