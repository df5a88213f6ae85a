package output

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/csv"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
)

// TestRoundTrip writes every kind across several part files in every
// format and codec, then reads it back with arrow-go's Parquet and CSV
// readers and compares row for row.
func TestRoundTrip(t *testing.T) {
	cases := []struct{ format, compression, ext string }{
		{"parquet", "zstd", ".parquet"},
		{"parquet", "snappy", ".parquet"},
		{"parquet", "gzip", ".parquet"},
		{"parquet", "none", ".parquet"},
		{"csv", "none", ".csv"},
		{"csv", "gzip", ".csv.gz"},
	}
	const rows, batchRows = 23, 7 // 4 part files per kind: 7+7+7+2
	ents := map[model.SourceType][]model.Entity{}
	for _, k := range model.SourceTypes {
		ents[k] = makeEntities(k, rows)
	}
	rels := map[model.RelationKind][]model.Relation{}
	for _, k := range model.AllRelationKinds() {
		rels[k] = makeRelations(k, rows)
	}
	for _, tc := range cases {
		t.Run(tc.format+"-"+tc.compression, func(t *testing.T) {
			ctx := context.Background()
			tune, mem := checkedTune()
			dest := t.TempDir()
			r, err := Create(ctx, withRun(outputCfg(dest, tc.format, tc.compression, batchRows), "RUN1", tune))
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dest, "RUN1"); r.Location().String() != want {
				t.Fatalf("Location %q, want %q", r.Location(), want)
			}
			writeAll(t, r, ents, rels, 5)
			m := newManifest("RUN1")
			if err := r.Commit(ctx, m); err != nil {
				t.Fatal(err)
			}
			if m.Format != tc.format || m.Compression != tc.compression {
				t.Fatalf("manifest format %s/%s", m.Format, m.Compression)
			}
			checkManifestTables(t, m, rows, 4, tc.ext)

			rr, err := openRun(ctx, r.Location(), nil, tune)
			if err != nil {
				t.Fatal(err)
			}
			if err := rr.Verify(ctx); err != nil {
				t.Fatal(err)
			}
			for _, k := range model.SourceTypes {
				assertEntities(t, k, ents[k], scanAllEntities(t, rr, k))
			}
			for _, k := range model.AllRelationKinds() {
				got := scanAllRelations(t, rr, k)
				want := append([]model.Relation(nil), rels[k]...)
				sortRelations(got)
				sortRelations(want)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s: relations differ:\nwant %#v\ngot  %#v", k, want[:2], got[:2])
				}
			}
			// Each file carries the typed schema itself.
			for _, ts := range Schemas() {
				checkFileSchema(t, filepath.Join(r.Location().String(), filepath.FromSlash(ts.Dir), "part-00000"+tc.ext), ts.Schema)
			}
			mem.AssertSize(t, 0)
		})
	}
}

// checkManifestTables checks order, kinds, rows and part files.
func checkManifestTables(t *testing.T, m *manifest.Manifest, rows int64, parts int, ext string) {
	t.Helper()
	schemas := Schemas()
	if len(m.Tables) != len(schemas) {
		t.Fatalf("manifest has %d tables, want %d", len(m.Tables), len(schemas))
	}
	for i, ts := range schemas {
		mt := m.Tables[i]
		if mt.Name != ts.Name || mt.Kind != ts.Kind {
			t.Fatalf("table %d is %s/%s, want %s/%s", i, mt.Name, mt.Kind, ts.Name, ts.Kind)
		}
		if mt.Rows != rows || len(mt.Files) != parts {
			t.Fatalf("table %s: %d rows in %d files, want %d in %d", mt.Name, mt.Rows, len(mt.Files), rows, parts)
		}
		for p, f := range mt.Files {
			if want := fmt.Sprintf("%s/part-%05d%s", ts.Dir, p, ext); f.Path != want {
				t.Fatalf("file %d of %s is %s, want %s", p, mt.Name, f.Path, want)
			}
			if f.Bytes <= 0 || len(f.SHA256) != 64 {
				t.Fatalf("file %s: bytes %d sha256 %q", f.Path, f.Bytes, f.SHA256)
			}
		}
	}
}

// checkFileSchema reads a part file with arrow-go's own readers and checks
// its columns and types.
func checkFileSchema(t *testing.T, path string, want *arrow.Schema) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	switch {
	case strings.HasSuffix(path, ".parquet"):
		tbl, err := pqarrow.ReadTable(context.Background(), f, nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer tbl.Release()
		if !sameFieldsNullability(tbl.Schema(), want) {
			t.Fatalf("%s: schema\n%s\nwant\n%s", path, tbl.Schema(), want)
		}
	default:
		var in io.Reader = f
		if strings.HasSuffix(path, ".gz") {
			gz, err := gzip.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			in = gz
		}
		b, _ := io.ReadAll(in)
		header := strings.SplitN(string(b), "\n", 2)[0]
		var names []string
		for _, fld := range want.Fields() {
			names = append(names, fld.Name)
		}
		if header != strings.Join(names, ",") {
			t.Fatalf("%s: header %q, want %q", path, header, strings.Join(names, ","))
		}
	}
}

