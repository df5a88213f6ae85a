package output

import (
	"context"
	"errors"
	"fmt"
	"github.com/govextract/jira-extractor/internal/location"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
)

func TestPermissions(t *testing.T) {
	ctx := context.Background()
	for _, private := range []bool{true, false} {
		t.Run(fmt.Sprint("private=", private), func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "new", "out")
			out := outputCfg(dest, "csv", "gzip", 10)
			out.OwnerOnly = private
			r, err := Create(ctx, withRun(out, "R", nil))
			if err != nil {
				t.Fatal(err)
			}
			if err := r.WriteEntities(ctx, model.User, makeEntities(model.User, 3)); err != nil {
				t.Fatal(err)
			}
			if err := r.Commit(ctx, newManifest("R")); err != nil {
				t.Fatal(err)
			}
			wantFile, wantDir := fs.FileMode(0o600), fs.FileMode(0o700)
			if !private {
				wantFile, wantDir = 0o644, 0o755
			}
			n := 0
			_ = filepath.Walk(filepath.Dir(dest), func(p string, fi os.FileInfo, err error) error {
				if err != nil {
					t.Fatal(err)
				}
				want := wantFile
				if fi.IsDir() {
					want = wantDir
				}
				if fi.Mode().Perm() != want {
					t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
				}
				n++
				return nil
			})
			if n < 10 {
				t.Fatalf("walked only %d paths", n)
			}
		})
	}
}

// TestDestinationNotWritable: a destination below a regular file fails at
// Open (ENOTDIR even for root), naming the path and the fix.
func TestDestinationNotWritable(t *testing.T) {
	ctx := context.Background()
	blocker := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(blocker, "out")
	_, err := Create(ctx, withRun(outputCfg(dest, "parquet", "", 10), "R", nil))
	if err == nil {
		t.Fatal("Open under a file succeeded")
	}
	for _, want := range []string{blocker, "not writable", "fix:"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not mention %q", err, want)
		}
	}
	// Destinations are parsed before Open (by location.Parse): an
	// unsupported scheme never gets here, and no destination is refused.
	if _, err := location.Parse("ftp://x/y"); err == nil || !strings.Contains(err.Error(), "unsupported scheme") {
		t.Fatalf("ftp destination: %v", err)
	}
	_, err = Create(ctx, withRun(Options{Format: "parquet"}, "R", nil))
	if err == nil || !strings.Contains(err.Error(), "output.destination") {
		t.Fatalf("no destination: %v", err)
	}
	_, err = Create(ctx, withRun(outputCfg(t.TempDir(), "parquet", "", 10), "../escape", nil))
	if err == nil {
		t.Fatal("a run id with a slash was accepted")
	}
}

// TestDiskFullTmpfs runs out of space on a real 256 KiB tmpfs (needs root
// and mount permission; skipped otherwise — TestDiskFullInjected covers the
// same path on any machine).
func TestDiskFullTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })
	checkDiskFull(t, mnt, nil)
}

// TestDiskFullInjected uses the local store's writer seam: every write
// after the first 64 KiB of a file fails with ENOSPC, as /dev/full would.
func TestDiskFullInjected(t *testing.T) {
	tune := &tuning{localWrap: func(w io.Writer) io.Writer { return &fullDisk{w: w, left: 64 << 10} }}
	checkDiskFull(t, t.TempDir(), tune)
}

type fullDisk struct {
	w    io.Writer
	left int
}

func (f *fullDisk) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n, _ := f.w.Write(p[:f.left])
		f.left = 0
		return n, &fs.PathError{Op: "write", Path: "(injected)", Err: syscall.ENOSPC}
	}
	f.left -= len(p)
	return f.w.Write(p)
}

func checkDiskFull(t *testing.T, dest string, tune *tuning) {
	t.Helper()
	ctx := context.Background()
	out := outputCfg(dest, "parquet", "none", 5000)
	r, err := Create(ctx, withRun(out, "R", tune))
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for i := 0; i < 40 && werr == nil; i++ {
		werr = r.WriteEntities(ctx, model.User, makeEntities(model.User, 5000))
	}
	if werr == nil {
		t.Fatal("40 batches of 5000 users fit: the disk never filled")
	}
	if !errors.Is(werr, syscall.ENOSPC) || !strings.Contains(werr.Error(), "part-0000") {
		t.Fatalf("error %q is not a clear no-space error naming the file", werr)
	}
	// Later calls fail too, and Commit writes no manifest.
	if err := r.WriteEntities(ctx, model.Group, makeEntities(model.Group, 1)); err == nil {
		t.Fatal("write after a failure succeeded")
	}
	if err := r.Commit(ctx, newManifest("R")); err == nil {
		t.Fatal("Commit after a failure succeeded")
	}
	if _, err := os.Stat(filepath.Join(dest, "R", manifest.FileName)); !os.IsNotExist(err) {
		t.Fatalf("manifest written after a failure: %v", err)
	}
	// No temporary file is left behind; Abort removes the run.
	names, _ := filepath.Glob(filepath.Join(dest, "R", "entities", "source_type=user", ".*tmp*"))
	if len(names) > 0 {
		t.Fatalf("temporary files left: %v", names)
	}
	if err := r.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dest, "R")); !os.IsNotExist(err) {
		t.Fatalf("run folder left after Abort: %v", err)
	}
	if _, err := OpenRun(ctx, location.MustParse(filepath.Join(dest, "R")), nil); err == nil {
		t.Fatal("OpenRun of an aborted run succeeded")
	}
}

