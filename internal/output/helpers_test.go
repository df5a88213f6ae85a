package output

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
)

// hostile are strings that break naive CSV writers and readers.
var hostile = []string{
	"plain",
	"comma, inside",
	`"quoted" and "" doubled`,
	"line1\nline2",
	"lone\rcarriage",
	"emoji 👩‍💻🚀 and flags 🇫🇷",
	"NFD e\u0301 a\u0308 vs NFC é ä",
	" leading and trailing ",
	`\.`,
	"NULL",
	"null",
	"tab\tseparated;semi",
	"\ufeffbom start",
	`back\slash`,
	"'single' quotes",
	"中文 العربية עברית",
}

var tsBase = time.Date(1969, 12, 31, 23, 59, 0, 0, time.UTC)

// makeEntities builds n entities of kind with every column type, nulls in
// every nullable column now and then, and hostile strings.
func makeEntities(kind model.SourceType, n int) []model.Entity {
	out := make([]model.Entity, n)
	for i := range out {
		attrs := map[string]any{}
		for j, c := range model.KindColumns[kind] {
			if c.Nullable && (i+j)%3 == 0 {
				continue
			}
			switch c.Type {
			case model.String:
				attrs[c.Name] = hostile[(i+j)%len(hostile)] + " #" + strconv.Itoa(i)
			case model.Bool:
				attrs[c.Name] = (i+j)%2 == 0
			case model.Int64:
				attrs[c.Name] = int64(i*7919-3) * int64(j+1)
			case model.Timestamp:
				attrs[c.Name] = tsBase.Add(time.Duration(i)*time.Hour + time.Duration(i%1000)*time.Millisecond)
			}
		}
		out[i] = model.Entity{
			SourceType: kind,
			SourceID:   fmt.Sprintf("%s-%05d", kind, i),
			Name:       hostile[i%len(hostile)],
			Attrs:      attrs,
			Metadata:   model.JSON(map[string]any{"note": hostile[(i+3)%len(hostile)], "i": i}),
		}
	}
	return out
}

func makeRelations(kind model.RelationKind, n int) []model.Relation {
	out := make([]model.Relation, n)
	for i := range out {
		from := "user"
		id := fmt.Sprintf("acc-%d", i)
		if i%5 == 0 {
			from, id = "anyone", "" // a special holder: empty id, not null
		}
		out[i] = model.Relation{Kind: kind, FromType: from, FromID: id, ToType: "group",
			ToID: hostile[i%len(hostile)] + strconv.Itoa(i), Metadata: model.JSON(map[string]any{"permission": hostile[(i+1)%len(hostile)]})}
	}
	return out
}

// writeAll writes ents and rels concurrently, one goroutine per kind, in
// batches of batch.
func writeAll(t *testing.T, r *Writer, ents map[model.SourceType][]model.Entity, rels map[model.RelationKind][]model.Relation, batch int) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for k, es := range ents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < len(es); i += batch {
				if err := r.WriteEntities(ctx, k, es[i:min(i+batch, len(es))]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for k, rs := range rels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < len(rs); i += batch {
				if err := r.WriteRelations(ctx, k, rs[i:min(i+batch, len(rs))]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("write: %v", err)
	}
}

func newManifest(runID string) *manifest.Manifest {
	return &manifest.Manifest{SchemaVersion: manifest.SchemaVersion, RunID: runID, Site: "acme", Status: manifest.StatusComplete,
		StartedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), FinishedAt: time.Date(2025, 1, 2, 3, 5, 5, 0, time.UTC)}
}

// checkedTune returns test knobs with a checked allocator.
func checkedTune() (*tuning, *memory.CheckedAllocator) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	return &tuning{mem: mem}, mem
}

// outputCfg returns owner-only output options for dest (a zero
// Destination when dest does not parse, as a caller that skipped parsing
// would pass).
func outputCfg(dest, format, compression string, batchRows int) Options {
	loc, _ := location.Parse(dest)
	return Options{Destination: loc, Format: format, Compression: compression, BatchRows: batchRows, OwnerOnly: true}
}

// withRun returns o writing run runID with the test knobs tune.
func withRun(o Options, runID string, tune *tuning) Options {
	o.RunID, o.tune = runID, tune
	return o
}

// wantEntity is what a written entity reads back as: nullable empty strings
// and zero times are nulls (absent).
func wantEntity(e model.Entity) model.Entity {
	attrs := map[string]any{}
	for _, c := range model.KindColumns[e.SourceType] {
		v, ok := e.Attrs[c.Name]
		if !ok || v == nil {
			continue
		}
		if s, isStr := v.(string); isStr && s == "" && c.Nullable {
			continue
		}
		if tm, isTime := v.(time.Time); isTime {
			v = tm.UTC().Truncate(time.Millisecond)
		}
		attrs[c.Name] = v
	}
	e.Attrs = attrs
	return e
}

func scanAllEntities(t *testing.T, rr *RunReader, kind model.SourceType) []model.Entity {
	t.Helper()
	var got []model.Entity
	if err := rr.ScanEntities(context.Background(), kind, func(e model.Entity) error { got = append(got, e); return nil }); err != nil {
		t.Fatalf("scan %s: %v", kind, err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].SourceID < got[j].SourceID })
	return got
}

func scanAllRelations(t *testing.T, rr *RunReader, kind model.RelationKind) []model.Relation {
	t.Helper()
	var got []model.Relation
	if err := rr.ScanRelations(context.Background(), kind, func(r model.Relation) error { got = append(got, r); return nil }); err != nil {
		t.Fatalf("scan %s: %v", kind, err)
	}
	return got
}

func sortRelations(rs []model.Relation) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Key() < rs[j].Key() })
}

func assertEntities(t *testing.T, kind model.SourceType, want, got []model.Entity) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: read %d rows, wrote %d", kind, len(got), len(want))
	}
	for i := range want {
		w := wantEntity(want[i])
		if !reflect.DeepEqual(w, got[i]) {
			t.Fatalf("%s row %d differs:\nwant %#v\ngot  %#v", kind, i, w, got[i])
		}
	}
}