// TestCSVHostileStringsDirect reads a CSV part with a bare arrow csv.Reader
// (no help from this package) and finds every hostile string intact.
func TestCSVHostileStringsDirect(t *testing.T) {
	ctx := context.Background()
	dest := t.TempDir()
	r, err := Create(ctx, withRun(outputCfg(dest, "csv", "none", 1000), "R", nil))
	if err != nil {
		t.Fatal(err)
	}
	var batch []model.Relation
	for i, h := range hostile {
		batch = append(batch, model.Relation{Kind: model.MemberOf, FromType: "user", FromID: h, ToType: "group", ToID: fmt.Sprint(i), Metadata: "{}"})
	}
	if err := r.WriteRelations(ctx, model.MemberOf, batch); err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(ctx, newManifest("R")); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dest, "R", "relations", "relation=member_of", "part-00000.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f, RelationSchema(), csv.WithHeader(true))
	defer cr.Release()
	var got []string
	for cr.Next() {
		col := cr.RecordBatch().Column(2).(*array.String)
		for i := 0; i < col.Len(); i++ {
			got = append(got, col.Value(i))
		}
	}
	if err := cr.Err(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, hostile) {
		t.Fatalf("hostile strings changed:\nwant %q\ngot  %q", hostile, got)
	}
}

