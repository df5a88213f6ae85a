package extractor

import (
	"context"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
)

// Sink is where a run's records go: the meeting point of the fetching side
// and the output side. Implementations are safe for concurrent use; a batch
// holds records of one kind only, and the caller does not touch a batch
// after passing it.
type Sink interface {
	// WriteEntities appends entities of one kind.
	WriteEntities(ctx context.Context, kind model.SourceType, batch []model.Entity) error
	// WriteRelations appends relations of one kind.
	WriteRelations(ctx context.Context, kind model.RelationKind, batch []model.Relation) error
	// Commit flushes every table (an empty kind still gets a file), fills
	// m.Tables, and writes the manifest last. After Commit the run is complete.
	Commit(ctx context.Context, m *manifest.Manifest) error
	// Abort discards what was written where it can; no manifest is written.
	Abort(ctx context.Context) error
}
