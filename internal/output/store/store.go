// Package store is where a run's files land: a local folder (files written
// under a temporary name, fsynced, renamed) or an S3 prefix (each file spilled
// to a local temporary file, then uploaded, multipart when large). Both give
// the output package the same small interface, so writers and readers do not
// care where the run lives.
package store

import (
	"context"
	"errors"
	"io"
)

// Store holds the files of one run folder. Names are slash-separated paths
// relative to the run folder ("entities/source_type=user/part-00000.parquet").
type Store interface {
	// Location is the run folder as a user would type it: a path or
	// s3://bucket/prefix/RUN_ID.
	Location() string
	// Check proves early that the destination can be written, with an error
	// naming the location and the fix.
	Check(ctx context.Context) error
	// Create starts a new file. Nothing is visible under name until the
	// returned Writer's Commit succeeds.
	Create(ctx context.Context, name string) (Writer, error)
	// Open opens a finished file for reading. ErrNotExist (wrapped) when it
	// is missing.
	Open(ctx context.Context, name string) (File, error)
	// List returns the names of every file under the run folder, sorted.
	List(ctx context.Context) ([]string, error)
	// RemoveAll deletes what this Store wrote (best effort for S3).
	RemoveAll(ctx context.Context) error
}

// Writer is a file being written. Exactly one of Commit or Abort must be
// called.
type Writer interface {
	io.Writer
	// Commit makes the file durable and visible under its name.
	Commit(ctx context.Context) error
	// Abort discards the file.
	Abort()
}

// File is a finished file opened for reading; Size is its length in bytes.
type File interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	io.Closer
	Size() int64
}

// ErrNotExist is wrapped by Open when the file does not exist.
var ErrNotExist = errors.New("file does not exist")
