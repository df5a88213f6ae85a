package sim

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestAppendJSONStringRoundTrips(t *testing.T) {
	inputs := append([]string{"", "plain", "\x00\x01\x1f", "\u2028\u2029", `"\`, "\xff\xfe bad utf8", "a\xc3"}, hostileDisplayNames...)
	inputs = append(inputs, hostileGroupNames...)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		b := make([]byte, rng.IntN(20))
		for j := range b {
			b[j] = byte(rng.IntN(256))
		}
		inputs = append(inputs, string(b))
	}
	for _, in := range inputs {
		enc := appendJSONString(nil, in)
		var got string
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("%q encoded as invalid JSON %s: %v", in, enc, err)
		}
		want := strings.ToValidUTF8(in, "\ufffd")
		// encoding/json replaces each invalid byte; so do we.
		std, _ := json.Marshal(in)
		var stdGot string
		_ = json.Unmarshal(std, &stdGot)
		if got != stdGot && got != want {
			t.Errorf("%q round-tripped to %q, want %q", in, got, stdGot)
		}
	}
}
