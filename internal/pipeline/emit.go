package pipeline

import (
	"context"
	"fmt"
	"sync"

	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/progress"
)

// emitter buffers rows per kind and hands them to the sink in batches of at
// most size rows. It is the pipeline's only memory that grows with output,
// and it is bounded by kinds × (3 × size + producers) rows, however many
// producers there are: per kind at most two batches are in the sink at once
// (one may be waiting for its part file to be written while the other is
// appended) and one fills; producers that find it full wait with one row
// each for a sink slot, instead of each taking a full batch of its own
// while the sink is busy (the sink slows writers down when its memory
// budget is used up, and a goroutine per group could otherwise each hold a
// batch).
type emitter struct {
	sink   Sink
	filter Filter
	track  *progress.Tracker
	size   int

	mu   sync.Mutex
	ents map[model.SourceType]*kindBuf[model.Entity]
	rels map[model.RelationKind]*kindBuf[model.Relation]
}

// sinkSlots is how many batches of one kind may be in the sink at once.
const sinkSlots = 2

// kindBuf is the batch being filled for one kind.
type kindBuf[T any] struct {
	rows    []T           // guarded by emitter.mu
	writing chan struct{} // sinkSlots: one held while a batch of the kind goes to the sink
}

func newEmitter(sink Sink, filter Filter, track *progress.Tracker, size int) *emitter {
	return &emitter{sink: sink, filter: filter, track: track, size: size,
		ents: map[model.SourceType]*kindBuf[model.Entity]{}, rels: map[model.RelationKind]*kindBuf[model.Relation]{}}
}

// entity queues one entity; kinds the job does not want are dropped. Rows
// are counted for progress as they are read (a lock-free add), not per batch.
func (e *emitter) entity(ctx context.Context, x model.Entity) error {
	if !e.filter.WantsEntity(x.SourceType) {
		return nil
	}
	e.track.AddRows(string(x.SourceType), 1)
	return queue(ctx, e, e.ents, x.SourceType, x, "entities", e.sink.WriteEntities)
}

// relation queues one relation; kinds the job does not want are dropped.
func (e *emitter) relation(ctx context.Context, x model.Relation) error {
	if !e.filter.WantsRelation(x.Kind) {
		return nil
	}
	e.track.AddRows(string(x.Kind), 1)
	return queue(ctx, e, e.rels, x.Kind, x, "relations", e.sink.WriteRelations)
}

// flush writes every partly filled batch, in model order. Called once the
// producers are done.
func (e *emitter) flush(ctx context.Context) error {
	if err := flushAll(ctx, e, model.SourceTypes, e.ents, "entities", e.sink.WriteEntities); err != nil {
		return err
	}
	return flushAll(ctx, e, model.RelationKinds, e.rels, "relations", e.sink.WriteRelations)
}

// queue appends x to the batch of its kind in bufs (a map of e, guarded by
// e.mu). When the batch is full, the caller waits for one of the kind's sink
// slots and then writes a full batch, unless an earlier waiter took it;
// what names the rows in errors.
func queue[K ~string, T any](ctx context.Context, e *emitter, bufs map[K]*kindBuf[T], kind K, x T, what string, write func(context.Context, K, []T) error) error {
	e.mu.Lock()
	kb := bufs[kind]
	if kb == nil {
		kb = &kindBuf[T]{rows: make([]T, 0, e.size), writing: make(chan struct{}, sinkSlots)}
		bufs[kind] = kb
	}
	kb.rows = append(kb.rows, x)
	full := len(kb.rows) >= e.size
	e.mu.Unlock()
	if !full {
		return nil
	}
	select {
	case kb.writing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-kb.writing }()
	batch := take(e, kb, e.size)
	if batch == nil {
		return nil // taken by an earlier waiter
	}
	return writeBatch(ctx, e, kind, batch, what, write)
}

// take removes the first n rows of kb if it holds n or more (n > 0), or
// all of them if n is 0; nil when there is nothing to take.
func take[T any](e *emitter, kb *kindBuf[T], n int) []T {
	e.mu.Lock()
	defer e.mu.Unlock()
	if n == 0 {
		n = len(kb.rows)
	}
	if n == 0 || len(kb.rows) < n {
		return nil
	}
	batch := kb.rows
	rest := make([]T, 0, e.size)
	kb.rows = append(rest, batch[n:]...)
	return batch[:n:n]
}

// flushAll writes what is left in bufs, kind by kind in the order of kinds,
// in batches of at most e.size rows.
func flushAll[K ~string, T any](ctx context.Context, e *emitter, kinds []K, bufs map[K]*kindBuf[T], what string, write func(context.Context, K, []T) error) error {
	for _, k := range kinds {
		e.mu.Lock()
		kb := bufs[k]
		e.mu.Unlock()
		if kb == nil {
			continue
		}
		for {
			batch := take(e, kb, 0)
			if batch == nil {
				break
			}
			for len(batch) > 0 {
				n := min(len(batch), e.size)
				if err := writeBatch(ctx, e, k, batch[:n:n], what, write); err != nil {
					return err
				}
				batch = batch[n:]
			}
		}
	}
	return nil
}

// writeBatch writes one batch of kind, naming the kind and what in errors.
func writeBatch[K ~string, T any](ctx context.Context, e *emitter, kind K, batch []T, what string, write func(context.Context, K, []T) error) error {
	if err := write(ctx, kind, batch); err != nil {
		return fmt.Errorf("write %s %s: %w", kind, what, err)
	}
	return nil
}
