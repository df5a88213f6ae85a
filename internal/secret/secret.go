// Package secret holds credentials so they cannot be printed, and scrubs
// them from text that came from elsewhere (a server's message, a header, an
// error). It is a leaf: it imports nothing of the project.
package secret

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
)

// Redacted is what a Value prints as, in every format.
const Redacted = "[REDACTED]"

// MinLength is the shortest credential the project accepts. Validation
// refuses shorter ones, and a Scrubber never replaces a shorter string, so
// a one-letter "secret" cannot garble every message it appears in.
const MinLength = 8

// Value holds a credential. It cannot be printed: fmt verbs, JSON, slog and
// %#v all show Redacted. Only Reveal returns the value, and only code that
// puts it on the wire (an Authorization header) may call it.
type Value struct{ value string }

// New wraps a credential.
func New(v string) Value { return Value{value: v} }

// Reveal returns the credential for use on the wire. Never log its result.
func (s Value) Reveal() string { return s.value }

// IsZero reports whether no credential is set.
func (s Value) IsZero() bool { return s.value == "" }

// String implements fmt.Stringer.
func (s Value) String() string { return Redacted }

// GoString implements fmt.GoStringer so %#v does not show the field.
func (s Value) GoString() string { return Redacted }

// Format implements fmt.Formatter so every verb (%x, %q, %v ...) is redacted.
func (s Value) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// LogValue implements slog.LogValuer.
func (s Value) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON implements json.Marshaler: a Value is written redacted.
func (s Value) MarshalJSON() ([]byte, error) { return json.Marshal(Redacted) }

// MarshalText implements encoding.TextMarshaler (used by some encoders).
func (s Value) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// UnmarshalJSON implements json.Unmarshaler.
func (s *Value) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("must be a string")
	}
	s.value = v
	return nil
}

// Scrubber replaces whole credential values in text with Redacted. Values
// shorter than MinLength are ignored: they would match ordinary words.
// The zero Scrubber changes nothing. A Scrubber is safe for concurrent use.
type Scrubber struct{ r *strings.Replacer }

// NewScrubber returns a Scrubber for the given plain-text values (a token,
// "email:token", its base64 form, ...). Longer values are replaced first, so
// a value that contains another is removed whole.
func NewScrubber(values ...string) Scrubber {
	var keep []string
	seen := map[string]bool{}
	for _, v := range values {
		if len(v) >= MinLength && !seen[v] {
			seen[v] = true
			keep = append(keep, v)
		}
	}
	if len(keep) == 0 {
		return Scrubber{}
	}
	sort.Slice(keep, func(i, j int) bool { return len(keep[i]) > len(keep[j]) })
	pairs := make([]string, 0, 2*len(keep))
	for _, v := range keep {
		pairs = append(pairs, v, Redacted)
	}
	return Scrubber{r: strings.NewReplacer(pairs...)}
}

// Scrub returns s with every credential replaced by Redacted.
func (s Scrubber) Scrub(text string) string {
	if s.r == nil {
		return text
	}
	return s.r.Replace(text)
}

// ScrubAll scrubs each string in place and returns the slice.
func (s Scrubber) ScrubAll(texts []string) []string {
	for i, t := range texts {
		texts[i] = s.Scrub(t)
	}
	return texts
}
