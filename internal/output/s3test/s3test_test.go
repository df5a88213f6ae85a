package s3test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestStartPutGetStop(t *testing.T) {
	s := Start(t)
	s.CreateBucket(t, "bkt")
	ctx := context.Background()
	c := s.Client()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("a/b.txt"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatalf("put: %v", err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("a/b.txt")})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	b, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(b) != "hello" {
		t.Fatalf("got %q", b)
	}
	// The posix backend stores objects as files under Dir/bucket.
	if b, err := os.ReadFile(filepath.Join(s.Dir, "bkt", "a", "b.txt")); err != nil || string(b) != "hello" {
		t.Fatalf("backend file: %q %v", b, err)
	}
	// Wrong keys are refused: the server really checks signatures.
	bad := &Server{Endpoint: s.Endpoint, Region: s.Region, AccessKey: s.AccessKey, Secret: "wrong"}
	if _, err := bad.Client().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt")}); err == nil {
		t.Fatal("list with a wrong secret succeeded")
	}
	s.Stop()
	s.Stop() // idempotent
	if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt")}); err == nil {
		t.Fatal("list after Stop succeeded")
	}
}
