package output

import (
	"context"
	"fmt"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
)

// SourceKinds are the kinds a second source (a SCIM directory) writes
// beside the Jira tables of a run that reads both.
var SourceKinds = struct {
	Entities  []model.SourceType
	Relations []model.RelationKind
}{[]model.SourceType{model.User, model.Group}, []model.RelationKind{model.MemberOf}}

// SourceTableName is the manifest name of a kind's table of source src in
// a run that reads more than one source: "scim.user".
func SourceTableName(src, kind string) string { return src + "." + kind }

// SourceSchemas lists the tables of source src in a run that reads more
// than one source: its kinds' tables in the folder SRC/ (e.g.
// scim/entities/source_type=user), named SRC.KIND, with Source set.
func SourceSchemas(src string) []TableSchema {
	var out []TableSchema
	for _, k := range SourceKinds.Entities {
		out = append(out, TableSchema{Name: SourceTableName(src, string(k)), Kind: manifest.KindEntity, Dir: src + "/" + entityDir(k),
			Columns: model.EntityColumns(k), Schema: EntitySchema(k), Source: src})
	}
	for _, k := range SourceKinds.Relations {
		out = append(out, TableSchema{Name: SourceTableName(src, string(k)), Kind: manifest.KindRelation, Dir: src + "/" + relationDir(k),
			Columns: model.RelationColumns, Schema: RelationSchema(), Source: src})
	}
	return out
}

// schemas are the run's tables: every kind (with the run's Source), then
// each extra source's.
func (r *Writer) schemas() []TableSchema {
	out := Schemas()
	for i := range out {
		out[i].Source = r.opts.Source
	}
	for _, s := range r.opts.ExtraSources {
		out = append(out, SourceSchemas(s)...)
	}
	return out
}

// SourceWriter writes one extra source's rows into its own tables.
type SourceWriter struct {
	r   *Writer
	src string
}

// Source returns the writer of an extra source's tables (one of
// Options.ExtraSources).
func (r *Writer) Source(src string) *SourceWriter { return &SourceWriter{r: r, src: src} }

// WriteEntities appends entities of one kind to the source's table.
func (s *SourceWriter) WriteEntities(ctx context.Context, kind model.SourceType, batch []model.Entity) error {
	t := s.r.extra[SourceTableName(s.src, string(kind))]
	if t == nil {
		return fmt.Errorf("write %s entities: source %q has no such table", kind, s.src)
	}
	return s.r.write(ctx, t, len(batch), func(i int) error { return t.b.appendEntity(kind, batch[i]) })
}

// WriteRelations appends relations of one kind to the source's table.
func (s *SourceWriter) WriteRelations(ctx context.Context, kind model.RelationKind, batch []model.Relation) error {
	t := s.r.extra[SourceTableName(s.src, string(kind))]
	if t == nil {
		return fmt.Errorf("write %s relations: source %q has no such table", kind, s.src)
	}
	return s.r.write(ctx, t, len(batch), func(i int) error { return t.b.appendRelation(kind, batch[i]) })
}

// extraSourceSchemas are the tables of the extra sources a manifest names
// (tables named SRC.KIND with a source).
func extraSourceSchemas(m *manifest.Manifest) []TableSchema {
	seen := map[string]bool{}
	var out []TableSchema
	for _, t := range m.Tables {
		if t.Source != "" && t.Name == SourceTableName(t.Source, t.Name[min(len(t.Name), len(t.Source)+1):]) && !seen[t.Source] {
			seen[t.Source] = true
			out = append(out, SourceSchemas(t.Source)...)
		}
	}
	return out
}
