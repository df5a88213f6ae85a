// Package changes computes the change set between two runs of one site:
// every entity and relation added, removed or updated, table by table.
//
// It streams: each table of both runs is read once and, when the two
// together hold more rows than fit a bucket, hash-partitioned into bucket
// files in a temporary folder; buckets are then compared one at a time in
// memory. So memory is bounded by one bucket, not by the size of the site.
package changes

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
)

// DefaultBucketRows is how many rows (of both runs together) one bucket
// holds at most: about 40 MiB of keys and values in memory.
const DefaultBucketRows = 200_000

// Options tune a diff.
type Options struct {
	// BucketRows bounds the rows of both runs compared in memory at once
	// (0: DefaultBucketRows).
	BucketRows int
	// TempDir holds the bucket files (empty: os.TempDir()).
	TempDir string
	// Skip names tables left out of the change set.
	Skip map[string]bool
}

// Runs is what a diff reads: the rows of one run, table by table.
type Runs interface {
	Manifest() *manifest.Manifest
	ScanEntities(ctx context.Context, kind model.SourceType, fn func(model.Entity) error) error
	ScanRelations(ctx context.Context, kind model.RelationKind, fn func(model.Relation) error) error
}

// Sink receives the changes, table by table, in key order within a
// bucket.
type Sink interface {
	Add(ctx context.Context, c output.Change) error
}

// Diff writes to sink every change from old to new: tables in manifest
// order (entity kinds, then relation kinds). Both runs must be of one site.
func Diff(ctx context.Context, old, new Runs, sink Sink, opts Options) error {
	om, nm := old.Manifest(), new.Manifest()
	if om.Site != nm.Site {
		return fmt.Errorf("the runs are of different sites (%q and %q): a change set compares two runs of one site", om.Site, nm.Site)
	}
	if opts.BucketRows <= 0 {
		opts.BucketRows = DefaultBucketRows
	}
	seed := maphash.MakeSeed()
	for _, ts := range output.Schemas() {
		if opts.Skip[ts.Name] {
			continue
		}
		var rows int64
		for _, m := range []*manifest.Manifest{om, nm} {
			if t := m.Table(ts.Name); t != nil {
				rows += t.Rows
			}
		}
		d := &tableDiff{name: ts.Name, entity: ts.Kind == manifest.KindEntity, old: old, new: new, sink: sink, seed: seed,
			buckets: int(max(1, (rows+int64(opts.BucketRows)-1)/int64(opts.BucketRows))), tmp: opts.TempDir}
		if err := d.run(ctx); err != nil {
			return fmt.Errorf("diff %s: %w", ts.Name, err)
		}
	}
	return nil
}

// row is one row reduced to its identity and its attributes.
type row struct{ key, val string }

// tableDiff compares one table of the two runs.
type tableDiff struct {
	name     string
	entity   bool
	old, new Runs
	sink     Sink
	seed     maphash.Seed
	buckets  int
	tmp      string
}

// scan calls fn with every row of the table in r (none when r's manifest
// has no such table).
func (d *tableDiff) scan(ctx context.Context, r Runs, fn func(row) error) error {
	if r.Manifest().Table(d.name) == nil {
		return nil
	}
	if d.entity {
		return r.ScanEntities(ctx, model.SourceType(d.name), func(e model.Entity) error {
			return fn(row{key: e.SourceID, val: entityAttrs(e)})
		})
	}
	kind := model.RelationKind(d.name)
	multi := multiRow(kind)
	return r.ScanRelations(ctx, kind, func(rel model.Relation) error {
		k := rel.FromType + "\x00" + rel.FromID + "\x00" + rel.ToType + "\x00" + rel.ToID
		if multi {
			k += "\x00" + rel.Metadata
		}
		return fn(row{key: k, val: rel.Metadata})
	})
}

// multiRow reports whether a relation kind has several rows between the
// same two ends, told apart by their metadata (a permission, a path).
func multiRow(k model.RelationKind) bool {
	switch k {
	case model.HoldsPermission, model.EffectiveRole, model.EffectivePermission:
		return true
	}
	return false
}

// entityAttrs is an entity's attributes as JSON with sorted keys: name,
// metadata (as JSON when it is JSON) and the typed columns.
func entityAttrs(e model.Entity) string {
	m := make(map[string]any, len(e.Attrs)+2)
	for k, v := range e.Attrs {
		if t, ok := v.(time.Time); ok {
			v = t.UTC().Format(time.RFC3339Nano)
		}
		m[k] = v
	}
	m["name"] = e.Name
	if json.Valid([]byte(e.Metadata)) {
		m["metadata"] = json.RawMessage(e.Metadata)
	} else {
		m["metadata"] = e.Metadata
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return fmt.Sprintf("%q", err.Error())
	}
	return string(bytes.TrimRight(b.Bytes(), "\n"))
}

