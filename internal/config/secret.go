package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Redacted is what a Secret prints as, in every format.
const Redacted = "[REDACTED]"

// Secret holds a credential. It cannot be printed: fmt verbs, JSON, slog and
// %#v all show Redacted. Only Reveal returns the value, and only code that
// puts it on the wire (an Authorization header) may call it.
type Secret struct{ value string }

// NewSecret wraps a credential.
func NewSecret(v string) Secret { return Secret{value: v} }

// Reveal returns the credential for use on the wire. Never log its result.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether no credential is set.
func (s Secret) IsZero() bool { return s.value == "" }

// String implements fmt.Stringer.
func (s Secret) String() string { return Redacted }

// GoString implements fmt.GoStringer so %#v does not show the field.
func (s Secret) GoString() string { return Redacted }

// Format implements fmt.Formatter so every verb (%x, %q, %v ...) is redacted.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON implements json.Marshaler: a Secret is written redacted.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(Redacted) }

// MarshalText implements encoding.TextMarshaler (used by some encoders).
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// UnmarshalJSON implements json.Unmarshaler.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("must be a string")
	}
	s.value = v
	return nil
}
