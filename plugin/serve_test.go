package plugin

import (
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestParseLevel(t *testing.T) {
	if _, ok := ParseLevel("loud"); ok {
		t.Error("ParseLevel accepted loud")
	}
	if l, ok := ParseLevel("debug"); !ok || l != hclog.Debug {
		t.Error("ParseLevel(debug)")
	}
}
