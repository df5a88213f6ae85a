package output

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output/s3test"
	"github.com/govextract/jira-extractor/internal/output/store"
)

// recorder is an HTTP client that remembers every request's method, query
// and headers before sending it.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
	c    *http.Client
}

type recorded struct {
	Method, Path, Query string
	Header              http.Header
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery, Header: req.Header.Clone()})
	r.mu.Unlock()
	return r.c.Do(req)
}

// op names an S3 request by its shape.
func (r recorded) op() string {
	switch {
	case r.Method == http.MethodPost && strings.Contains(r.Query, "uploads"):
		return "CreateMultipartUpload"
	case r.Method == http.MethodPut && strings.Contains(r.Query, "partNumber="):
		return "UploadPart"
	case r.Method == http.MethodPost && strings.Contains(r.Query, "uploadId="):
		return "CompleteMultipartUpload"
	case r.Method == http.MethodPut && (r.Query == "" || r.Query == "x-id=PutObject"):
		return "PutObject"
	}
	return r.Method + " " + r.Path + "?" + r.Query
}

func (r *recorder) ops() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

// s3Env starts versitygw with a bucket and points the SDK's default chain
// at it through the environment.
func s3Env(t *testing.T) (*s3test.Server, *recorder, *tuning) {
	srv, rec, tune, _ := s3EnvSpill(t)
	return srv, rec, tune
}

// s3EnvSpill is s3Env that also returns the folder files wait in before upload.
func s3EnvSpill(t *testing.T) (*s3test.Server, *recorder, *tuning, string) {
	spill := t.TempDir()
	srv := s3test.Start(t)
	srv.SetEnv(t)
	srv.CreateBucket(t, "runs")
	rec := &recorder{c: &http.Client{}}
	tune := &tuning{s3: func(o *store.S3Options) {
		o.HTTPClient = rec
		o.MaxAttempts = 2
		o.UploadAttempts = 2
		o.RetryBackoff = 10 * time.Millisecond
		o.SpillDir = spill
	}}
	return srv, rec, tune, spill
}

func s3Output(srv *s3test.Server, format string, batchRows int) Options {
	o := outputCfg("s3://runs/jira/nightly", format, "", batchRows)
	// Region and credentials come from the environment (default chain).
	o.S3 = &store.S3Options{Endpoint: srv.Endpoint, UsePathStyle: true}
	return o
}

func TestS3RoundTrip(t *testing.T) {
	srv, _, tune := s3Env(t)
	ctx := context.Background()
	for _, format := range []string{"parquet", "csv"} {
		runID := "RUN-" + format
		out := s3Output(srv, format, 4)
		r, err := Create(ctx, withRun(out, runID, tune))
		if err != nil {
			t.Fatal(err)
		}
		if want := "s3://runs/jira/nightly/" + runID; r.Location().String() != want {
			t.Fatalf("Location %q, want %q", r.Location(), want)
		}
		users := makeEntities(model.User, 10)
		rels := makeRelations(model.HoldsPermission, 9)
		writeAll(t, r, map[model.SourceType][]model.Entity{model.User: users}, map[model.RelationKind][]model.Relation{model.HoldsPermission: rels}, 3)
		m := newManifest(runID)
		if err := r.Commit(ctx, m); err != nil {
			t.Fatal(err)
		}
		if len(m.Table("user").Files) != 3 {
			t.Fatalf("user files: %+v", m.Table("user").Files)
		}
		// The objects are really in the bucket (posix backend folder).
		if _, err := os.Stat(filepath.Join(srv.Dir, "runs", "jira", "nightly", runID, manifest.FileName)); err != nil {
			t.Fatal(err)
		}
		rr, err := openRun(ctx, r.Location(), out.S3, tune)
		if err != nil {
			t.Fatal(err)
		}
		if err := rr.Verify(ctx); err != nil {
			t.Fatal(err)
		}
		assertEntities(t, model.User, users, scanAllEntities(t, rr, model.User))
		if got := scanAllRelations(t, rr, model.HoldsPermission); len(got) != len(rels) {
			t.Fatalf("relations: %d", len(got))
		}
	}
	// A run without a manifest is refused.
	if _, err := OpenRun(ctx, location.MustParse("s3://runs/jira/nightly/NOPE"), &store.S3Options{Endpoint: srv.Endpoint, UsePathStyle: true}); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("OpenRun of a missing run: %v", err)
	}
}

