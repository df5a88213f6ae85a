package pipeline

import (
	"fmt"
	"testing"
)

func TestIDSet(t *testing.T) {
	s := newIDSet()
	for i := 0; i < 100000; i++ {
		if !s.Add(fmt.Sprintf("557058:%08d", i)) {
			t.Fatalf("id %d reported as seen before it was added", i)
		}
	}
	if s.Add("557058:00000042") || !s.Has("557058:00099999") || s.Has("557058:00100000") || s.Len() != 100000 {
		t.Fatal("set membership wrong")
	}
}
