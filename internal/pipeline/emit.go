package pipeline

import (
	"context"
	"fmt"
	"sync"

	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/progress"
)

// emitter buffers rows per kind and hands them to the sink in batches of at
// most size rows; it is the pipeline's only memory that grows with output,
// and it is bounded by kinds × size.
type emitter struct {
	sink   Sink
	filter Filter
	track  *progress.Tracker
	size   int

	mu   sync.Mutex
	ents map[model.SourceType][]model.Entity
	rels map[model.RelationKind][]model.Relation
}

func newEmitter(sink Sink, filter Filter, track *progress.Tracker, size int) *emitter {
	return &emitter{sink: sink, filter: filter, track: track, size: size,
		ents: map[model.SourceType][]model.Entity{}, rels: map[model.RelationKind][]model.Relation{}}
}

// entity queues one entity; kinds the job does not want are dropped. Rows
// are counted for progress as they are read (a lock-free add), not per batch.
func (e *emitter) entity(ctx context.Context, x model.Entity) error {
	if !e.filter.WantsEntity(x.SourceType) {
		return nil
	}
	e.track.AddRows(string(x.SourceType), 1)
	return queue(ctx, e, &e.ents, x.SourceType, x, "entities", e.sink.WriteEntities)
}

// relation queues one relation; kinds the job does not want are dropped.
func (e *emitter) relation(ctx context.Context, x model.Relation) error {
	if !e.filter.WantsRelation(x.Kind) {
		return nil
	}
	e.track.AddRows(string(x.Kind), 1)
	return queue(ctx, e, &e.rels, x.Kind, x, "relations", e.sink.WriteRelations)
}

// flush writes every partly filled batch.
func (e *emitter) flush(ctx context.Context) error {
	e.mu.Lock()
	ents, rels := e.ents, e.rels
	e.ents, e.rels = map[model.SourceType][]model.Entity{}, map[model.RelationKind][]model.Relation{}
	e.mu.Unlock()
	if err := flushAll(ctx, e, model.SourceTypes, ents, "entities", e.sink.WriteEntities); err != nil {
		return err
	}
	return flushAll(ctx, e, model.RelationKinds, rels, "relations", e.sink.WriteRelations)
}

// queue appends x to the batch of its kind in *bufs (a map of e, read under
// e.mu since flush swaps it) and writes the batch with write once it holds
// e.size rows; what names the rows in errors.
func queue[K ~string, T any](ctx context.Context, e *emitter, bufs *map[K][]T, kind K, x T, what string, write func(context.Context, K, []T) error) error {
	e.mu.Lock()
	buf := append((*bufs)[kind], x)
	var full []T
	if len(buf) >= e.size {
		full, buf = buf, make([]T, 0, e.size)
	}
	(*bufs)[kind] = buf
	e.mu.Unlock()
	if full == nil {
		return nil
	}
	return writeBatch(ctx, e, kind, full, what, write)
}

// flushAll writes the non-empty batches of bufs in the order of kinds.
func flushAll[K ~string, T any](ctx context.Context, e *emitter, kinds []K, bufs map[K][]T, what string, write func(context.Context, K, []T) error) error {
	for _, k := range kinds {
		if b := bufs[k]; len(b) > 0 {
			if err := writeBatch(ctx, e, k, b, what, write); err != nil {
				return err
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
