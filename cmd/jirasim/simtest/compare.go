package simtest

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
)

// Diff is what differs between a run and the truth.
type Diff struct {
	Missing    []string // in the truth, not in the run
	Extra      []string // in the run, not in the truth
	Changed    []string // same key, different fields
	Duplicates []string // keys the run holds more than once
	Entities   int      // entity rows read from the run
	Relations  int      // relation rows read from the run
}

// Empty reports whether the run equals the truth.
func (d Diff) Empty() bool {
	return len(d.Missing)+len(d.Extra)+len(d.Changed)+len(d.Duplicates) == 0
}

// String summarises the diff with at most a few examples of each problem.
func (d Diff) String() string {
	if d.Empty() {
		return fmt.Sprintf("run equals truth (%d entities, %d relations)", d.Entities, d.Relations)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "run differs from truth: %d missing, %d extra, %d changed, %d duplicated",
		len(d.Missing), len(d.Extra), len(d.Changed), len(d.Duplicates))
	for _, part := range []struct {
		name string
		keys []string
	}{{"missing", d.Missing}, {"extra", d.Extra}, {"changed", d.Changed}, {"duplicated", d.Duplicates}} {
		for i, k := range part.keys {
			if i == 5 {
				fmt.Fprintf(&b, "\n  %s: ... and %d more", part.name, len(part.keys)-5)
				break
			}
			fmt.Fprintf(&b, "\n  %s: %q", part.name, k)
		}
	}
	return b.String()
}

// Compare reads the run at run (a folder, file:// URL or s3:// URL) and compares it with the truth.
func Compare(ctx context.Context, run string, entities []model.Entity, relations []model.Relation) (Diff, error) {
	loc, err := location.Parse(run)
	if err != nil {
		return Diff{}, fmt.Errorf("run location: %w", err)
	}
	rr, err := output.OpenRun(ctx, loc, nil)
	if err != nil {
		return Diff{}, fmt.Errorf("open run %s: %w", run, err)
	}
	return CompareReader(ctx, rr, entities, relations)
}

// RequireTruth fails the test unless the opened run rr holds exactly the
// entities and relations of truth.
func RequireTruth(tb testing.TB, ctx context.Context, rr *output.RunReader, truth sim.Truth) {
	tb.Helper()
	diff, err := CompareReader(ctx, rr, truth.Entities, truth.Relations)
	if err != nil {
		tb.Fatal(err)
	}
	if !diff.Empty() {
		tb.Fatal(diff.String())
	}
}

// CompareReader compares an opened run with the truth.
func CompareReader(ctx context.Context, rr *output.RunReader, entities []model.Entity, relations []model.Relation) (Diff, error) {
	var d Diff
	want := make(map[string]model.Entity, len(entities))
	for _, e := range entities {
		want[e.Key()] = e
	}
	seen := make(map[string]struct{}, len(entities))
	for _, kind := range model.SourceTypes {
		err := rr.ScanEntities(ctx, kind, func(e model.Entity) error {
			d.Entities++
			k := e.Key()
			if _, dup := seen[k]; dup {
				d.Duplicates = append(d.Duplicates, k)
				return nil
			}
			seen[k] = struct{}{}
			w, ok := want[k]
			if !ok {
				d.Extra = append(d.Extra, k)
				return nil
			}
			if why := entityDiff(w, e); why != "" {
				d.Changed = append(d.Changed, k+": "+why)
			}
			return nil
		})
		if err != nil {
			return d, fmt.Errorf("scan %s entities: %w", kind, err)
		}
	}
	for k := range want {
		if _, ok := seen[k]; !ok {
			d.Missing = append(d.Missing, k)
		}
	}
	want, seen = nil, nil

	wantRel := make(map[string]struct{}, len(relations))
	for _, r := range relations {
		wantRel[r.Key()] = struct{}{}
	}
	seenRel := make(map[string]struct{}, len(relations))
	for _, kind := range model.RelationKinds {
		err := rr.ScanRelations(ctx, kind, func(r model.Relation) error {
			d.Relations++
			k := r.Key()
			if _, dup := seenRel[k]; dup {
				d.Duplicates = append(d.Duplicates, k)
				return nil
			}
			seenRel[k] = struct{}{}
			if _, ok := wantRel[k]; !ok {
				d.Extra = append(d.Extra, k)
			}
			return nil
		})
		if err != nil {
			return d, fmt.Errorf("scan %s relations: %w", kind, err)
		}
	}
	for k := range wantRel {
		if _, ok := seenRel[k]; !ok {
			d.Missing = append(d.Missing, k)
		}
	}
	sort.Strings(d.Missing)
	sort.Strings(d.Extra)
	sort.Strings(d.Changed)
	sort.Strings(d.Duplicates)
	return d, nil
}

// entityDiff names the first field that differs, or "" when none does.
func entityDiff(want, got model.Entity) string {
	switch {
	case want.Name != got.Name:
		return fmt.Sprintf("name %q, want %q", got.Name, want.Name)
	case want.Metadata != got.Metadata:
		return fmt.Sprintf("metadata %s, want %s", got.Metadata, want.Metadata)
	}
	for _, c := range model.KindColumns[want.SourceType] {
		w, g := want.Attrs[c.Name], got.Attrs[c.Name]
		if !sameValue(w, g) {
			return fmt.Sprintf("%s %v, want %v", c.Name, g, w)
		}
	}
	return ""
}

// sameValue compares column values; times compare as instants.
func sameValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return reflect.DeepEqual(a, b)
}
