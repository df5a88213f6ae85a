package upload

import (
	"context"
	"errors"
	"github.com/govextract/jira-extractor/internal/location"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/upload/uploadtest"
)

func TestUploadFixtureRun(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"parquet", "csv"} {
		t.Run(format, func(t *testing.T) {
			f := newFixture(40)
			loc := writeRun(t, t.TempDir(), format, f)
			var order []string
			srv := newServer(t, uploadtest.Options{OnPut: func(p uploadtest.Put) { order = append(order, p.Kind) }})
			state := filepath.Join(t.TempDir(), "state.json")
			res, err := Upload(context.Background(), openRun(t, loc), baseOptions(srv, state))
			if err != nil {
				t.Fatal(err)
			}
			assertStored(t, srv, f, "acme")
			if res.Entities.Chunks < 2 || res.Relations.Chunks < 2 || res.Entities.Sent != res.Entities.Chunks {
				t.Fatalf("result %+v", res)
			}
			if got := sum(res.SpecialHolders); got != f.specials() || res.SpecialHolders["anyone"] != 1 || res.SpecialHolders["any_logged_in_user"] != 1 {
				t.Fatalf("special holders %v, want %d", res.SpecialHolders, f.specials())
			}
			// Entities strictly before relations.
			seenRel := false
			for _, k := range order {
				if k == "relations" {
					seenRel = true
				} else if seenRel {
					t.Fatalf("an entity chunk came after a relation chunk: %v", order)
				}
			}
			// A second upload with the same state sends nothing.
			before := srv.Requests()
			res2, err := Upload(context.Background(), openRun(t, loc), baseOptions(srv, state))
			if err != nil {
				t.Fatal(err)
			}
			if srv.Requests() != before || res2.Entities.Skipped != res.Entities.Chunks || res2.Relations.Skipped != res.Relations.Chunks {
				t.Fatalf("rerun sent requests: %d → %d, %+v", before, srv.Requests(), res2)
			}
		})
	}
}

func TestUploadAppOverride(t *testing.T) {
	t.Parallel()
	f := newFixture(5)
	loc := writeRun(t, t.TempDir(), "parquet", f)
	srv := newServer(t, uploadtest.Options{})
	opts := baseOptions(srv, "")
	opts.App = "jira-prod"
	if _, err := Upload(context.Background(), openRun(t, loc), opts); err != nil {
		t.Fatal(err)
	}
	assertStored(t, srv, f, "jira-prod")
}

