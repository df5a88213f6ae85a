package progress

import (
	"runtime"
	"testing"
)

func TestPeakRSSGrowsWithMemoryTouched(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("VmHWM is Linux's")
	}
	before, ok := PeakRSS()
	if !ok || before <= 0 {
		t.Fatalf("PeakRSS = %d, %v", before, ok)
	}
	buf := make([]byte, 64<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	after, _ := PeakRSS()
	if after < before+32<<20 {
		t.Fatalf("peak RSS %d after touching 64 MiB, was %d", after, before)
	}
	runtime.KeepAlive(buf)
}
