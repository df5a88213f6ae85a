package pipeline

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/secret"
)

// notFoundInjector is a reverse proxy in front of the simulator that
// answers Jira's "No projects found" 404 to the first n project/search
// requests at startAt (the ones with a status filter, as the pipeline's
// pages have). Everything else goes through untouched.
type notFoundInjector struct {
	startAt int
	mu      sync.Mutex
	n       int
}

func (in *notFoundInjector) start(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if strings.HasSuffix(r.URL.Path, "/rest/api/3/project/search") && q.Has("status") && q.Get("startAt") == strconv.Itoa(in.startAt) {
			in.mu.Lock()
			inject := in.n > 0
			in.n--
			in.mu.Unlock()
			if inject {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(`{"errorMessages":["No projects found"],"errors":{},"status":404}`))
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// runSim runs the pipeline with the real client against base (the
// simulator or a proxy in front of it).
func runSim(t *testing.T, base string) (*memSink, Result) {
	t.Helper()
	c, err := jira.New(jira.Options{SiteURL: base, GatewayURL: base, SiteName: "sim",
		Email: sim.DefaultEmail, APIToken: secret.New(sim.DefaultToken),
		Concurrency: 4, RequestsPerSecond: 10000, Burst: 1000, MaxRetries: 6, Timeout: 30 * time.Second, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Detect(ctx); err != nil {
		t.Fatal(err)
	}
	s := newMemSink(t, 1000)
	res, err := Run(ctx, Options{Concurrency: 4, Source: c, Sink: s, IsNotFound: jira.IsNotFound, IsForbidden: jira.IsForbidden})
	if err != nil {
		t.Fatal(err)
	}
	return s, res
}

// compareTruth reports rows the sink lacks or invents against the
// simulator's truth.
func compareTruth(t *testing.T, s *memSink, truth sim.Truth) {
	t.Helper()
	wantE, wantR := map[string]model.Entity{}, map[string]model.Relation{}
	for _, e := range truth.Entities {
		wantE[e.Key()] = e
	}
	for _, r := range truth.Relations {
		wantR[r.Key()] = r
	}
	compare(t, s, wantE, wantR)
}

// The simulator with 250 projects: a one-shot 404 on project/search, on the
// first page or at startAt=200, loses no row.
func TestSimProjects404OnceLosesNothing(t *testing.T) {
	srv, base := simtest.StartSim(t, sim.Config{Size: "small", Seed: 7, Projects: 250})
	truth := srv.Truth(sim.TruthOptions{})
	for _, startAt := range []int{0, 200} {
		t.Run("startAt="+strconv.Itoa(startAt), func(t *testing.T) {
			in := &notFoundInjector{startAt: startAt, n: 1}
			s, res := runSim(t, in.start(t, base))
			if len(res.Warnings) != 0 {
				t.Errorf("warnings %v", res.Warnings)
			}
			compareTruth(t, s, truth)
			if in.n >= 1 {
				t.Fatal("the 404 was never injected: the test proves nothing")
			}
		})
	}
}

// A 404 that persists at startAt=200 is a warning naming the projects scope
// (the run is partial), never a silent end of the list.
func TestSimProjects404PersistsIsPartial(t *testing.T) {
	_, base := simtest.StartSim(t, sim.Config{Size: "small", Seed: 7, Projects: 250})
	in := &notFoundInjector{startAt: 200, n: 1 << 20}
	s, res := runSim(t, in.start(t, base))
	if len(res.Warnings) != 1 || res.Warnings[0].Scope != projectsScope || !strings.Contains(res.Warnings[0].Message, "startAt=200") {
		t.Fatalf("warnings %v, want one for %q naming startAt=200", res.Warnings, projectsScope)
	}
	projects := 0
	for k := range s.ents {
		if strings.HasPrefix(k, string(model.Project)+"\x00") {
			projects++
		}
	}
	if projects != 200 {
		t.Errorf("%d projects read, want the 200 before the lost page", projects)
	}
}

// A site with no project at all (a dataset without projects) completes with
// the truth and no warning.
func TestSimNoProjectsCompletes(t *testing.T) {
	b, err := os.ReadFile("../../testdata/sites/tiny.json")
	if err != nil {
		t.Fatalf("checked-in dataset missing: %v", err)
	}
	var ds sim.Dataset
	if err := json.Unmarshal(b, &ds); err != nil {
		t.Fatal(err)
	}
	if len(ds.Projects) == 0 {
		t.Fatal("tiny.json has no projects: the test would not remove any")
	}
	ds.Projects = nil
	srv, base := simtest.StartSim(t, sim.Config{Dataset: &ds})
	s, res := runSim(t, base)
	if len(res.Warnings) != 0 {
		t.Errorf("warnings on a site without projects: %v", res.Warnings)
	}
	compareTruth(t, s, srv.Truth(sim.TruthOptions{}))
}
