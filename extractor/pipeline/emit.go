package pipeline

import (
	"context"
	"fmt"
	"sync"

	"github.com/govextract/jira-extractor/extractor/config"
	"github.com/govextract/jira-extractor/extractor/model"
	"github.com/govextract/jira-extractor/extractor/progress"
)

// emitter buffers rows per kind and hands them to the sink in batches of at
// most size rows; it is the pipeline's only memory that grows with output,
// and it is bounded by kinds × size.
type emitter struct {
	sink  Sink
	app   config.AppConfig
	track *progress.Tracker
	size  int

	mu   sync.Mutex
	ents map[model.SourceType][]model.Entity
	rels map[model.RelationKind][]model.Relation
}

func newEmitter(sink Sink, app config.AppConfig, track *progress.Tracker, size int) *emitter {
	return &emitter{sink: sink, app: app, track: track, size: size,
		ents: map[model.SourceType][]model.Entity{}, rels: map[model.RelationKind][]model.Relation{}}
}

// entity queues one entity; kinds the job does not want are dropped.
func (e *emitter) entity(ctx context.Context, x model.Entity) error {
	if !e.app.WantsEntity(x.SourceType) {
		return nil
	}
	e.mu.Lock()
	buf := append(e.ents[x.SourceType], x)
	var full []model.Entity
	if len(buf) >= e.size {
		full, buf = buf, make([]model.Entity, 0, e.size)
	}
	e.ents[x.SourceType] = buf
	e.mu.Unlock()
	if e.track != nil {
		e.track.AddRows(string(x.SourceType), 1)
	}
	if full != nil {
		if err := e.sink.WriteEntities(ctx, x.SourceType, full); err != nil {
			return fmt.Errorf("write %s entities: %w", x.SourceType, err)
		}
	}
	return nil
}

// relation queues one relation; kinds the job does not want are dropped.
func (e *emitter) relation(ctx context.Context, x model.Relation) error {
	if !e.app.WantsRelation(x.Kind) {
		return nil
	}
	e.mu.Lock()
	buf := append(e.rels[x.Kind], x)
	var full []model.Relation
	if len(buf) >= e.size {
		full, buf = buf, make([]model.Relation, 0, e.size)
	}
	e.rels[x.Kind] = buf
	e.mu.Unlock()
	if e.track != nil {
		e.track.AddRows(string(x.Kind), 1)
	}
	if full != nil {
		if err := e.sink.WriteRelations(ctx, x.Kind, full); err != nil {
			return fmt.Errorf("write %s relations: %w", x.Kind, err)
		}
	}
	return nil
}

// flush writes every partly filled batch.
func (e *emitter) flush(ctx context.Context) error {
	e.mu.Lock()
	ents, rels := e.ents, e.rels
	e.ents, e.rels = map[model.SourceType][]model.Entity{}, map[model.RelationKind][]model.Relation{}
	e.mu.Unlock()
	for _, k := range model.SourceTypes {
		if b := ents[k]; len(b) > 0 {
			if err := e.sink.WriteEntities(ctx, k, b); err != nil {
				return fmt.Errorf("write %s entities: %w", k, err)
			}
		}
	}
	for _, k := range model.RelationKinds {
		if b := rels[k]; len(b) > 0 {
			if err := e.sink.WriteRelations(ctx, k, b); err != nil {
				return fmt.Errorf("write %s relations: %w", k, err)
			}
		}
	}
	return nil
}
