package scim_test

import (
	"context"
	"reflect"
	"sort"
	"sync"
	"testing"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/retry"
	"github.com/govextract/jira-extractor/internal/retry/retrytest"
	"github.com/govextract/jira-extractor/internal/scim"
	"github.com/govextract/jira-extractor/internal/secret"
)

// memSink collects what an extraction writes.
type memSink struct {
	mu        sync.Mutex
	entities  []model.Entity
	relations []model.Relation
}

func (m *memSink) WriteEntities(_ context.Context, _ model.SourceType, b []model.Entity) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entities = append(m.entities, b...)
	return nil
}

func (m *memSink) WriteRelations(_ context.Context, _ model.RelationKind, b []model.Relation) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.relations = append(m.relations, b...)
	return nil
}

// requireExact fails unless got holds exactly the truth's rows: every
// entity with every field, every relation, nothing twice.
func requireExact(t *testing.T, truth sim.Truth, got *memSink) {
	t.Helper()
	want := map[string]model.Entity{}
	for _, e := range truth.Entities {
		want[e.Key()] = e
	}
	seen := map[string]bool{}
	for _, e := range got.entities {
		k := e.Key()
		if seen[k] {
			t.Fatalf("entity %q written twice", k)
		}
		seen[k] = true
		w, ok := want[k]
		if !ok {
			t.Fatalf("entity %q is not in the truth", k)
		}
		if !reflect.DeepEqual(w, e) {
			t.Fatalf("entity %q differs:\n got  %#v\n want %#v", k, e, w)
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("%d entities written, the truth has %d", len(seen), len(want))
	}
	keys := func(rs []model.Relation) []string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = r.Key()
		}
		sort.Strings(out)
		return out
	}
	if g, w := keys(got.relations), keys(truth.Relations); !reflect.DeepEqual(g, w) {
		t.Fatalf("relations differ: got %d, want %d", len(g), len(w))
	}
}

// start serves a simulator with cfg and returns it and its URL.
func start(t *testing.T, cfg sim.Config) (*sim.Server, string) {
	t.Helper()
	return simtest.StartSim(t, cfg)
}

// bearer is the directory API key's auth.
func bearer() scim.Auth {
	return scim.Auth{Kind: scim.AuthBearer, Token: secret.New(sim.DefaultSCIMToken)}
}

// newClient builds a client of the simulator's directory on a fake clock.
func newClient(t *testing.T, srv *sim.Server, url string, version int, auth scim.Auth, readSchema bool) (*scim.Client, *retrytest.Fake) {
	t.Helper()
	clk := retrytest.NewFake(retrytest.Epoch)
	c, err := scim.New(scim.Options{BaseURL: srv.SCIMBaseURL(url, version), Version: version, Auth: auth, ReadSchema: readSchema,
		MaxRetries: 3, RequestsPerSecond: 1000, Burst: 100, Clock: clk, Backoff: &retry.Backoff{Base: 1, Cap: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return c, clk
}

func extract(t *testing.T, c *scim.Client) (*memSink, scim.ExtractResult) {
	t.Helper()
	var s memSink
	res, err := scim.Extract(context.Background(), c, &s, scim.ExtractOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return &s, res
}
