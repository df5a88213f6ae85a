package output

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
)

func TestZstdCodecIsPageWindowedAndRoundTrips(t *testing.T) {
	c, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*smallWindowZstd); !ok {
		t.Fatalf("zstd codec is %T, want the page-windowed one", c)
	}
	// A page-sized input with repeats far apart and near.
	rng := rand.New(rand.NewSource(1))
	src := make([]byte, 1<<20)
	for i := range src {
		if i > 4096 && rng.Intn(4) > 0 {
			src[i] = src[i-4096]
		} else {
			src[i] = byte(rng.Intn(256))
		}
	}
	for _, level := range []int{compress.DefaultCompressionLevel, 3} {
		enc := c.EncodeLevel(nil, src, level)
		if len(enc) >= len(src) {
			t.Errorf("level %d: %d bytes did not compress (%d)", level, len(src), len(enc))
		}
		dec, err := compress.Decode(c, nil, enc)
		if err != nil || !bytes.Equal(dec, src) {
			t.Fatalf("level %d: round trip failed: %v", level, err)
		}
	}
}