// TestS3MultipartAndSSE uploads a part file over 5 MiB: it must go up in
// several parts, carry the SSE headers, and download intact.
func TestS3MultipartAndSSE(t *testing.T) {
	srv, rec, tune := s3Env(t)
	ctx := context.Background()
	for _, sse := range []struct{ mode, key string }{{"AES256", ""}, {"aws:kms", "arn:aws:kms:us-east-1:111122223333:key/test-key"}} {
		rec.mu.Lock()
		rec.reqs = nil
		rec.mu.Unlock()
		out := s3Output(srv, "csv", 1_000_000)
		out.S3.SSE, out.S3.KMSKeyID = sse.mode, sse.key
		runID := "BIG-" + strings.ReplaceAll(sse.mode, ":", "")
		r, err := Create(ctx, withRun(out, runID, tune))
		if err != nil {
			t.Fatalf("%s: %v", sse.mode, err)
		}
		// ~7 MiB of CSV in one part file.
		big := make([]model.Relation, 60_000)
		for i := range big {
			big[i] = model.MemberOfRel(strings.Repeat("a", 60)+hex.EncodeToString([]byte{byte(i), byte(i >> 8), byte(i >> 16)}), "group-"+strings.Repeat("g", 40))
		}
		if err := r.WriteRelations(ctx, model.MemberOf, big); err != nil {
			t.Fatal(err)
		}
		m := newManifest(runID)
		if err := r.Commit(ctx, m); err != nil {
			t.Fatal(err)
		}
		f := m.Table("member_of").Files[0]
		if f.Bytes <= 5<<20 {
			t.Fatalf("part is only %d bytes", f.Bytes)
		}
		counts := map[string]int{}
		for _, q := range rec.ops() {
			op := q.op()
			counts[op]++
			if op != "PutObject" && op != "CreateMultipartUpload" {
				continue
			}
			if got := q.Header.Get("X-Amz-Server-Side-Encryption"); got != sse.mode {
				t.Errorf("%s %s: x-amz-server-side-encryption %q, want %q", op, q.Path, got, sse.mode)
			}
			if got := q.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"); got != sse.key {
				t.Errorf("%s %s: kms key id %q, want %q", op, q.Path, got, sse.key)
			}
		}
		if counts["CreateMultipartUpload"] != 1 || counts["UploadPart"] < 2 || counts["CompleteMultipartUpload"] != 1 {
			t.Fatalf("%s: want one multipart upload of several parts, got %v", sse.mode, counts)
		}
		if counts["PutObject"] < 15 {
			t.Fatalf("small files and the manifest should use PutObject: %v", counts)
		}
		// Download and compare with the manifest.
		obj, err := srv.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("runs"), Key: aws.String("jira/nightly/" + runID + "/" + f.Path)})
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		n, err := io.Copy(h, obj.Body)
		obj.Body.Close()
		if err != nil || n != f.Bytes || hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
			t.Fatalf("download: %d bytes (want %d), err %v, sha match %v", n, f.Bytes, err, hex.EncodeToString(h.Sum(nil)) == f.SHA256)
		}
		rr, err := openRun(ctx, r.Location(), out.S3, tune)
		if err != nil {
			t.Fatal(err)
		}
		if err := rr.Verify(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestS3ServerStoppedMidRun: the server dies after some part files are up;
// the run fails with a clear error and no manifest exists.
func TestS3ServerStoppedMidRun(t *testing.T) {
	srv, _, tune, spill := s3EnvSpill(t)
	ctx := context.Background()
	out := s3Output(srv, "parquet", 5)
	r, err := Create(ctx, withRun(out, "DIES", tune))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WriteEntities(ctx, model.User, makeEntities(model.User, 12)); err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(srv.Dir, "runs", "jira", "nightly", "DIES")
	if _, err := os.Stat(filepath.Join(runDir, "entities", "source_type=user", "part-00001.parquet")); err != nil {
		t.Fatalf("parts before the stop: %v", err)
	}
	srv.Stop()
	werr := r.WriteEntities(ctx, model.User, makeEntities(model.User, 12))
	if werr == nil {
		t.Fatal("write with the server down succeeded")
	}
	for _, want := range []string{"upload s3://runs/jira/nightly/DIES/entities/source_type=user/part-0000", "failed after 2 attempts", "connection refused"} {
		if !strings.Contains(werr.Error(), want) {
			t.Errorf("error %q lacks %q", werr, want)
		}
	}
	if err := r.Commit(ctx, newManifest("DIES")); err == nil {
		t.Fatal("Commit after a failed upload succeeded")
	}
	if _, err := os.Stat(filepath.Join(runDir, manifest.FileName)); !os.IsNotExist(err) {
		t.Fatalf("manifest exists after a failed run: %v", err)
	}
	// No spill file is left behind.
	if left, _ := os.ReadDir(spill); len(left) != 0 {
		t.Fatalf("spill files left: %v", left)
	}
	if err := r.Abort(ctx); err == nil {
		t.Error("Abort with the server down could not delete the uploaded parts, yet reported no error")
	}
}

// TestS3NotWritable: a missing bucket fails at Open with the location and fix.
func TestS3NotWritable(t *testing.T) {
	srv, _, tune := s3Env(t)
	out := s3Output(srv, "parquet", 5)
	out.Destination = location.MustParse("s3://no-such-bucket/x")
	_, err := Create(context.Background(), withRun(out, "R", tune))
	if err == nil {
		t.Fatal("Open on a missing bucket succeeded")
	}
	for _, want := range []string{"s3://no-such-bucket/x/R", "not writable", "fix:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), srv.Secret) {
		t.Fatal("the secret key appears in the error")
	}
}
