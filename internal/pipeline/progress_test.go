package pipeline

import (
	"context"
	"sync"
	"testing"

	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/progress"
)

// firstWriteSink records the tracker's row counts when the sink is first
// written to.
type firstWriteSink struct {
	*memSink
	track *progress.Tracker
	once  sync.Once
	rows  map[string]int64
}

func (s *firstWriteSink) seen() { s.once.Do(func() { s.rows = s.track.Snapshot().Rows }) }

func (s *firstWriteSink) WriteEntities(ctx context.Context, k model.SourceType, b []model.Entity) error {
	s.seen()
	return s.memSink.WriteEntities(ctx, k, b)
}

func (s *firstWriteSink) WriteRelations(ctx context.Context, k model.RelationKind, b []model.Relation) error {
	s.seen()
	return s.memSink.WriteRelations(ctx, k, b)
}

// TestRowsCountedAsRead: with batches larger than the site nothing reaches
// the sink before the final flush, yet progress must already have counted
// every row (rows are counted as they are read, not per batch written).
func TestRowsCountedAsRead(t *testing.T) {
	f := newFakeSite(300, 20, 15)
	tr := progress.NewTracker(nil)
	s := &firstWriteSink{memSink: newMemSink(t, 1_000_000), track: tr}
	_, err := Run(context.Background(), Options{Concurrency: 4, Source: f, Sink: s,
		BatchRows: 1_000_000, IsNotFound: isStatus(404), IsForbidden: isStatus(403), Tracker: tr})
	if err != nil {
		t.Fatal(err)
	}
	final := tr.Snapshot().Rows
	for _, k := range []string{"user", "group", "project", "member_of", "has_role"} {
		if final[k] == 0 || s.rows[k] != final[k] {
			t.Errorf("%s: %d rows counted before the first write, %d in all", k, s.rows[k], final[k])
		}
	}
}

// TestPhasesCountItems: the groups and projects phases learn their item
// counts from the list endpoints' totals and count every item done.
func TestPhasesCountItems(t *testing.T) {
	f := newFakeSite(120, 60, 130)
	tr := progress.NewTracker(nil)
	_, err := Run(context.Background(), Options{Concurrency: 3, Source: f, Sink: newMemSink(t, 100),
		IsNotFound: isStatus(404), IsForbidden: isStatus(403), Tracker: tr})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]progress.Phase{}
	for _, p := range tr.Snapshot().Phases {
		got[p.Name] = p
		if !p.Finished {
			t.Errorf("phase %s not finished", p.Name)
		}
	}
	if p := got["groups"]; p.Total != 60 || p.Done != 60 {
		t.Errorf("groups phase %+v, want 60 of 60", p)
	}
	if p := got["projects"]; p.Total != 130 || p.Done != 130 {
		t.Errorf("projects phase %+v, want 130 of 130", p)
	}
	if _, ok := got["users"]; !ok {
		t.Errorf("no users phase: %+v", got)
	}
}
