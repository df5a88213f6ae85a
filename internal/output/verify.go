package output

import (
	"context"
	"crypto/sha256"
	stdcsv "encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output/store"
)

// VerifyError lists every problem Verify found, each naming its file.
type VerifyError struct {
	Location string
	Problems []string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("run %s failed verification (%d problems):\n  %s", e.Location, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// Verify re-reads every file of the run and checks it against the
// manifest: bytes, sha256, row count (Parquet metadata, CSV records), and
// columns. It also reports tables missing from the manifest and files in the
// run folder that the manifest does not list. It returns a *VerifyError
// listing every problem, or nil.
func (r *RunReader) Verify(ctx context.Context) error {
	var probs []string
	add := func(format string, a ...any) { probs = append(probs, fmt.Sprintf(format, a...)) }

	listed := map[string]bool{manifest.FileName: true}
	want := append(Schemas(), extraSourceSchemas(r.m)...)
	for _, ts := range want {
		t := r.m.Table(ts.Name)
		if t == nil {
			add("table %s: missing from the manifest", ts.Name)
			continue
		}
		if t.Kind != ts.Kind {
			add("table %s: kind %q, want %q", ts.Name, t.Kind, ts.Kind)
		}
		if len(t.Files) == 0 {
			add("table %s: no files (an empty table still has one file)", ts.Name)
		}
		var sum int64
		for _, mf := range t.Files {
			listed[mf.Path] = true
			sum += mf.Rows
			if !strings.HasPrefix(mf.Path, ts.Dir+"/") {
				add("%s: not in the folder of table %s (%s/)", mf.Path, ts.Name, ts.Dir)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			for _, p := range r.verifyFile(ctx, mf, ts.Schema) {
				add("%s: %s", mf.Path, p)
			}
		}
		if sum != t.Rows {
			add("table %s: manifest says %d rows but its files add up to %d", ts.Name, t.Rows, sum)
		}
	}
	if cs := r.m.Changes; cs != nil {
		for _, mf := range cs.Files {
			listed[mf.Path] = true
			for _, p := range r.verifyFile(ctx, mf, ChangeSchema()) {
				add("%s: %s", mf.Path, p)
			}
		}
	}
	known := map[string]bool{}
	for _, k := range model.SourceTypes {
		known[string(k)] = true
	}
	for _, k := range model.AllRelationKinds() {
		known[string(k)] = true
	}
	for _, ts := range want {
		known[ts.Name] = true
	}
	for _, t := range r.m.Tables {
		if !known[t.Name] {
			add("table %s: not a known entity or relation kind", t.Name)
		}
	}
	names, err := r.store.List(ctx)
	if err != nil {
		add("list run folder: %v", err)
	}
	for _, n := range names {
		// Hidden files at the top of the run folder belong to tools that
		// work on a finished run (the upload's resume state), not to it.
		if !listed[n] && !(strings.HasPrefix(n, ".") && !strings.Contains(n, "/")) {
			add("%s: in the run folder but not in the manifest", n)
		}
	}
	if len(probs) > 0 {
		return &VerifyError{Location: r.Location().String(), Problems: probs}
	}
	return nil
}

// verifyFile checks one file; it returns its problems.
func (r *RunReader) verifyFile(ctx context.Context, mf manifest.File, schema *arrow.Schema) []string {
	f, err := r.store.Open(ctx, mf.Path)
	if err != nil {
		return []string{err.Error()}
	}
	defer f.Close()
	var probs []string
	if f.Size() != mf.Bytes {
		probs = append(probs, fmt.Sprintf("size %d bytes, manifest says %d", f.Size(), mf.Bytes))
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, f.Size())); err != nil {
		return append(probs, "read: "+err.Error())
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != mf.SHA256 {
		probs = append(probs, fmt.Sprintf("sha256 %s, manifest says %s", got, mf.SHA256))
	}
	rows, err := countRows(f, mf.Path, schema)
	if err != nil {
		return append(probs, err.Error())
	}
	if rows != mf.Rows {
		probs = append(probs, fmt.Sprintf("%d rows, manifest says %d", rows, mf.Rows))
	}
	return probs
}

// countRows reads the row count of a part file (Parquet metadata, or CSV
// records after the header) and checks its columns.
func countRows(f store.File, name string, schema *arrow.Schema) (int64, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	switch {
	case strings.HasSuffix(name, ".parquet"):
		pr, err := file.NewParquetReader(f)
		if err != nil {
			return 0, fmt.Errorf("not a readable Parquet file: %w", err)
		}
		defer pr.Close()
		got, err := pqarrow.FromParquet(pr.MetaData().Schema, nil, pr.MetaData().KeyValueMetadata())
		if err != nil {
			return 0, fmt.Errorf("read schema: %w", err)
		}
		if err := sameColumns(got, schema); err != nil {
			return 0, err
		}
		return pr.NumRows(), nil
	case strings.HasSuffix(name, ".csv"), strings.HasSuffix(name, ".csv.gz"):
		in, done, err := openCSV(f, name)
		if err != nil {
			return 0, err
		}
		defer done()
		cr := stdcsv.NewReader(in)
		cr.FieldsPerRecord = schema.NumFields()
		cr.ReuseRecord = true
		header, err := cr.Read()
		if err != nil {
			return 0, fmt.Errorf("read CSV header: %w", err)
		}
		for i, col := range header {
			if col != schema.Field(i).Name {
				return 0, fmt.Errorf("CSV header column %d is %q, want %q", i+1, col, schema.Field(i).Name)
			}
		}
		var n int64
		for {
			_, err := cr.Read()
			if err == io.EOF {
				return n, nil
			}
			if err != nil {
				return n, fmt.Errorf("read CSV: %w", err)
			}
			n++
		}
	}
	return 0, fmt.Errorf("unknown file type (want .parquet, .csv or .csv.gz)")
}
