package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3Options configure an S3 store. Credentials always come from the SDK's
// default chain (environment, shared config, SSO, web identity, IMDS).
type S3Options struct {
	Region       string // empty: the chain's region, else us-east-1
	Endpoint     string // S3-compatible endpoint, e.g. http://127.0.0.1:7070
	UsePathStyle bool
	SSE          string // "", "AES256" or "aws:kms"
	KMSKeyID     string // with aws:kms

	// Tuning; zero values take the defaults below.
	MaxAttempts    int           // SDK retryer attempts per request (default 5)
	UploadAttempts int           // attempts of a whole upload (default 3)
	RetryBackoff   time.Duration // first pause between whole uploads, doubled each time (default 1s)
	PartSize       int64         // multipart part size (default and minimum 5 MiB)
	Concurrency    int           // parts uploaded at once per file (default 4)
	SpillDir       string        // where files wait before upload (default os.TempDir())
	// HTTPClient replaces the SDK's HTTP client (tests record requests with it).
	HTTPClient aws.HTTPClient
}

// Defaults of S3Options.
const (
	DefaultS3MaxAttempts    = 5
	DefaultS3UploadAttempts = 3
	DefaultS3RetryBackoff   = time.Second
)

// S3 is a run folder under an S3 prefix.
type S3 struct {
	client   *s3.Client
	uploader *manager.Uploader
	bucket   string
	prefix   string // the run folder's key prefix, no trailing slash
	opts     S3Options

	mu      sync.Mutex
	written []string
}

// NewS3 returns the store of the run folder s3://bucket/prefix.
func NewS3(ctx context.Context, bucket, prefix string, o S3Options) (*S3, error) {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultS3MaxAttempts
	}
	if o.UploadAttempts <= 0 {
		o.UploadAttempts = DefaultS3UploadAttempts
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = DefaultS3RetryBackoff
	}
	if o.PartSize < manager.MinUploadPartSize {
		o.PartSize = manager.MinUploadPartSize
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.SpillDir == "" {
		o.SpillDir = os.TempDir()
	}
	loadOpts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRetryMaxAttempts(o.MaxAttempts)}
	if o.Region != "" {
		loadOpts = append(loadOpts, awsconfig.WithRegion(o.Region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		so.UsePathStyle = o.UsePathStyle
		if o.HTTPClient != nil {
			so.HTTPClient = o.HTTPClient
		}
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
			// S3-compatible servers often reject the newer default
			// integrity checksums; send them only where required.
			so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
	up := manager.NewUploader(client, func(u *manager.Uploader) {
		u.PartSize = o.PartSize
		u.Concurrency = o.Concurrency
	})
	return &S3{client: client, uploader: up, bucket: bucket, prefix: strings.Trim(prefix, "/"), opts: o}, nil
}

// Client returns the underlying S3 client.
func (s *S3) Client() *s3.Client { return s.client }

// Location returns s3://bucket/prefix.
func (s *S3) Location() string { return "s3://" + s.bucket + "/" + s.prefix }

func (s *S3) key(name string) (string, error) {
	clean := path.Clean(name)
	if clean != name || path.IsAbs(name) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("bad file name %q: want a clean relative path", name)
	}
	if s.prefix == "" {
		return clean, nil
	}
	return s.prefix + "/" + clean, nil
}

func (s *S3) url(key string) string { return "s3://" + s.bucket + "/" + key }

func (s *S3) sse(in *s3.PutObjectInput) {
	switch s.opts.SSE {
	case "AES256":
		in.ServerSideEncryption = types.ServerSideEncryptionAes256
	case "aws:kms":
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		if s.opts.KMSKeyID != "" {
			in.SSEKMSKeyId = aws.String(s.opts.KMSKeyID)
		}
	}
}

// Check writes and deletes a small probe object under the run prefix.
func (s *S3) Check(ctx context.Context) error {
	key, _ := s.key(".write-check")
	in := &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key), Body: strings.NewReader("")}
	s.sse(in)
	fix := "(fix: check the bucket name, output.s3.region / output.s3.endpoint, and that the AWS credentials of the default chain — AWS_PROFILE, AWS_ACCESS_KEY_ID, ... — may write there)"
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return fmt.Errorf("S3 destination %s is not writable: %w %s", s.Location(), err, fix)
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}); err != nil {
		return fmt.Errorf("S3 destination %s: delete write probe: %w", s.Location(), err)
	}
	return nil
}

