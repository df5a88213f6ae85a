package config

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadJobFileIsBounded(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, make([]byte, MaxJobFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	limit := filepath.Join(dir, "limit.json")
	if err := os.WriteFile(limit, make([]byte, MaxJobFileSize), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{big, "/dev/zero"} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		_, err := ReadJobFile(context.Background(), p)
		if !IsInvalid(err) || !strings.Contains(err.Error(), "job file larger than 1 MiB: "+p) {
			t.Errorf("%s: %v", p, err)
		}
	}
	if b, err := ReadJobFile(context.Background(), limit); err != nil || len(b) != MaxJobFileSize {
		t.Errorf("a 1 MiB file: %d bytes, %v", len(b), err)
	}
	_, err := ReadJobFile(context.Background(), filepath.Join(dir, "missing.json"))
	if !IsInvalid(err) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

// waitErr waits for a ReadJobFile result, failing after a deadline.
func waitErr(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("ReadJobFile did not return after its context was cancelled")
		return nil
	}
}

// A FIFO with no writer blocks in open(2); cancelling the context (the
// first SIGTERM) must end the read.
func TestReadJobFileCancelledWhileOpenBlocks(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "job.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Release the reader still blocked in open.
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			_ = f.Close()
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := ReadJobFile(ctx, fifo); done <- err }()
	cancel()
	if err := waitErr(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// A pipe whose writer never writes blocks in read(2); cancelling ends it.
func TestReadJobFileCancelledWhileReadBlocks(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := ReadJobFile(ctx, fmt.Sprintf("/dev/fd/%d", r.Fd())); done <- err }()
	// A partial document and an open writer: the read cannot finish.
	if _, err := w.Write([]byte("{")); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := waitErr(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// The job file is read once, so a pipe (--config /dev/stdin) works.
func TestLoadReadsAPipeOnce(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		_, _ = w.Write([]byte(validJob))
		_ = w.Close()
	}()
	job, err := Load(context.Background(), fmt.Sprintf("/dev/fd/%d", r.Fd()),
		Options{LookupEnv: noEnv, Set: map[string]string{"output.destination": "/tmp/x"}})
	if err != nil {
		t.Fatal(err)
	}
	if job.Output.Location.Path() != "/tmp/x" || job.AppConfig.Site() != "acme" {
		t.Fatalf("job %+v", job.Output)
	}
}
