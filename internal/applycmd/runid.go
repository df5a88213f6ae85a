package applycmd

import "github.com/oklog/ulid/v2"

// newRunID returns a new time-sortable run id (a ULID), like a run's.
func newRunID() string { return ulid.Make().String() }
