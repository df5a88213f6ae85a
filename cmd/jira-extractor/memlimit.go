package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"

	"github.com/govextract/jira-extractor/internal/output"
)

// defaultMemoryLimit is the soft limit on the Go runtime's memory the
// extractor runs under unless GOMEMLIMIT says otherwise. It is derived from
// what a run holds by design: the output's Arrow budget (up to 1.5 times
// output.DefaultBufferBudget while writers wait, and as much again of
// garbage between collections) plus 48 MiB for pages in flight, the per-user
// id sets and the runtime. Without it the collector lets the heap reach
// twice the live heap, so peak RSS would follow the live heap's peak, which
// is higher on a large site (more tables full at once, more users). Peak
// RSS is about this limit plus the binary's own pages (about 30 MiB).
const defaultMemoryLimit = 48<<20 + 2*output.DefaultBufferBudget

// liveHeapMetric is the heap the last collection found live.
const liveHeapMetric = "/gc/heap/live:bytes"

func init() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
	watchGC(adjustMemoryLimit)
}

// memoryLimitFor is the limit for a live heap of live bytes: the default,
// or twice the live heap when that is more (the collector's own default
// pacing). A run whose own state outgrows the default (hundreds of
// thousands of users' ids and Admin API accounts, the effective-access
// index of millions of memberships) then costs a collection every live
// heap of allocation instead of back-to-back collections: at 1.5 times the
// live heap, effective access on the large site spent a third of the run's
// time more instead of a fifth.
func memoryLimitFor(live uint64) int64 {
	return max(defaultMemoryLimit, int64(2*live))
}

// adjustMemoryLimit sets the limit for the live heap the last collection
// found.
func adjustMemoryLimit() {
	s := []metrics.Sample{{Name: liveHeapMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	debug.SetMemoryLimit(memoryLimitFor(s[0].Value.Uint64()))
}

// gcSentinel is garbage as soon as it is made; its finalizer runs once per
// collection. It is 16 bytes with a pointer so the tiny allocator never
// packs it with live objects.
type gcSentinel struct {
	_ *byte
	_ uint64
}

// watchGC calls f on the finalizer goroutine after every collection.
func watchGC(f func()) {
	runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
		f()
		watchGC(f)
	})
}
