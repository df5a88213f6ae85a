package access

import (
	"context"

	"github.com/govextract/jira-extractor/internal/model"
)

// RowWriter is where a run's rows go (the pipeline's sink).
type RowWriter interface {
	WriteEntities(ctx context.Context, kind model.SourceType, batch []model.Entity) error
	WriteRelations(ctx context.Context, kind model.RelationKind, batch []model.Relation) error
}

// Tee returns a RowWriter that adds every batch to b, then passes it on to w:
// the index is built from the rows as the run writes them.
func Tee(w RowWriter, b *Builder) RowWriter { return tee{w: w, b: b} }

type tee struct {
	w RowWriter
	b *Builder
}

func (t tee) WriteEntities(ctx context.Context, kind model.SourceType, batch []model.Entity) error {
	t.b.AddEntities(kind, batch)
	return t.w.WriteEntities(ctx, kind, batch)
}

func (t tee) WriteRelations(ctx context.Context, kind model.RelationKind, batch []model.Relation) error {
	t.b.AddRelations(kind, batch)
	return t.w.WriteRelations(ctx, kind, batch)
}
