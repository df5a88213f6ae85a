package output

import (
	"context"
	"reflect"
	"testing"

	"github.com/govextract/jira-extractor/internal/model"
)

// A run writing many tables at once holds about its memory budget of Arrow
// memory, not a batch per table: the largest tables are cut early, and
// every row still reads back.
func TestBudgetBoundsArrowMemory(t *testing.T) {
	const rows = 2500 // below the batch size: without a budget every table holds all its rows
	ents := map[model.SourceType][]model.Entity{}
	for _, k := range model.SourceTypes {
		ents[k] = makeEntities(k, rows)
	}
	rels := map[model.RelationKind][]model.Relation{}
	for _, k := range model.RelationKinds {
		rels[k] = makeRelations(k, 2*rows)
	}
	run := func(budget int64) (peak int64, parts int) {
		ctx := context.Background()
		tune, mem := checkedTune()
		tune.budget = budget
		r, err := Create(ctx, withRun(outputCfg(t.TempDir(), "parquet", "zstd", 0), "R", tune))
		if err != nil {
			t.Fatal(err)
		}
		writeAll(t, r, ents, rels, 500)
		m := newManifest("R")
		if err := r.Commit(ctx, m); err != nil {
			t.Fatal(err)
		}
		rr, err := openRun(ctx, r.Location(), nil, tune)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range model.SourceTypes {
			assertEntities(t, k, ents[k], scanAllEntities(t, rr, k))
		}
		for _, k := range model.RelationKinds {
			got, want := scanAllRelations(t, rr, k), append([]model.Relation(nil), rels[k]...)
			sortRelations(got)
			sortRelations(want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("budget %d: %s relations differ", budget, k)
			}
		}
		mem.AssertSize(t, 0)
		for _, tb := range m.Tables {
			parts += len(tb.Files)
		}
		return r.budget.mem.peak.Load(), parts
	}
	bigPeak, bigParts := run(1 << 40)
	const small = 512 << 10
	smallPeak, smallParts := run(small)
	t.Logf("Arrow peak %.1f MiB in %d parts without a budget, %.1f MiB in %d parts with 512 KiB", float64(bigPeak)/(1<<20), bigParts, float64(smallPeak)/(1<<20), smallParts)
	if bigParts != len(Schemas()) {
		t.Fatalf("without a budget: %d parts, want one per table (%d)", bigParts, len(Schemas()))
	}
	if smallParts <= bigParts {
		t.Errorf("with a 512 KiB budget: %d parts, want tables cut early (more than %d)", smallParts, bigParts)
	}
	if smallPeak > 6*small || smallPeak > bigPeak/3 {
		t.Errorf("with a 512 KiB budget the run held %d bytes of Arrow memory at most (%d without), want at most %d", smallPeak, bigPeak, 6*small)
	}
}
