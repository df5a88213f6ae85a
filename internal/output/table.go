package output

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/govextract/jira-extractor/internal/manifest"
)

// table is the writing state of one entity or relation kind. mu guards the
// builder; flushing holds only flushSlot, so writers of other tables never
// wait for it, and writers of this table wait only when a second batch fills
// before the first is written (memory stays at two batches per table).
type table struct {
	TableSchema
	mu       sync.Mutex
	b        *batchBuilder
	nextPart int
	size     atomic.Int64 // b.bytes, for choosing a table to cut without its lock

	flushSlot chan struct{} // capacity 1: one flush at a time

	filesMu sync.Mutex
	files   []manifest.File
}

func (t *table) full(o limits) bool {
	return t.b.rows >= o.rows || (o.bytes > 0 && t.b.bytes >= o.bytes)
}

// cut takes the rows built so far as a record with the next part number and
// reserves the flush slot. Called with mu held.
func (t *table) cut() (arrow.RecordBatch, int) {
	rec := t.b.record()
	t.size.Store(0)
	part := t.nextPart
	t.nextPart++
	t.flushSlot <- struct{}{}
	return rec, part
}

func (t *table) partName(part int, ext string) string {
	return fmt.Sprintf("%s/part-%05d%s", t.Dir, part, ext)
}

func (t *table) addFile(f manifest.File) {
	t.filesMu.Lock()
	t.files = append(t.files, f)
	t.filesMu.Unlock()
}

// manifestTable returns the table's manifest entry, files in part order.
func (t *table) manifestTable() manifest.Table {
	t.filesMu.Lock()
	defer t.filesMu.Unlock()
	files := append([]manifest.File(nil), t.files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	mt := manifest.Table{Name: t.Name, Kind: t.Kind, Source: t.Source, Files: files}
	for _, f := range files {
		mt.Rows += f.Rows
	}
	return mt
}

type limits struct {
	rows  int
	bytes int64
}
