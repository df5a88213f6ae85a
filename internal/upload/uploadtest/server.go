// Package uploadtest is an in-process reference server of the governance
// platform's bulk entity APIs, for tests: the two-step upload (POST
// .../upload-url, then PUT of a CSV to a one-time URL), API key checks,
// exact CSV column checks, relation reference checks against the entities it
// already holds, and injected faults (429, 5xx, dropped connections).
package uploadtest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
)

// EntityColumns is the exact header of an entities CSV.
var EntityColumns = []string{"App", "Name", "Entity Type", "Source System", "Source ID", "Source Type", "Metadata Version", "Metadata"}

// RelationColumns is the exact header of a relations CSV.
var RelationColumns = []string{"App", "Parent Entity Source ID", "Parent Entity Type", "Entity Source ID", "Entity Type", "Source System", "Metadata Version", "Metadata"}

// MaxBody is the largest CSV a PUT may carry.
const MaxBody = 64 << 20

// Options configure a Server.
type Options struct {
	// KeyID and KeySecret are the only API key accepted.
	KeyID, KeySecret string
	// RetryAfter is the Retry-After header of injected 429s ("" sends none).
	RetryAfter string
	// OnPut, if set, is called after a PUT is accepted and stored, before
	// the response is written.
	OnPut func(Put)
}

// Put describes one accepted PUT.
type Put struct {
	Kind  string // "entities" or "relations"
	Chunk string // the X-Upload-Chunk header, e.g. "entities-00003"
	Rows  int
}

// EntityRow is one stored entity row.
type EntityRow struct {
	App, Name, EntityType, SourceSystem, SourceID, SourceType, MetadataVersion, Metadata string
}

// RelationRow is one stored relation row.
type RelationRow struct {
	App, ParentSourceID, ParentEntityType, SourceID, EntityType, SourceSystem, MetadataVersion, Metadata string
}

// Server is a running reference server on 127.0.0.1.
type Server struct {
	// URL is the API base, e.g. http://127.0.0.1:PORT.
	URL string

	opts Options
	ts   *httptest.Server

	mu        sync.Mutex
	tokens    map[string]string // one-time token → kind
	entities  []EntityRow
	relations []RelationRow
	keys      map[string]struct{} // app \x00 source type \x00 source id
	puts      map[string]int
	requests  int
	fail429   int
	fail5xx   int
	drop      int
}

// New starts a server; Close stops it.
func New(opts Options) *Server {
	s := &Server{opts: opts, tokens: map[string]string{}, keys: map[string]struct{}{}, puts: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v0/entities/upload-url", func(w http.ResponseWriter, r *http.Request) { s.uploadURL(w, r, "entities") })
	mux.HandleFunc("POST /v0/entity-relations/upload-url", func(w http.ResponseWriter, r *http.Request) { s.uploadURL(w, r, "relations") })
	mux.HandleFunc("PUT /v0/uploads/{token}", s.put)
	s.ts = httptest.NewServer(s.faults(mux))
	s.URL = s.ts.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.ts.Close() }

// Fail429 answers the next n requests with 429 Too Many Requests.
func (s *Server) Fail429(n int) { s.mu.Lock(); s.fail429 += n; s.mu.Unlock() }

// Fail5xx answers the next n requests with 503 Service Unavailable.
func (s *Server) Fail5xx(n int) { s.mu.Lock(); s.fail5xx += n; s.mu.Unlock() }

// DropConnection closes the connection of the next n requests without an
// answer (and without storing anything).
func (s *Server) DropConnection(n int) { s.mu.Lock(); s.drop += n; s.mu.Unlock() }

// Entities returns a copy of the stored entity rows, in arrival order.
func (s *Server) Entities() []EntityRow {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.entities)
}

// Relations returns a copy of the stored relation rows, in arrival order.
func (s *Server) Relations() []RelationRow {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.relations)
}

// PutCounts returns how many PUTs were accepted per chunk name.
func (s *Server) PutCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]int, len(s.puts))
	for k, v := range s.puts {
		m[k] = v
	}
	return m
}

// Requests returns how many requests arrived, faults included.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// faults counts requests and injects the armed faults, in the order drop,
// 5xx, 429.
func (s *Server) faults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests++
		var fault string
		switch {
		case s.drop > 0:
			s.drop--
			fault = "drop"
		case s.fail5xx > 0:
			s.fail5xx--
			fault = "5xx"
		case s.fail429 > 0:
			s.fail429--
			fault = "429"
		}
		s.mu.Unlock()
		switch fault {
		case "drop":
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					if tc, ok := conn.(*net.TCPConn); ok {
						_ = tc.SetLinger(0) // a reset, not a clean close
					}
					_ = conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		case "5xx":
			writeError(w, http.StatusServiceUnavailable, "injected 503")
		case "429":
			if s.opts.RetryAfter != "" {
				w.Header().Set("Retry-After", s.opts.RetryAfter)
			}
			writeError(w, http.StatusTooManyRequests, "injected 429")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (s *Server) authorized(r *http.Request) bool {
	return r.Header.Get("X-Api-Key-ID") == s.opts.KeyID && r.Header.Get("X-Api-Key-Secret") == s.opts.KeySecret
}

func (s *Server) uploadURL(w http.ResponseWriter, r *http.Request, kind string) {
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "invalid API key")
		return
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	s.mu.Lock()
	s.tokens[token] = kind
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"url": s.URL + "/v0/uploads/" + token})
}

