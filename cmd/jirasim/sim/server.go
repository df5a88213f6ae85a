package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a running (or runnable) simulated Jira Cloud site, with its
// scoped-token gateway and the Atlassian Admin API on the same base URL.
type Server struct {
	cfg Config
	// siteMu guards site: read handlers hold the read lock while they encode
	// an answer, writes hold the write lock while they change the site.
	siteMu sync.RWMutex
	site   *site
	now    func() time.Time
	log    *slog.Logger
	mux    *http.ServeMux
	h      http.Handler
	perms  Permissions

	routes []*route
	scim   *scimServer

	faults  atomic.Pointer[faultState]
	limiter atomic.Pointer[limiter]
	stats   counters
	churn   churnState

	rngMu sync.Mutex
	rng   *rand.Rand

	floor, floorOrg int64

	mu      sync.Mutex
	httpSrv *http.Server
	ln      net.Listener
	done    chan struct{}
}

// New builds the site (generating it, or loading Config.Dataset or
// Config.DatasetFile) and the server; it does not listen yet.
func New(cfg Config) (*Server, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("jirasim config: %w", err)
	}
	d := c.Dataset
	if d == nil && c.DatasetFile != "" {
		if d, err = LoadDataset(c.DatasetFile); err != nil {
			return nil, err
		}
	}
	if d == nil {
		if d, err = Generate(c); err != nil {
			return nil, err
		}
	} else {
		if d.CloudID != "" && cfg.CloudID == "" {
			c.CloudID = d.CloudID
		}
		if d.Name != "" && cfg.SiteName == "" {
			c.SiteName = d.Name
		}
	}
	st, err := compile(d, c.SiteName)
	if err != nil {
		return nil, fmt.Errorf("jirasim dataset: %w", err)
	}
	s := &Server{cfg: c, site: st, log: c.Logger, perms: c.Permissions.effective(), now: c.Now,
		rng: rand.New(rand.NewPCG(uint64(c.Seed), 0x5eed))}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	st.initWrites(c)
	s.scim = newSCIMServer(c.SCIM, st)
	s.buildRoutes()
	s.SetFaults(c.Faults)
	s.SetRateLimit(c.RateLimit)
	s.floor, s.floorOrg = st.floors()
	return s, nil
}

// Counts reports the site's size: users, groups, projects (live and archived).
func (s *Server) Counts() (users, groups, projects int) {
	s.siteMu.RLock()
	defer s.siteMu.RUnlock()
	return s.site.userCount(), len(s.site.groups), len(s.site.projects)
}

// Config returns the effective configuration (defaults filled in).
func (s *Server) Config() Config { return s.cfg }

// CloudID is the gateway's cloud id.
func (s *Server) CloudID() string { return s.cfg.CloudID }

// Handler serves the site, the gateway, the Admin API and /_sim/*.
func (s *Server) Handler() http.Handler { return s.h }

// Start listens on 127.0.0.1 at a free port and returns the base URL.
func (s *Server) Start() (string, error) { return s.StartAddr("127.0.0.1:0") }

// StartAddr listens on addr (host:port) and returns the base URL.
func (s *Server) StartAddr(addr string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return "", errors.New("jirasim: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("jirasim listen %s: %w", addr, err)
	}
	s.ln = ln
	s.httpSrv = &http.Server{Handler: s.h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("jirasim serve", "err", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// Close stops the listener and every open connection.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.httpSrv == nil {
		return nil
	}
	err := s.httpSrv.Close()
	<-s.done
	s.httpSrv, s.ln = nil, nil
	return err
}

// Shutdown stops gracefully: no new connections, in-flight requests finish.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.httpSrv == nil {
		return nil
	}
	err := s.httpSrv.Shutdown(ctx)
	if err == nil {
		<-s.done
	}
	s.httpSrv, s.ln = nil, nil
	return err
}

func (s *Server) float64() float64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64()
}

func (s *Server) int64n(n int64) int64 {
	if n <= 0 {
		return 0
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Int64N(n)
}
