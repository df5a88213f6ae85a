package incremental

import (
	"testing"
	"unsafe"
)

// A counter keeps copies of its keys, also when an equal key comes again
// from another batch: a map assignment would store the later key, and with
// it the whole batch the key was decoded from.
func TestCounterKeepsCopiesOfKeys(t *testing.T) {
	batches := []string{string([]byte("g1g2")), string([]byte("g2g1")), string([]byte("g1g1"))}
	c := counter{}
	for _, b := range batches {
		c.add(b[0:2])
		c.add(b[2:4])
	}
	if c.get("g1") != 4 || c.get("g2") != 2 || c.get("g3") != 0 || len(c) != 2 {
		t.Fatalf("counts g1 %d g2 %d g3 %d, %d keys", c.get("g1"), c.get("g2"), c.get("g3"), len(c))
	}
	for k := range c {
		p := uintptr(unsafe.Pointer(unsafe.StringData(k)))
		for _, b := range batches {
			if lo := uintptr(unsafe.Pointer(unsafe.StringData(b))); p >= lo && p < lo+uintptr(len(b)) {
				t.Errorf("the counter keeps key %q inside a batch's text", k)
			}
		}
	}
}
