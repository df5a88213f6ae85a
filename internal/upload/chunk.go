package upload

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
)

// Phases of an upload, in the order they are sent.
const (
	PhaseEntities  = "entities"
	PhaseRelations = "relations"
)

// Defaults of the chunk bounds.
const (
	DefaultChunkRows  = 50_000
	DefaultChunkBytes = 32 << 20
)

// Chunk is one CSV file of an upload: a header row and at most ChunkRows rows,
// at most ChunkBytes bytes unless a single row is larger than that.
type Chunk struct {
	Phase  string
	Index  int
	Rows   int
	SHA256 string
	// Body is the CSV text. It is only valid during the call it is passed
	// to; copy it to keep it.
	Body []byte
}

// Name is the chunk's display name, e.g. "entities-00003".
func (c Chunk) Name() string { return fmt.Sprintf("%s-%05d", c.Phase, c.Index) }

// chunker turns a stream of records into chunks. The same records with the
// same bounds always give the same chunks, which is what makes a resumed
// upload safe.
type chunker struct {
	phase    string
	header   []string
	maxRows  int
	maxBytes int
	emit     func(Chunk) error

	headerLine []byte

	buf   bytes.Buffer
	row   bytes.Buffer
	rw    *csv.Writer
	rows  int
	index int
	total int
}

func newChunker(phase string, header []string, maxRows int, maxBytes int64, emit func(Chunk) error) *chunker {
	c := &chunker{phase: phase, header: header, maxRows: maxRows, maxBytes: int(maxBytes), emit: emit}
	c.rw = csv.NewWriter(&c.row)
	h, _ := c.encode(header) // a header of plain strings always encodes
	c.headerLine = append([]byte(nil), h...)
	return c
}

func (c *chunker) encode(rec []string) ([]byte, error) {
	c.row.Reset()
	if err := c.rw.Write(rec); err != nil {
		return nil, fmt.Errorf("encode %s row: %w", c.phase, err)
	}
	c.rw.Flush()
	if err := c.rw.Error(); err != nil {
		return nil, fmt.Errorf("encode %s row: %w", c.phase, err)
	}
	return c.row.Bytes(), nil
}

// add appends one record, first sending the current chunk if the record
// would take it past a bound.
func (c *chunker) add(rec []string) error {
	line, err := c.encode(rec)
	if err != nil {
		return err
	}
	if c.rows > 0 && (c.rows >= c.maxRows || c.buf.Len()+len(line) > c.maxBytes) {
		if err := c.flush(); err != nil {
			return err
		}
	}
	if c.rows == 0 {
		c.buf.Reset()
		c.buf.Write(c.headerLine)
	}
	c.buf.Write(line)
	c.rows++
	c.total++
	return nil
}

// flush sends the current chunk, if it has rows.
func (c *chunker) flush() error {
	if c.rows == 0 {
		return nil
	}
	sum := sha256.Sum256(c.buf.Bytes())
	ch := Chunk{Phase: c.phase, Index: c.index, Rows: c.rows, SHA256: hex.EncodeToString(sum[:]), Body: c.buf.Bytes()}
	c.index++
	c.rows = 0
	err := c.emit(ch)
	c.buf.Reset()
	return err
}
