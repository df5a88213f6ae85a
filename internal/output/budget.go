package output

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// DefaultBufferBudget is how many bytes of Arrow memory a run holds across
// all its tables at the default batch size: rows being built, batches
// waiting to be written and the Parquet encoder's buffers. Above it the
// largest table is cut early (its part file gets fewer rows than
// output.batchRows); above 1.5 times it writers wait for a part file to be
// written. The budget grows with output.batchRows (BufferBudget).
const DefaultBufferBudget = 16 << 20

// BufferBudget is the Arrow memory budget of a run writing batches of
// batchRows rows: DefaultBufferBudget, scaled up when batchRows is above
// the default.
func BufferBudget(batchRows int) int64 {
	if batchRows <= DefaultBatchRows {
		return DefaultBufferBudget
	}
	return int64(float64(DefaultBufferBudget) * float64(batchRows) / float64(DefaultBatchRows))
}

// countingAllocator counts the bytes allocated through it and not yet
// freed, and their high-water mark. Arrow frees a buffer when its last
// reference is released, so the count is the Arrow memory the run holds
// right now.
type countingAllocator struct {
	mem  memory.Allocator
	n    atomic.Int64
	peak atomic.Int64
}

func (a *countingAllocator) grew(by int64) {
	n := a.n.Add(by)
	for p := a.peak.Load(); n > p && !a.peak.CompareAndSwap(p, n); p = a.peak.Load() {
	}
}

func (a *countingAllocator) Allocate(size int) []byte {
	a.grew(int64(size))
	return a.mem.Allocate(size)
}

func (a *countingAllocator) Reallocate(size int, b []byte) []byte {
	a.grew(int64(size - len(b)))
	return a.mem.Reallocate(size, b)
}

func (a *countingAllocator) Free(b []byte) {
	a.n.Add(-int64(len(b)))
	a.mem.Free(b)
}

// budget bounds the Arrow memory of a run. Over soft, the writer that
// notices cuts the largest table; over hard, writers wait until a part file
// in progress is written. Part files are encoded at most encoders at a time,
// so the encoders' working memory does not grow with the number of tables.
type budget struct {
	mem        *countingAllocator
	soft, hard int64
	minPart    int64 // a table is not cut early below this many bytes

	encoders chan struct{}

	mu       sync.Mutex
	cond     sync.Cond
	flushing int // part files being written
}

func newBudget(mem *countingAllocator, soft int64) *budget {
	b := &budget{mem: mem, soft: soft, hard: soft + soft/2, minPart: soft / 16,
		encoders: make(chan struct{}, max(2, min(runtime.GOMAXPROCS(0), 4)))}
	b.cond.L = &b.mu
	return b
}

// held is the Arrow memory held now.
func (b *budget) held() int64 { return b.mem.n.Load() }

// over reports whether the run holds more than its soft budget.
func (b *budget) over() bool { return b.held() > b.soft }

// waitRoom blocks while the run holds more than its hard budget and a part
// file is being written (whose end frees memory).
func (b *budget) waitRoom() {
	b.mu.Lock()
	for b.held() > b.hard && b.flushing > 0 {
		b.cond.Wait()
	}
	b.mu.Unlock()
}

func (b *budget) flushStarted() {
	b.mu.Lock()
	b.flushing++
	b.mu.Unlock()
}

func (b *budget) flushDone() {
	b.mu.Lock()
	b.flushing--
	b.mu.Unlock()
	b.cond.Broadcast()
}

// encode runs f holding one of the encoder slots.
func (b *budget) encode(ctx context.Context, f func() error) error {
	select {
	case b.encoders <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-b.encoders }()
	return f()
}
