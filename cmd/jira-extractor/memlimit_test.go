package main

import (
	"runtime"
	"testing"
	"time"
)

func TestMemoryLimitFor(t *testing.T) {
	for _, tc := range []struct {
		live uint64
		want int64
	}{
		{0, defaultMemoryLimit},
		{40 << 20, defaultMemoryLimit}, // twice 40 MiB is the default
		{100 << 20, 200 << 20},         // a live heap above half the default raises it
		{1 << 30, 2 << 30},             // no ceiling: the limit is soft
	} {
		if got := memoryLimitFor(tc.live); got != tc.want {
			t.Errorf("memoryLimitFor(%d MiB) = %d MiB, want %d MiB", tc.live>>20, got>>20, tc.want>>20)
		}
	}
	if defaultMemoryLimit != 80<<20 {
		t.Errorf("defaultMemoryLimit = %d MiB; the README's memory figures were measured at 80 MiB", defaultMemoryLimit>>20)
	}
}

// watchGC's callback runs after collections, again and again.
func TestWatchGC(t *testing.T) {
	calls := make(chan struct{}, 1)
	watchGC(func() {
		select {
		case calls <- struct{}{}:
		default:
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for seen := 0; seen < 3; {
		runtime.GC()
		select {
		case <-calls:
			seen++
		case <-time.After(10 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatalf("callback ran %d times in 10 s of collections, want 3", seen)
			}
		}
	}
}