func (d *tableDiff) run(ctx context.Context) error {
	if d.buckets == 1 {
		var olds, news []row
		if err := d.scan(ctx, d.old, func(r row) error { olds = append(olds, r); return nil }); err != nil {
			return err
		}
		if err := d.scan(ctx, d.new, func(r row) error { news = append(news, r); return nil }); err != nil {
			return err
		}
		return d.compare(ctx, olds, news)
	}
	dir, err := os.MkdirTemp(d.tmp, "jira-extractor-diff-*")
	if err != nil {
		return fmt.Errorf("temporary folder for the diff: %w", err)
	}
	defer os.RemoveAll(dir)
	oldFiles, err := d.spill(ctx, d.old, filepath.Join(dir, "old"))
	if err != nil {
		return err
	}
	newFiles, err := d.spill(ctx, d.new, filepath.Join(dir, "new"))
	if err != nil {
		return err
	}
	for b := range d.buckets {
		olds, err := readBucket(oldFiles[b])
		if err != nil {
			return err
		}
		news, err := readBucket(newFiles[b])
		if err != nil {
			return err
		}
		_ = os.Remove(oldFiles[b])
		_ = os.Remove(newFiles[b])
		if err := d.compare(ctx, olds, news); err != nil {
			return err
		}
	}
	return nil
}

// spill writes the rows of r into one file per bucket, by key hash.
func (d *tableDiff) spill(ctx context.Context, r Runs, prefix string) ([]string, error) {
	names := make([]string, d.buckets)
	files := make([]*os.File, d.buckets)
	ws := make([]*bufio.Writer, d.buckets)
	closeAll := func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}
	for b := range d.buckets {
		names[b] = fmt.Sprintf("%s-%04d", prefix, b)
		f, err := os.OpenFile(names[b], os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("bucket file: %w", err)
		}
		files[b], ws[b] = f, bufio.NewWriterSize(f, 32<<10)
	}
	var lenBuf [2 * binary.MaxVarintLen64]byte
	err := d.scan(ctx, r, func(rw row) error {
		w := ws[maphash.String(d.seed, rw.key)%uint64(d.buckets)]
		n := binary.PutUvarint(lenBuf[:], uint64(len(rw.key)))
		n += binary.PutUvarint(lenBuf[n:], uint64(len(rw.val)))
		if _, err := w.Write(lenBuf[:n]); err != nil {
			return err
		}
		if _, err := w.WriteString(rw.key); err != nil {
			return err
		}
		_, err := w.WriteString(rw.val)
		return err
	})
	for b, w := range ws {
		if ferr := w.Flush(); ferr != nil && err == nil {
			err = fmt.Errorf("write bucket file: %w", ferr)
		}
		if cerr := files[b].Close(); cerr != nil && err == nil {
			err = fmt.Errorf("write bucket file: %w", cerr)
		}
	}
	if err != nil {
		return nil, err
	}
	return names, nil
}

// readBucket reads the rows of one bucket file back.
func readBucket(name string) ([]row, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("bucket file: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	var rows []row
	for {
		kl, err := binary.ReadUvarint(br)
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read bucket file: %w", err)
		}
		vl, err := binary.ReadUvarint(br)
		if err != nil {
			return nil, fmt.Errorf("read bucket file: %w", err)
		}
		buf := make([]byte, kl+vl)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, fmt.Errorf("read bucket file: %w", err)
		}
		s := string(buf)
		rows = append(rows, row{key: s[:kl], val: s[kl:]})
	}
}

// compare writes the changes between the old and new rows of one bucket,
// in key order.
func (d *tableDiff) compare(ctx context.Context, olds, news []row) error {
	before := make(map[string]string, len(olds))
	for _, r := range olds {
		before[r.key] = r.val
	}
	type keyed struct {
		key string
		c   output.Change
	}
	var out []keyed
	seen := make(map[string]bool, len(news))
	for _, r := range news {
		if seen[r.key] {
			continue
		}
		seen[r.key] = true
		v, ok := before[r.key]
		switch {
		case !ok:
			out = append(out, keyed{r.key, d.change(output.ChangeAdded, r.key, "", r.val)})
		case v != r.val:
			out = append(out, keyed{r.key, d.change(output.ChangeUpdated, r.key, v, r.val)})
		}
	}
	for _, r := range olds {
		if !seen[r.key] {
			seen[r.key] = true
			out = append(out, keyed{r.key, d.change(output.ChangeRemoved, r.key, r.val, "")})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	for _, k := range out {
		if err := d.sink.Add(ctx, k.c); err != nil {
			return err
		}
	}
	return nil
}

// change builds the change row of a key.
func (d *tableDiff) change(kind, key, before, after string) output.Change {
	c := output.Change{Change: kind, Kind: d.name, Before: before, After: after}
	if d.entity {
		c.Record, c.SourceID = output.RecordEntity, key
		return c
	}
	c.Record = output.RecordRel
	parts := strings.SplitN(key, "\x00", 5)
	for len(parts) < 4 {
		parts = append(parts, "")
	}
	c.FromType, c.FromID, c.ToType, c.ToID = parts[0], parts[1], parts[2], parts[3]
	return c
}
