package output

import (
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// pageWindow is the zstd window used for Parquet pages. A page is at most
// about 1 MiB (the writer's data page size), so a larger window finds no
// more matches; zstd's default 8 MiB window costs 16 MiB of history per
// encoder, which is most of the writer's transient memory.
const pageWindow = 1 << 20

// smallWindowZstd is arrow-go's zstd codec with page-sized encoder windows.
// Decoding and streaming are the original codec's.
type smallWindowZstd struct {
	orig compress.Codec
	pool sync.Pool // *zstd.Encoder at the default level
}

func init() {
	orig, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		return // arrow-go without zstd: keep whatever is registered
	}
	c := &smallWindowZstd{orig: orig}
	c.pool.New = func() any {
		enc, _ := zstd.NewWriter(nil, zstd.WithZeroFrames(true), zstd.WithEncoderConcurrency(1),
			zstd.WithWindowSize(pageWindow), zstd.WithAllLitEntropyCompression(true))
		return enc
	}
	compress.RegisterCodec(compress.Codecs.Zstd, c)
}

// Encode compresses one page at the default level.
func (c *smallWindowZstd) Encode(dst, src []byte) []byte {
	enc := c.pool.Get().(*zstd.Encoder)
	defer c.pool.Put(enc)
	return enc.EncodeAll(src, dst[:0])
}

// EncodeLevel compresses at the default level (the writer never sets one)
// and defers to the original codec for explicit levels.
func (c *smallWindowZstd) EncodeLevel(dst, src []byte, level int) []byte {
	if level == compress.DefaultCompressionLevel {
		return c.Encode(dst, src)
	}
	return c.orig.EncodeLevel(dst, src, level)
}

func (c *smallWindowZstd) CompressBound(n int64) int64   { return c.orig.CompressBound(n) }
func (c *smallWindowZstd) Decode(dst, src []byte) []byte { return c.orig.Decode(dst, src) }

// DecodeWithError implements compress.ErrorCodec.
func (c *smallWindowZstd) DecodeWithError(dst, src []byte) ([]byte, error) {
	return compress.Decode(c.orig, dst, src)
}

// NewReader, NewWriter and NewWriterLevel implement compress.StreamingCodec.
func (c *smallWindowZstd) NewReader(r io.Reader) io.ReadCloser {
	return c.orig.(compress.StreamingCodec).NewReader(r)
}

func (c *smallWindowZstd) NewWriter(w io.Writer) io.WriteCloser {
	return c.orig.(compress.StreamingCodec).NewWriter(w)
}

func (c *smallWindowZstd) NewWriterLevel(w io.Writer, level int) (io.WriteCloser, error) {
	return c.orig.(compress.StreamingCodec).NewWriterLevel(w, level)
}