// TestCSVCRLFInsideField: a "\r\n" inside a quoted field is written byte
// for byte and read back exactly, although encoding/csv (and so arrow's CSV
// reader) alone would hand it back as "\n". Parquet keeps it too.
func TestCSVCRLFInsideField(t *testing.T) {
	ctx := context.Background()
	names := []string{"windows\r\nline", "ends with CRLF\r\n", "\r\n", "two\r\n\r\nbreaks", "lone\rcarriage\r"}
	for _, format := range []string{"csv", "parquet"} {
		dest := t.TempDir()
		r, err := Create(ctx, withRun(outputCfg(dest, format, "", 10), "R", nil))
		if err != nil {
			t.Fatal(err)
		}
		var es []model.Entity
		for i, n := range names {
			es = append(es, model.NewGroup(fmt.Sprintf("g%d", i), n, ""))
		}
		if err := r.WriteEntities(ctx, model.Group, es); err != nil {
			t.Fatal(err)
		}
		if err := r.Commit(ctx, newManifest("R")); err != nil {
			t.Fatal(err)
		}
		if format == "csv" {
			raw, _ := os.ReadFile(filepath.Join(r.Location().String(), "entities", "source_type=group", "part-00000.csv"))
			if !bytes.Contains(raw, []byte("\"windows\r\nline\"")) {
				t.Fatalf("csv file lost the CR: %q", raw)
			}
		}
		rr, err := OpenRun(ctx, r.Location(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range scanAllEntities(t, rr, model.Group) {
			got = append(got, e.Name)
		}
		if !reflect.DeepEqual(got, names) {
			t.Fatalf("%s read back\n%q\nwant\n%q", format, got, names)
		}
	}
}

// TestCSVNotUTF8 refuses a CSV part holding a byte no UTF-8 text has (the
// reader's stand-in for a carriage return): such a file is not one of ours.
func TestCSVNotUTF8(t *testing.T) {
	ctx := context.Background()
	dest := t.TempDir()
	r, err := Create(ctx, withRun(outputCfg(dest, "csv", "", 10), "R", nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WriteEntities(ctx, model.Group, []model.Entity{model.NewGroup("g1", "PLACEHOLDER", "")}); err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(ctx, newManifest("R")); err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(r.Location().String(), "entities", "source_type=group", "part-00000.csv")
	raw, err := os.ReadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(part, bytes.Replace(raw, []byte("PLACEHOLDER"), []byte("bad\xffbyte"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	rr, err := OpenRun(ctx, r.Location(), nil)
	if err != nil {
		t.Fatal(err)
	}
	err = rr.ScanEntities(ctx, model.Group, func(model.Entity) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "not UTF-8") || !strings.Contains(err.Error(), "part-00000.csv") {
		t.Fatalf("got %v, want a not-UTF-8 error naming the file", err)
	}
}

// TestEmptyKindsGetFiles: kinds without rows still get one valid file with
// their schema and a manifest entry with 0 rows.
func TestEmptyKindsGetFiles(t *testing.T) {
	for _, format := range []string{"parquet", "csv"} {
		t.Run(format, func(t *testing.T) {
			ctx := context.Background()
			tune, mem := checkedTune()
			dest := t.TempDir()
			r, err := Create(ctx, withRun(outputCfg(dest, format, "", 100), "R", tune))
			if err != nil {
				t.Fatal(err)
			}
			users := makeEntities(model.User, 3)
			if err := r.WriteEntities(ctx, model.User, users); err != nil {
				t.Fatal(err)
			}
			m := newManifest("R")
			if err := r.Commit(ctx, m); err != nil {
				t.Fatal(err)
			}
			for _, mt := range m.Tables {
				wantRows := int64(0)
				if mt.Name == "user" {
					wantRows = 3
				}
				if mt.Rows != wantRows || len(mt.Files) != 1 || mt.Files[0].Rows != wantRows {
					t.Fatalf("table %s: %+v", mt.Name, mt)
				}
			}
			ext := ".parquet"
			if format == "csv" {
				ext = ".csv"
			}
			for _, ts := range Schemas() {
				checkFileSchema(t, filepath.Join(r.Location().String(), filepath.FromSlash(ts.Dir), "part-00000"+ext), ts.Schema)
			}
			rr, err := openRun(ctx, r.Location(), nil, tune)
			if err != nil {
				t.Fatal(err)
			}
			if err := rr.Verify(ctx); err != nil {
				t.Fatal(err)
			}
			if got := scanAllEntities(t, rr, model.Project); len(got) != 0 {
				t.Fatalf("empty project table read %d rows", len(got))
			}
			assertEntities(t, model.User, users, scanAllEntities(t, rr, model.User))
			mem.AssertSize(t, 0)
		})
	}
}

// TestFlushByBytes: a small batchBytes cuts part files long before batchRows.
func TestFlushByBytes(t *testing.T) {
	ctx := context.Background()
	dest := t.TempDir()
	out := outputCfg(dest, "parquet", "", 1_000_000)
	out.BatchBytes = 4096
	r, err := Create(ctx, withRun(out, "R", nil))
	if err != nil {
		t.Fatal(err)
	}
	users := makeEntities(model.User, 500)
	if err := r.WriteEntities(ctx, model.User, users); err != nil {
		t.Fatal(err)
	}
	m := newManifest("R")
	if err := r.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	ut := m.Table("user")
	if len(ut.Files) < 5 || ut.Rows != 500 {
		t.Fatalf("want several parts of 500 rows, got %d files, %d rows", len(ut.Files), ut.Rows)
	}
	for _, f := range ut.Files {
		if f.Rows >= 100 {
			t.Fatalf("part %s has %d rows: batchBytes did not cut it", f.Path, f.Rows)
		}
		// One row group per part file.
		pf, err := file.OpenParquetFile(filepath.Join(r.Location().String(), filepath.FromSlash(f.Path)), false)
		if err != nil {
			t.Fatal(err)
		}
		if pf.NumRowGroups() != 1 || pf.NumRows() != f.Rows {
			t.Fatalf("%s: %d row groups, %d rows", f.Path, pf.NumRowGroups(), pf.NumRows())
		}
		pf.Close()
	}
	rr, err := OpenRun(ctx, r.Location(), nil)
	if err != nil {
		t.Fatal(err)
	}
	assertEntities(t, model.User, users, scanAllEntities(t, rr, model.User))
}

// TestManifestFile: manifest.json is indented, deterministic, and last.
func TestManifestFile(t *testing.T) {
	ctx := context.Background()
	var texts [][]byte
	for i := 0; i < 2; i++ {
		dest := t.TempDir()
		r, err := Create(ctx, withRun(outputCfg("file://"+dest, "parquet", "", 10), "R", nil))
		if err != nil {
			t.Fatal(err)
		}
		if r.Location().String() != filepath.Join(dest, "R") {
			t.Fatalf("file:// location %q", r.Location())
		}
		if err := r.WriteEntities(ctx, model.User, makeEntities(model.User, 25)); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dest, "R", manifest.FileName)); !os.IsNotExist(err) {
			t.Fatalf("manifest exists before Commit: %v", err)
		}
		if err := r.Commit(ctx, newManifest("R")); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dest, "R", manifest.FileName))
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, b)
		var m manifest.Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if len(m.Tables) != len(model.SourceTypes)+len(model.AllRelationKinds()) || m.Table("user").Rows != 25 {
			t.Fatalf("manifest tables: %+v", m.Tables)
		}
		if !bytes.Contains(b, []byte("\n  \"tables\": [\n")) || !bytes.Contains(b, []byte(`"warnings": []`)) {
			t.Fatalf("manifest not indented or warnings not a list:\n%s", b)
		}
		// The manifest is the newest file of the run.
		mst, _ := os.Stat(filepath.Join(dest, "R", manifest.FileName))
		_ = filepath.Walk(filepath.Join(dest, "R"), func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() && fi.ModTime().After(mst.ModTime()) {
				t.Errorf("%s is newer than the manifest", p)
			}
			return nil
		})
		// Commit is final.
		if err := r.WriteEntities(ctx, model.User, makeEntities(model.User, 1)); err == nil {
			t.Fatal("write after Commit succeeded")
		}
	}
	if !bytes.Equal(texts[0], texts[1]) {
		t.Fatalf("same input, different manifests:\n%s\n%s", texts[0], texts[1])
	}
}

// sameFieldsNullability compares names, types and nullability (not the
// Parquet field-id metadata the reader adds).
func sameFieldsNullability(got, want *arrow.Schema) bool {
	if got.NumFields() != want.NumFields() {
		return false
	}
	for i, w := range want.Fields() {
		g := got.Field(i)
		if g.Name != w.Name || !arrow.TypeEqual(g.Type, w.Type) || g.Nullable != w.Nullable {
			return false
		}
	}
	return true
}
