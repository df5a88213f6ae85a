package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Local is a run folder on a local file system. Every file is written under
// a temporary name in its final folder, fsynced, renamed into place, and the
// folder fsynced, so a crash never leaves a half-written file under a final
// name.
type Local struct {
	root     string
	dirPerm  fs.FileMode
	filePerm fs.FileMode

	// WrapWriter, when set, wraps the temporary file's writer. It is a test
	// seam for fault injection (a full disk on any machine); production code
	// leaves it nil.
	WrapWriter func(io.Writer) io.Writer

	mu   sync.Mutex
	dirs map[string]bool // folders known to exist
}

// NewLocal returns the store of run folder root. private keeps files 0600 and
// folders 0700; otherwise 0644 and 0755.
func NewLocal(root string, private bool) *Local {
	l := &Local{root: filepath.Clean(root), dirPerm: 0o755, filePerm: 0o644, dirs: map[string]bool{}}
	if private {
		l.dirPerm, l.filePerm = 0o700, 0o600
	}
	return l
}

// Location returns the run folder's path.
func (l *Local) Location() string { return l.root }

// Check creates the run folder and a probe file in it.
func (l *Local) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := l.mkdir(l.root); err != nil {
		return fmt.Errorf("output folder %s is not writable: %w (fix: choose a folder you can write to with --out or output.destination)", l.root, err)
	}
	f, err := os.CreateTemp(l.root, ".write-check-*")
	if err != nil {
		return fmt.Errorf("output folder %s is not writable: %w (fix: choose a folder you can write to with --out or output.destination)", l.root, err)
	}
	name := f.Name()
	_ = f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("output folder %s: remove write probe: %w", l.root, err)
	}
	return nil
}

// mkdir creates dir and its missing parents with the store's folder mode.
// Folders that already existed keep their mode.
func (l *Local) mkdir(dir string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dirs[dir] {
		return nil
	}
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err == nil {
			if !st.IsDir() {
				return &fs.PathError{Op: "mkdir", Path: d, Err: errors.New("not a directory (a file is in the way)")}
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		d := missing[i]
		if err := os.Mkdir(d, l.dirPerm); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		// The umask may have narrowed the mode; set exactly what was asked.
		if err := os.Chmod(d, l.dirPerm); err != nil {
			return err
		}
		if err := syncDir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	l.dirs[dir] = true
	return nil
}

// Create starts name under a temporary name in its final folder.
func (l *Local) Create(ctx context.Context, name string) (Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	final, err := l.path(name)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(final)
	if err := l.mkdir(dir); err != nil {
		return nil, fmt.Errorf("create folder for %s: %w", final, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(final)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", final, err)
	}
	if err := f.Chmod(l.filePerm); err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return nil, fmt.Errorf("chmod %s: %w", f.Name(), err)
	}
	w := &localWriter{f: f, final: final, w: f}
	if l.WrapWriter != nil {
		w.w = l.WrapWriter(f)
	}
	return w, nil
}

func (l *Local) path(name string) (string, error) {
	clean := path.Clean(name)
	if clean != name || path.IsAbs(name) || clean == "." || strings.HasPrefix(clean, "../") || clean == ".." {
		return "", fmt.Errorf("bad file name %q: want a clean relative path", name)
	}
	return filepath.Join(l.root, filepath.FromSlash(clean)), nil
}

type localWriter struct {
	f     *os.File
	w     io.Writer
	final string
	done  bool
}

func (w *localWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		err = fmt.Errorf("write %s: %w", w.final, err)
	}
	return n, err
}

// Commit fsyncs the file, renames it into place and fsyncs its folder.
func (w *localWriter) Commit(ctx context.Context) error {
	if w.done {
		return errors.New("file already committed or aborted")
	}
	w.done = true
	tmp := w.f.Name()
	fail := func(op string, err error) error {
		_ = w.f.Close()
		_ = os.Remove(tmp)
		return fmt.Errorf("%s %s: %w", op, w.final, err)
	}
	if err := ctx.Err(); err != nil {
		return fail("write", err)
	}
	if err := w.f.Sync(); err != nil {
		return fail("fsync", err)
	}
	if err := w.f.Close(); err != nil {
		return fail("close", err)
	}
	if err := os.Rename(tmp, w.final); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("rename into %s: %w", w.final, err)
	}
	if err := syncDir(filepath.Dir(w.final)); err != nil {
		return fmt.Errorf("fsync folder of %s: %w", w.final, err)
	}
	return nil
}

func (w *localWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	_ = w.f.Close()
	_ = os.Remove(w.f.Name())
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// Open opens a finished file.
func (l *Local) Open(ctx context.Context, name string) (File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := l.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open %s: %w", p, ErrNotExist)
		}
		return nil, fmt.Errorf("open %s: %w", p, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("stat %s: %w", p, err)
	}
	return &osFile{File: f, size: st.Size()}, nil
}

type osFile struct {
	*os.File
	size    int64
	cleanup func()
}

func (f *osFile) Size() int64 { return f.size }

func (f *osFile) Close() error {
	err := f.File.Close()
	if f.cleanup != nil {
		f.cleanup()
	}
	return err
}

// List walks the run folder.
func (l *Local) List(ctx context.Context) ([]string, error) {
	var names []string
	err := filepath.WalkDir(l.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(l.root, p)
		if err != nil {
			return err
		}
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", l.root, err)
	}
	sort.Strings(names)
	return names, nil
}

// RemoveAll deletes the run folder.
func (l *Local) RemoveAll(ctx context.Context) error {
	if err := os.RemoveAll(l.root); err != nil {
		return fmt.Errorf("remove %s: %w", l.root, err)
	}
	return nil
}