// Create spills the file to a local temporary file; Commit uploads it.
func (s *S3) Create(ctx context.Context, name string) (Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key, err := s.key(name)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.opts.SpillDir, "jira-extractor-spill-*")
	if err != nil {
		return nil, fmt.Errorf("spill file for %s: %w", s.url(key), err)
	}
	return &s3Writer{s: s, f: f, key: key}, nil
}

type s3Writer struct {
	s    *S3
	f    *os.File
	key  string
	done bool
}

func (w *s3Writer) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		err = fmt.Errorf("spill %s to %s: %w", w.s.url(w.key), w.f.Name(), err)
	}
	return n, err
}

// Commit uploads the spilled file from disk, retrying whole uploads.
func (w *s3Writer) Commit(ctx context.Context) error {
	if w.done {
		return errors.New("file already committed or aborted")
	}
	w.done = true
	defer func() {
		_ = w.f.Close()
		_ = os.Remove(w.f.Name())
	}()
	if err := w.s.upload(ctx, w.key, w.f); err != nil {
		return err
	}
	w.s.mu.Lock()
	w.s.written = append(w.s.written, w.key)
	w.s.mu.Unlock()
	return nil
}

func (w *s3Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	_ = w.f.Close()
	_ = os.Remove(w.f.Name())
}

// upload sends f to key with manager.Upload (multipart above the part
// size). The SDK retries each request; whole uploads are retried here too.
func (s *S3) upload(ctx context.Context, key string, f *os.File) error {
	pause := s.opts.RetryBackoff
	var err error
	for attempt := 1; attempt <= s.opts.UploadAttempts; attempt++ {
		if _, serr := f.Seek(0, io.SeekStart); serr != nil {
			return fmt.Errorf("upload %s: rewind spill file: %w", s.url(key), serr)
		}
		in := &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key), Body: f}
		s.sse(in)
		if _, err = s.uploader.Upload(ctx, in); err == nil {
			return nil
		}
		if ctx.Err() != nil || attempt == s.opts.UploadAttempts {
			break
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("upload %s: %w (last error: %v)", s.url(key), ctx.Err(), err)
		case <-t.C:
		}
		pause *= 2
	}
	return fmt.Errorf("upload %s failed after %d attempts: %w", s.url(key), s.opts.UploadAttempts, err)
}

// Open downloads the object to a temporary file, removed on Close.
func (s *S3) Open(ctx context.Context, name string) (File, error) {
	key, err := s.key(name)
	if err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("get %s: %w", s.url(key), ErrNotExist)
		}
		return nil, fmt.Errorf("get %s: %w", s.url(key), err)
	}
	defer out.Body.Close()
	f, err := os.CreateTemp(s.opts.SpillDir, "jira-extractor-get-*")
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", s.url(key), err)
	}
	cleanup := func() { _ = os.Remove(f.Name()) }
	n, err := io.Copy(f, out.Body)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		_ = f.Close()
		cleanup()
		return nil, fmt.Errorf("download %s: %w", s.url(key), err)
	}
	return &osFile{File: f, size: n, cleanup: cleanup}, nil
}

func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return true
	}
	var nf *types.NotFound
	if errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound")
}

// List lists every object under the run prefix.
func (s *S3) List(ctx context.Context) ([]string, error) {
	pfx := s.prefix + "/"
	if s.prefix == "" {
		pfx = ""
	}
	var names []string
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(pfx)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", s.Location(), err)
		}
		for _, o := range page.Contents {
			names = append(names, strings.TrimPrefix(aws.ToString(o.Key), pfx))
		}
	}
	sort.Strings(names)
	return names, nil
}

// RemoveAll deletes the objects this store uploaded.
func (s *S3) RemoveAll(ctx context.Context) error {
	s.mu.Lock()
	keys := append([]string(nil), s.written...)
	s.written = nil
	s.mu.Unlock()
	var errs []error
	for _, k := range keys {
		if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(k)}); err != nil {
			errs = append(errs, fmt.Errorf("delete %s: %w", s.url(k), err))
		}
	}
	return errors.Join(errs...)
}
