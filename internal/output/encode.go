package output

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/csv"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// encoder writes one record as one complete part file.
type encoder struct {
	format      string // "parquet" or "csv"
	compression string // parquet: zstd, snappy, gzip, none; csv: gzip, none
	mem         memory.Allocator
}

// ext is the part files' extension, with its dot.
func (e encoder) ext() string {
	if e.format == "csv" {
		if e.compression == "gzip" {
			return ".csv.gz"
		}
		return ".csv"
	}
	return ".parquet"
}

func parquetCodec(name string) (compress.Compression, error) {
	switch name {
	case "", "zstd":
		return compress.Codecs.Zstd, nil
	case "snappy":
		return compress.Codecs.Snappy, nil
	case "gzip":
		return compress.Codecs.Gzip, nil
	case "none":
		return compress.Codecs.Uncompressed, nil
	}
	return compress.Codecs.Uncompressed, fmt.Errorf("unknown Parquet compression %q (use zstd, snappy, gzip or none)", name)
}

// write encodes rec (all its rows, possibly none) with schema to w.
func (e encoder) write(w io.Writer, schema *arrow.Schema, rec arrow.RecordBatch) error {
	if e.format == "csv" {
		return e.writeCSV(w, schema, rec)
	}
	return e.writeParquet(w, schema, rec)
}

func (e encoder) writeParquet(w io.Writer, schema *arrow.Schema, rec arrow.RecordBatch) error {
	codec, err := parquetCodec(e.compression)
	if err != nil {
		return err
	}
	rows := rec.NumRows()
	if rows < 1 {
		rows = 1
	}
	props := parquet.NewWriterProperties(
		parquet.WithAllocator(e.mem),
		parquet.WithCompression(codec),
		// One row group per part file.
		parquet.WithMaxRowGroupLength(rows),
		parquet.WithCreatedBy("jira-extractor"),
	)
	fw, err := pqarrow.NewFileWriter(schema, w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(e.mem), pqarrow.WithStoreSchema()))
	if err != nil {
		return fmt.Errorf("parquet writer: %w", err)
	}
	if rec.NumRows() > 0 {
		if err := fw.Write(rec); err != nil {
			_ = fw.Close()
			return fmt.Errorf("write parquet: %w", err)
		}
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("close parquet: %w", err)
	}
	return nil
}

func (e encoder) writeCSV(w io.Writer, schema *arrow.Schema, rec arrow.RecordBatch) error {
	var gz *gzip.Writer
	if e.compression == "gzip" {
		gz = gzip.NewWriter(w)
		w = gz
	}
	cw := csv.NewWriter(w, schema, csv.WithHeader(true), csv.WithNullWriter(""))
	if err := cw.Write(rec); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	if err := cw.Flush(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return fmt.Errorf("gzip csv: %w", err)
		}
	}
	return nil
}

// hashWriter counts and hashes what passes through it.
type hashWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func newHashWriter(w io.Writer) *hashWriter { return &hashWriter{w: w, h: sha256.New()} }

func (h *hashWriter) Write(p []byte) (int, error) {
	n, err := h.w.Write(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

func (h *hashWriter) sum() string { return hex.EncodeToString(h.h.Sum(nil)) }