func (s *Server) put(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	s.mu.Lock()
	kind, ok := s.tokens[token]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "unknown or used upload URL")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q is not text/csv", ct))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "the CSV is larger than 64 MiB")
			return
		}
		writeError(w, http.StatusBadRequest, "read body: "+err.Error())
		return
	}
	if d := r.Header.Get("Content-Digest"); d != "" {
		sum := sha256.Sum256(body)
		if d != "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":" {
			writeError(w, http.StatusBadRequest, "Content-Digest does not match the body")
			return
		}
	}
	records, err := parseCSV(body, kind)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	if _, ok := s.tokens[token]; !ok { // used by a concurrent PUT
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "unknown or used upload URL")
		return
	}
	if err := s.store(kind, records); err != nil {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	delete(s.tokens, token)
	chunk := r.Header.Get("X-Upload-Chunk")
	s.puts[chunk]++
	s.mu.Unlock()
	if s.opts.OnPut != nil {
		s.opts.OnPut(Put{Kind: kind, Chunk: chunk, Rows: len(records)})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"accepted": len(records)})
}

// parseCSV checks the header and every row: exact columns, Source System,
// Metadata Version and Metadata as a JSON object.
func parseCSV(body []byte, kind string) ([][]string, error) {
	want := EntityColumns
	if kind == "relations" {
		want = RelationColumns
	}
	cr := csv.NewReader(bytes.NewReader(body))
	cr.FieldsPerRecord = len(want)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %v", err)
	}
	if !slices.Equal(header, want) {
		return nil, fmt.Errorf("header is %q, want %q", header, want)
	}
	var rows [][]string
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("row %d: %v", line, err)
		}
		if err := checkRow(rec, kind); err != nil {
			return nil, fmt.Errorf("row %d: %v", line, err)
		}
		rows = append(rows, rec)
	}
	if len(rows) == 0 {
		return nil, errors.New("no rows")
	}
	return rows, nil
}

func checkRow(rec []string, kind string) error {
	var system, version, meta string
	if kind == "entities" {
		system, version, meta = rec[3], rec[6], rec[7]
		if rec[0] == "" || rec[4] == "" || rec[5] == "" {
			return errors.New("App, Source ID and Source Type are required")
		}
		switch rec[2] {
		case "identity", "resource", "connection":
		default:
			return fmt.Errorf("Entity Type %q is not identity, resource or connection", rec[2])
		}
	} else {
		system, version, meta = rec[5], rec[6], rec[7]
		if rec[0] == "" || rec[1] == "" || rec[2] == "" || rec[3] == "" || rec[4] == "" {
			return errors.New("App and both ends' Source ID and Entity Type are required")
		}
	}
	if system == "" {
		return errors.New("Source System is required")
	}
	if version != "1" {
		return fmt.Errorf("Metadata Version %q is not 1", version)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(meta), &obj); err != nil || obj == nil {
		return errors.New("Metadata is not a JSON object")
	}
	return nil
}

func key(app, typ, id string) string { return app + "\x00" + typ + "\x00" + id }

// store keeps a chunk's rows, all or none; s.mu is held. A relation's ends
// are looked up by (App, type, Source ID) among the stored entities, where
// the type is the entity's Source Type.
func (s *Server) store(kind string, rows [][]string) error {
	if kind == "entities" {
		for _, r := range rows {
			s.entities = append(s.entities, EntityRow{App: r[0], Name: r[1], EntityType: r[2], SourceSystem: r[3], SourceID: r[4], SourceType: r[5], MetadataVersion: r[6], Metadata: r[7]})
			s.keys[key(r[0], r[5], r[4])] = struct{}{}
		}
		return nil
	}
	for i, r := range rows {
		if _, ok := s.keys[key(r[0], r[2], r[1])]; !ok {
			return fmt.Errorf("row %d: dangling reference: parent %s %s is not an entity of app %s", i+2, r[2], r[1], r[0])
		}
		if _, ok := s.keys[key(r[0], r[4], r[3])]; !ok {
			return fmt.Errorf("row %d: dangling reference: entity %s %s is not an entity of app %s", i+2, r[4], r[3], r[0])
		}
	}
	for _, r := range rows {
		s.relations = append(s.relations, RelationRow{App: r[0], ParentSourceID: r[1], ParentEntityType: r[2], SourceID: r[3], EntityType: r[4], SourceSystem: r[5], MetadataVersion: r[6], Metadata: r[7]})
	}
	return nil
}
