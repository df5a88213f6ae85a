package store

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestLocalCommitAbort(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "run")
	l := NewLocal(root, true)
	if err := l.Check(ctx); err != nil {
		t.Fatal(err)
	}
	w, err := l.Create(ctx, "a/b/c.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	// Not visible before Commit.
	if _, err := l.Open(ctx, "a/b/c.txt"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("open before commit: %v", err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err == nil {
		t.Fatal("second Commit succeeded")
	}
	f, err := l.Open(ctx, "a/b/c.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "hello" || f.Size() != 5 {
		t.Fatalf("read %q size %d", b, f.Size())
	}
	a, err := l.Create(ctx, "a/gone.txt")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = a.Write([]byte("x"))
	a.Abort()
	names, err := l.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names, []string{"a/b/c.txt"}) {
		t.Fatalf("list %v: an aborted or temporary file is left", names)
	}
	for _, bad := range []string{"../x", "/abs", "a/../b", ".", "a//b"} {
		if _, err := l.Create(ctx, bad); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	if err := l.RemoveAll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Fatalf("root left: %v", err)
	}
}
