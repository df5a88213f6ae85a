package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
)

// timestampType is the Arrow type of timestamp columns.
var timestampType = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}

// ArrowType maps a model column type to its Arrow type.
func ArrowType(t model.ColumnType) arrow.DataType {
	switch t {
	case model.String:
		return arrow.BinaryTypes.String
	case model.Bool:
		return arrow.FixedWidthTypes.Boolean
	case model.Int64:
		return arrow.PrimitiveTypes.Int64
	case model.Timestamp:
		return timestampType
	}
	panic(fmt.Sprintf("output: unknown column type %q", t))
}

// SchemaOf is the Arrow schema of columns, in their order.
func SchemaOf(cols []model.Column) *arrow.Schema { return schemaOf(cols) }

func schemaOf(cols []model.Column) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: ArrowType(c.Type), Nullable: c.Nullable}
	}
	return arrow.NewSchema(fields, nil)
}

// EntitySchema is the Arrow schema of an entity kind's table: the common
// columns, then the kind's typed columns (model.EntityColumns).
func EntitySchema(kind model.SourceType) *arrow.Schema { return schemaOf(model.EntityColumns(kind)) }

// RelationSchema is the Arrow schema of every relation table.
func RelationSchema() *arrow.Schema { return schemaOf(model.RelationColumns) }

// TableSchema describes one output table.
type TableSchema struct {
	Name    string         // the kind: "user", "member_of", ...
	Kind    string         // manifest.KindEntity or manifest.KindRelation
	Dir     string         // folder inside the run: "entities/source_type=user"
	Columns []model.Column // in file order
	Schema  *arrow.Schema  // the Arrow schema of the files
	// Source is the manifest's source of the table ("" for one-source
	// runs; see SourceSchemas).
	Source string
}

// Schemas lists every output table in manifest order: entity kinds, then
// relation kinds.
func Schemas() []TableSchema {
	var out []TableSchema
	for _, k := range model.SourceTypes {
		out = append(out, TableSchema{Name: string(k), Kind: manifest.KindEntity, Dir: entityDir(k), Columns: model.EntityColumns(k), Schema: EntitySchema(k)})
	}
	for _, k := range model.AllRelationKinds() {
		out = append(out, TableSchema{Name: string(k), Kind: manifest.KindRelation, Dir: relationDir(k), Columns: model.RelationColumns, Schema: RelationSchema()})
	}
	return out
}

func entityDir(k model.SourceType) string     { return "entities/source_type=" + string(k) }
func relationDir(k model.RelationKind) string { return "relations/relation=" + string(k) }

// ChangeTableSchema describes the change set of an incremental run or of
// diff (the folder changes/; its files are listed in the manifest's
// "changes", not among its tables).
func ChangeTableSchema() TableSchema {
	return TableSchema{Name: ChangesDir, Kind: "change", Dir: ChangesDir, Columns: ChangeColumns, Schema: ChangeSchema()}
}

// DescribeTables prints tables for `jira-extractor schema`: per table its
// folder and each column's name, Arrow type, nullability and doc.
func DescribeTables(w io.Writer, tables []TableSchema) error {
	var b strings.Builder
	b.WriteString("Output tables (Parquet and CSV files have the same columns in the same order):\n")
	for _, t := range tables {
		fmt.Fprintf(&b, "\n%s %s  (%s/part-NNNNN.{parquet,csv,csv.gz})\n", t.Kind, t.Name, t.Dir)
		for i, c := range t.Columns {
			null := "not null"
			if c.Nullable {
				null = "nullable"
			}
			fmt.Fprintf(&b, "  %-16s %-22s %-9s %s\n", c.Name, t.Schema.Field(i).Type.String(), null, c.Doc)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
