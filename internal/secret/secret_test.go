package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestValueNeverPrints(t *testing.T) {
	v := New("ATATT-very-secret")
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "v", v)
	js, _ := json.Marshal(struct{ V Value }{v})
	for _, out := range []string{fmt.Sprint(v), fmt.Sprintf("%v %+v %#v %q %x %s", v, v, v, v, v, v), string(js), buf.String()} {
		if strings.Contains(out, "very-secret") || !strings.Contains(out, Redacted) {
			t.Fatalf("printed form leaks or is not redacted: %s", out)
		}
	}
	if v.Reveal() != "ATATT-very-secret" {
		t.Fatal("Reveal must return the value")
	}
}

func TestScrubberReplacesWholeValuesOfMinimumLength(t *testing.T) {
	s := NewScrubber("a", "short", "me@example.com:tok3n-value", "tok3n-value")
	got := s.Scrub("a banana; me@example.com:tok3n-value; tok3n-value; short")
	want := "a banana; " + Redacted + "; " + Redacted + "; short"
	if got != want {
		t.Fatalf("Scrub = %q, want %q", got, want)
	}
	var zero Scrubber
	if zero.Scrub("unchanged") != "unchanged" {
		t.Fatal("the zero Scrubber must change nothing")
	}
}
