package jira

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
)

// Jira documents role, actor, scheme and grant ids as int64, but a proxy
// or another Jira may send them as JSON strings ("10002"), and an id the
// extractor does not use (a grant's, an actor's) must never fail a page.

// ID is an id the extractor uses: a JSON number or a string holding an
// integer within int64; null and "" read as 0, anything else is an error.
type ID int64

// UnmarshalJSON reads a number or a string.
func (id *ID) UnmarshalJSON(b []byte) error {
	n, err := parseID(b)
	if err != nil {
		return err
	}
	*id = ID(n)
	return nil
}

// LooseID is an id the extractor does not use: read as ID, except that one
// that is not an int64 reads as 0 instead of failing the page.
type LooseID int64

// UnmarshalJSON reads a number or a string; anything else is 0.
func (id *LooseID) UnmarshalJSON(b []byte) error {
	n, _ := parseID(b)
	*id = LooseID(n)
	return nil
}

// parseID reads a JSON number or string holding an integer into an int64.
// null and "" are 0.
func parseID(raw json.RawMessage) (int64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
		if s == "" {
			return 0, nil
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// encoding/json adds the struct and field to this error type.
		return 0, &json.UnmarshalTypeError{Value: fmt.Sprintf("%.40s (not an integer within int64)", raw), Type: reflect.TypeFor[ID]()}
	}
	return n, nil
}

// String is the id in decimal, as Jira writes it in paths and holders.
func (id ID) String() string { return strconv.FormatInt(int64(id), 10) }