func TestResumeAfterDroppedConnection(t *testing.T) {
	t.Parallel()
	f := newFixture(40)
	loc := writeRun(t, t.TempDir(), "parquet", f)
	srv := newServer(t, uploadtest.Options{})
	state := filepath.Join(t.TempDir(), "state.json")
	opts := baseOptions(srv, state)
	opts.MaxRetries = 0
	const k = 3
	opts.OnChunk = func(c ChunkResult) {
		if c.Phase == PhaseEntities && c.Index == k-1 {
			srv.DropConnection(1) // the next request, for chunk k, dies
		}
	}
	_, err := Upload(context.Background(), openRun(t, loc), opts)
	if err == nil || !strings.Contains(err.Error(), "entities-00003") {
		t.Fatalf("err = %v, want a failure on chunk %d", err, k)
	}
	if got := len(srv.PutCounts()); got != k {
		t.Fatalf("%d chunks accepted before the drop, want %d", got, k)
	}
	opts.OnChunk = nil
	res, err := Upload(context.Background(), openRun(t, loc), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Entities.Skipped != k {
		t.Fatalf("resume skipped %d chunks, want %d", res.Entities.Skipped, k)
	}
	assertStored(t, srv, f, "acme")
}

func TestResumeAfterCancel(t *testing.T) {
	t.Parallel()
	f := newFixture(40)
	loc := writeRun(t, t.TempDir(), "parquet", f)
	srv := newServer(t, uploadtest.Options{})
	state := filepath.Join(t.TempDir(), "state.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := baseOptions(srv, state)
	var relSent int
	opts.OnChunk = func(c ChunkResult) {
		if c.Phase == PhaseRelations {
			relSent++
			if relSent == 2 {
				cancel()
			}
		}
	}
	_, err := Upload(ctx, openRun(t, loc), opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	opts.OnChunk = nil
	res, err := Upload(context.Background(), openRun(t, loc), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Relations.Skipped != 2 || res.Entities.Sent != 0 {
		t.Fatalf("resume: %+v", res)
	}
	assertStored(t, srv, f, "acme")
}

// sleeps records the retry waits instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func TestRetry429HonoursRetryAfter(t *testing.T) {
	t.Parallel()
	f := newFixture(5)
	loc := writeRun(t, t.TempDir(), "parquet", f)
	srv := newServer(t, uploadtest.Options{RetryAfter: "7"})
	var sl sleeps
	opts := baseOptions(srv, "")
	opts.sleep = sl.sleep
	opts.ChunkRows = 1000
	// A 429 on the first POST, and another on the first PUT.
	srv.Fail429(1)
	var armed sync.Once
	opts.HTTPClient = hookClient(func(method string) {
		if method == "PUT" {
			armed.Do(func() { srv.Fail429(1) })
		}
	})
	if _, err := Upload(context.Background(), openRun(t, loc), opts); err != nil {
		t.Fatal(err)
	}
	if len(sl.d) != 2 || sl.d[0] != 7*time.Second || sl.d[1] != 7*time.Second {
		t.Fatalf("waits = %v, want [7s 7s]", sl.d)
	}
	assertStored(t, srv, f, "acme")
}

func TestRetryPutAfter5xxAndDrop(t *testing.T) {
	t.Parallel()
	f := newFixture(5)
	loc := writeRun(t, t.TempDir(), "parquet", f)
	var armed sync.Once
	srv := newServer(t, uploadtest.Options{})
	var sl sleeps
	opts := baseOptions(srv, "")
	opts.sleep = sl.sleep
	opts.ChunkRows = 1000
	opts.MaxRetries = 4
	// Fail the PUT (not the POST) of the first chunk: arm the faults once
	// the client holds an upload URL, i.e. from a transport hook.
	opts.HTTPClient = hookClient(func(method string) {
		if method == "PUT" {
			armed.Do(func() { srv.Fail5xx(2); srv.DropConnection(1) })
		}
	})
	if _, err := Upload(context.Background(), openRun(t, loc), opts); err != nil {
		t.Fatal(err)
	}
	if len(sl.d) != 3 {
		t.Fatalf("waits = %v, want 3 backoffs", sl.d)
	}
	for i, d := range sl.d {
		if d <= 0 || d > 30*time.Second {
			t.Errorf("wait %d = %v", i, d)
		}
	}
	assertStored(t, srv, f, "acme")
}

func TestRetriesExhausted(t *testing.T) {
	t.Parallel()
	f := newFixture(5)
	loc := writeRun(t, t.TempDir(), "parquet", f)
	srv := newServer(t, uploadtest.Options{})
	srv.Fail5xx(10)
	opts := baseOptions(srv, "")
	opts.MaxRetries = 2
	_, err := Upload(context.Background(), openRun(t, loc), opts)
	var se *StatusError
	if err == nil || !strings.Contains(err.Error(), "giving up after 3 attempts") || !errors.As(err, &se) || se.Status != 503 {
		t.Fatalf("err = %v", err)
	}
	if srv.Requests() != 3 || len(srv.Entities()) != 0 {
		t.Fatalf("requests %d, stored %d", srv.Requests(), len(srv.Entities()))
	}
}

func TestDanglingRelationsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(10)
	f.relations[model.MemberOf] = append(f.relations[model.MemberOf], model.MemberOfRel("ghost", "grp-0"))
	f.relations[model.UsesScheme] = append(f.relations[model.UsesScheme], model.UsesSchemeRel("10000", "99999"))
	loc := writeRun(t, t.TempDir(), "parquet", f)
	srv := newServer(t, uploadtest.Options{})
	_, err := Upload(context.Background(), openRun(t, loc), baseOptions(srv, ""))
	var de *DanglingError
	if !errors.As(err, &de) || de.Count != 2 || de.ByKind[model.MemberOf] != 1 || !strings.Contains(err.Error(), "user ghost") || !strings.Contains(err.Error(), "permission_scheme 99999") {
		t.Fatalf("err = %v", err)
	}
	if srv.Requests() != 0 {
		t.Fatalf("%d requests sent despite dangling relations", srv.Requests())
	}

	opts := baseOptions(srv, "")
	opts.AllowDangling = true
	res, err := Upload(context.Background(), openRun(t, loc), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Dangling != 2 {
		t.Fatalf("dangling left out = %d", res.Dangling)
	}
	// The server holds everything but the dangling rows.
	f.relations[model.MemberOf] = f.relations[model.MemberOf][:len(f.relations[model.MemberOf])-1]
	f.relations[model.UsesScheme] = f.relations[model.UsesScheme][:len(f.relations[model.UsesScheme])-1]
	assertStored(t, srv, f, "acme")
}

func TestTamperedAndIncompleteRunsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(5)
	loc := writeRun(t, t.TempDir(), "csv", f)
	srv := newServer(t, uploadtest.Options{})
	part := filepath.Join(loc, "entities", "source_type=user", "part-00000.csv")
	b, err := os.ReadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(part, []byte(strings.Replace(string(b), "acc-001", "acc-00X", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Upload(context.Background(), openRun(t, loc), baseOptions(srv, ""))
	if err == nil || !strings.Contains(err.Error(), "does not match its manifest") || !strings.Contains(err.Error(), "part-00000.csv") {
		t.Fatalf("tampered run: err = %v", err)
	}
	if err := os.Remove(filepath.Join(loc, "manifest.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenRun(context.Background(), location.MustParse(loc), nil); err == nil || !strings.Contains(err.Error(), "not complete") {
		t.Fatalf("incomplete run: err = %v", err)
	}
	if srv.Requests() != 0 {
		t.Fatalf("%d requests sent", srv.Requests())
	}
}

func TestStateOfAnotherUploadRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(20)
	loc := writeRun(t, t.TempDir(), "parquet", f)
	srv := newServer(t, uploadtest.Options{})
	state := filepath.Join(t.TempDir(), "state.json")
	if _, err := Upload(context.Background(), openRun(t, loc), baseOptions(srv, state)); err != nil {
		t.Fatal(err)
	}
	opts := baseOptions(srv, state)
	opts.ChunkRows = 9
	before := srv.Requests()
	_, err := Upload(context.Background(), openRun(t, loc), opts)
	if err == nil || !strings.Contains(err.Error(), "belongs to another upload") || !strings.Contains(err.Error(), "--chunk-rows") {
		t.Fatalf("err = %v", err)
	}
	// A chunk whose content changed under the same index is refused too.
	st, err := loadState(state, State{RunID: "x"})
	if err == nil || st != nil {
		t.Fatalf("run id mismatch not refused")
	}
	sf, err := loadState(state, State{RunID: openRun(t, loc).Manifest().RunID, API: srv.URL, App: "acme", ChunkRows: 7, ChunkBytes: DefaultChunkBytes})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sf.accepted(Chunk{Phase: PhaseEntities, Index: 0, SHA256: "0000"}); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Fatalf("changed chunk: err = %v", err)
	}
	if srv.Requests() != before {
		t.Fatal("requests sent with a mismatched state")
	}
}

func TestDryRunSendsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(20)
	loc := writeRun(t, t.TempDir(), "parquet", f)
	srv := newServer(t, uploadtest.Options{})
	state := filepath.Join(t.TempDir(), "state.json")
	var out strings.Builder
	opts := Options{DryRun: true, StatePath: state, ChunkRows: 10, Out: &out}
	res, err := Upload(context.Background(), openRun(t, loc), opts)
	if err != nil {
		t.Fatal(err)
	}
	we, wr := wantRows(t, f, "acme")
	if res.Entities.Rows != len(we) || res.Relations.Rows != len(wr) || res.Entities.Sent != 0 {
		t.Fatalf("dry run result %+v, want %d entities %d relations", res, len(we), len(wr))
	}
	if !strings.Contains(out.String(), "entities-00000: 10 rows") || !strings.Contains(out.String(), "would be sent") || !strings.Contains(out.String(), "relations-00000") {
		t.Fatalf("dry-run output:\n%s", out.String())
	}
	if srv.Requests() != 0 {
		t.Fatal("dry run sent requests")
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Fatalf("dry run wrote a state file: %v", err)
	}
}