func TestBadRows(t *testing.T) {
	ctx := context.Background()
	r, err := Create(ctx, withRun(outputCfg(t.TempDir(), "parquet", "", 10), "R", nil))
	if err != nil {
		t.Fatal(err)
	}
	good := model.NewUser(model.UserRecord{AccountID: "a", AccountType: "atlassian", DisplayName: "A", Active: true})
	cases := []struct {
		name string
		kind model.SourceType
		e    func() model.Entity
		want string
	}{
		{"wrong kind", model.Group, func() model.Entity { return good }, `source_type "user" in a batch of "group"`},
		{"unknown column", model.User, func() model.Entity { e := good; e.Attrs = map[string]any{"shoe_size": "9"}; return e }, "shoe_size"},
		{"wrong type", model.User, func() model.Entity {
			e := model.NewUser(model.UserRecord{AccountID: "a", AccountType: "atlassian"})
			e.Attrs["active"] = "yes"
			return e
		}, "column active: want bool, got string"},
		{"missing required", model.User, func() model.Entity {
			e := model.NewUser(model.UserRecord{AccountID: "a"})
			delete(e.Attrs, "active")
			return e
		}, "column active is required"},
		{"common column as attr", model.User, func() model.Entity {
			e := model.NewUser(model.UserRecord{AccountID: "a"})
			e.Attrs["name"] = "x"
			return e
		}, `attribute "name"`},
	}
	for _, tc := range cases {
		err := r.WriteEntities(ctx, tc.kind, []model.Entity{tc.e()})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	if err := r.WriteRelations(ctx, model.HasRole, []model.Relation{model.MemberOfRel("a", "g")}); err == nil {
		t.Error("a member_of relation went into has_role")
	}
	if err := r.WriteEntities(ctx, "robot", nil); err == nil {
		t.Error("unknown entity kind accepted")
	}
	// Bad rows leave nothing half-written: a good row still commits.
	if err := r.WriteEntities(ctx, model.User, []model.Entity{good}); err != nil {
		t.Fatal(err)
	}
	m := newManifest("R")
	if err := r.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	if m.Table("user").Rows != 1 {
		t.Fatalf("user rows %d, want 1", m.Table("user").Rows)
	}
}

// TestConcurrentSameKind: many goroutines on one table, batches flushing on
// the way; every row lands exactly once.
func TestConcurrentSameKind(t *testing.T) {
	ctx := context.Background()
	tune, mem := checkedTune()
	r, err := Create(ctx, withRun(outputCfg(t.TempDir(), "parquet", "snappy", 97), "R", tune))
	if err != nil {
		t.Fatal(err)
	}
	const workers, per = 8, 250
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i += 10 {
				batch := make([]model.Relation, 10)
				for j := range batch {
					batch[j] = model.MemberOfRel(fmt.Sprintf("u%d-%d", w, i+j), "g")
				}
				if err := r.WriteRelations(ctx, model.MemberOf, batch); err != nil {
					t.Error(err)
					return
				}
				if err := r.WriteEntities(ctx, model.Group, []model.Entity{model.NewGroup(fmt.Sprintf("g%d-%d", w, i), "G", "")}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	m := newManifest("R")
	if err := r.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	mt := m.Table("member_of")
	if mt.Rows != workers*per || len(mt.Files) != (workers*per+96)/97 {
		t.Fatalf("member_of: %d rows in %d files", mt.Rows, len(mt.Files))
	}
	rr, err := openRun(ctx, r.Location(), nil, tune)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, rel := range scanAllRelations(t, rr, model.MemberOf) {
		if seen[rel.FromID] {
			t.Fatalf("duplicate %s", rel.FromID)
		}
		seen[rel.FromID] = true
	}
	if len(seen) != workers*per {
		t.Fatalf("read %d distinct rows", len(seen))
	}
	if err := rr.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	mem.AssertSize(t, 0)
}

// TestVerifyFindsProblems tampers with a finished run in several ways and
// expects each problem, naming its file.
func TestVerifyFindsProblems(t *testing.T) {
	for _, format := range []string{"parquet", "csv"} {
		t.Run(format, func(t *testing.T) {
			ctx := context.Background()
			dest := t.TempDir()
			r, err := Create(ctx, withRun(outputCfg(dest, format, "", 10), "R", nil))
			if err != nil {
				t.Fatal(err)
			}
			if err := r.WriteEntities(ctx, model.User, makeEntities(model.User, 25)); err != nil {
				t.Fatal(err)
			}
			if err := r.WriteRelations(ctx, model.MemberOf, makeRelations(model.MemberOf, 5)); err != nil {
				t.Fatal(err)
			}
			if err := r.Commit(ctx, newManifest("R")); err != nil {
				t.Fatal(err)
			}
			run := r.Location()
			ext := map[string]string{"parquet": ".parquet", "csv": ".csv"}[format]
			p0 := "entities/source_type=user/part-00000" + ext
			p1 := "entities/source_type=user/part-00001" + ext
			pg := "entities/source_type=group/part-00000" + ext
			// Flip a byte in p0, delete p1, add a stray file, lie about rows of member_of.
			b, _ := os.ReadFile(filepath.Join(run.String(), p0))
			b[len(b)/2] ^= 0xff
			_ = os.WriteFile(filepath.Join(run.String(), p0), b, 0o600)
			_ = os.Remove(filepath.Join(run.String(), p1))
			_ = os.WriteFile(filepath.Join(run.String(), "entities", "stray.txt"), []byte("x"), 0o600)
			// A group file with an extra row: sha, bytes and rows all wrong.
			replaceWithRows(t, run.String(), pg, format)

			rr, err := OpenRun(ctx, run, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = rr.Verify(ctx)
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("Verify: %v", err)
			}
			msg := err.Error()
			for _, want := range []string{p0 + ": sha256", p1 + ":", "entities/stray.txt: in the run folder but not in the manifest", pg + ": 1 rows, manifest says 0"} {
				if !strings.Contains(msg, want) {
					t.Errorf("verify output lacks %q:\n%s", want, msg)
				}
			}
		})
	}
}

// replaceWithRows overwrites an empty group part with one holding a row,
// written by a second run of the same format.
func replaceWithRows(t *testing.T, run, name, format string) {
	t.Helper()
	ctx := context.Background()
	r, err := Create(ctx, withRun(outputCfg(t.TempDir(), format, "", 10), "X", nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WriteEntities(ctx, model.Group, []model.Entity{model.NewGroup("g", "G", "")}); err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(ctx, newManifest("X")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(r.Location().String(), filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(run, filepath.FromSlash(name)), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRunIncomplete(t *testing.T) {
	ctx := context.Background()
	dest := t.TempDir()
	r, err := Create(ctx, withRun(outputCfg(dest, "parquet", "", 2), "R", nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WriteEntities(ctx, model.User, makeEntities(model.User, 5)); err != nil {
		t.Fatal(err)
	}
	// Parts are on disk, but no Commit: the run is not complete.
	_, err = OpenRun(ctx, r.Location(), nil)
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "no manifest.json") || !strings.Contains(err.Error(), r.Location().String()) {
		t.Fatalf("OpenRun of an unfinished run: %v", err)
	}
	if _, err := OpenRun(ctx, location.MustParse(filepath.Join(dest, "nope")), nil); err == nil || !strings.Contains(err.Error(), "no run folder") {
		t.Fatalf("OpenRun of a missing folder: %v", err)
	}
	if err := r.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Abort(ctx); err != nil {
		t.Fatalf("second Abort: %v", err)
	}
	if err := r.Commit(ctx, newManifest("R")); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
}

func TestSchemas(t *testing.T) {
	s := EntitySchema(model.User)
	cols := model.EntityColumns(model.User)
	if s.NumFields() != len(cols) || s.Field(0).Name != "source_id" || s.Field(4).Name != "metadata" {
		t.Fatalf("user schema: %s", s)
	}
	la, _ := s.FieldsByName("last_active")
	if len(la) != 1 || la[0].Type.String() != "timestamp[ms, tz=UTC]" || !la[0].Nullable {
		t.Fatalf("last_active: %+v", la)
	}
	act, _ := s.FieldsByName("active")
	if act[0].Type.String() != "bool" || act[0].Nullable {
		t.Fatalf("active: %+v", act)
	}
	uc, _ := EntitySchema(model.ApplicationRole).FieldsByName("user_count")
	if uc[0].Type.String() != "int64" {
		t.Fatalf("user_count: %+v", uc)
	}
	if RelationSchema().NumFields() != len(model.RelationColumns) {
		t.Fatal("relation schema")
	}
	var b strings.Builder
	if err := DescribeTables(&b, append(Schemas(), ChangeTableSchema())); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"entities/source_type=user", "relations/relation=holds_permission", "last_active", "timestamp[ms, tz=UTC]", "nullable"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("description lacks %q", want)
		}
	}
}
