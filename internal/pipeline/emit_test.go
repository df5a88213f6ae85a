package pipeline

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/govextract/jira-extractor/internal/model"
)

// gateSink holds every WriteRelations call until open is closed, counting
// the calls in the sink at once and the rows they hold.
type gateSink struct {
	open                chan struct{}
	mu                  sync.Mutex
	inSink, maxInSink   int
	rowsInSink, written int
}

func (s *gateSink) WriteEntities(context.Context, model.SourceType, []model.Entity) error { return nil }

func (s *gateSink) WriteRelations(ctx context.Context, kind model.RelationKind, batch []model.Relation) error {
	s.mu.Lock()
	s.inSink++
	s.maxInSink = max(s.maxInSink, s.inSink)
	s.rowsInSink += len(batch)
	s.mu.Unlock()
	<-s.open
	s.mu.Lock()
	s.inSink--
	s.rowsInSink -= len(batch)
	s.written += len(batch)
	s.mu.Unlock()
	return nil
}

// While the sink is slow, producers of one kind do not each take a full
// batch of their own: two batches are in the sink, one fills, and the
// producers that find it full wait with one row each.
func TestEmitterBoundedWhileSinkBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const size, producers, each = 100, 32, 400
		sink := &gateSink{open: make(chan struct{})}
		e := newEmitter(sink, Filter{}, nil, size)
		ctx := context.Background()
		errs := make(chan error, producers)
		for p := range producers {
			go func() {
				for i := range each {
					if err := e.relation(ctx, model.MemberOfRel(fmt.Sprintf("acc-%d-%d", p, i), "g")); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		synctest.Wait() // every producer is blocked: in the sink or on the kind's sink slots
		e.mu.Lock()
		buffered := len(e.rels[model.MemberOf].rows)
		e.mu.Unlock()
		sink.mu.Lock()
		inSink, rowsInSink := sink.inSink, sink.rowsInSink
		sink.mu.Unlock()
		if inSink != sinkSlots || rowsInSink != sinkSlots*size {
			t.Errorf("%d calls holding %d rows in the sink while it is busy, want %d calls of %d rows", inSink, rowsInSink, sinkSlots, size)
		}
		if buffered > size+producers {
			t.Errorf("%d rows buffered while the sink is busy, want at most %d (a batch and a row per producer)", buffered, size+producers)
		}
		close(sink.open)
		for range producers {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if err := e.flush(ctx); err != nil {
			t.Fatal(err)
		}
		if sink.written != producers*each || sink.maxInSink != sinkSlots {
			t.Errorf("wrote %d rows with up to %d calls at once, want %d rows and at most %d calls", sink.written, sink.maxInSink, producers*each, sinkSlots)
		}
	})
}
