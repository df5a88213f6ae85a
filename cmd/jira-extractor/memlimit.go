package main

import (
	"os"
	"runtime/debug"
)

// defaultMemoryLimit is the soft heap limit the extractor runs under unless
// GOMEMLIMIT says otherwise. Records stream through in batches, so the live
// heap is a few batches (tens of MiB); the limit makes the garbage collector
// hand memory back before the heap doubles, which keeps peak RSS flat as the
// site grows. It is soft: a run that truly needs more gets it, at the cost of
// more collection.
const defaultMemoryLimit = 192 << 20

func init() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}
