package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const jobToken = "me@example.com:ATATT-good-token-value"

// Each job file has a problem today's code let through (or found only
// after contacting Jira); each must exit 2 before any request, naming the
// key, the problem and the fix, without printing a secret.
func TestNewJobFileProblemsExit2(t *testing.T) {
	// Every base URL is on 127.0.0.1, so even code that let a problem
	// through would reach nothing else.
	const local = `"gatewayUrl":"http://127.0.0.1:1"`
	site := `"token":"` + jobToken + `","siteName":"acme","baseUrl":"http://127.0.0.1:1",` + local
	cases := []struct {
		name, job, key, message string
	}{
		{"tiny rate", `{"appConfig":{` + site + `,"requestsPerSecond":1e-12}}`, "appConfig.requestsPerSecond", "outside 0.1 to 100000"},
		{"1ns timeout", `{"appConfig":{` + site + `,"timeout":"1ns"}}`, "appConfig.timeout", "outside 1s"},
		{"port 99999", `{"appConfig":{"token":"` + jobToken + `","siteName":"acme",` + local + `,"baseUrl":"http://127.0.0.1:99999"}}`, "appConfig.baseUrl", "port 99999"},
		{"relative file URL", `{"appConfig":{` + site + `},"output":{"destination":"file://relative"}}`, "output.destination", `host "relative"`},
		{"bare file URL", `{"appConfig":{` + site + `},"output":{"destination":"file://"}}`, "output.destination", "no path"},
		{"s3 with one slash", `{"appConfig":{` + site + `},"output":{"destination":"s3:/bucket/x"}}`, "output.destination", "malformed S3 URL"},
		{"bad bucket", `{"appConfig":{` + site + `},"output":{"destination":"s3://Bad_Bucket/x"}}`, "output.destination", "bucket name"},
		{"blank token", `{"appConfig":{"token":"  :  ","siteName":"acme","baseUrl":"http://127.0.0.1:1",` + local + `}}`, "appConfig.token", "half is empty"},
		{"duplicate key", "{\"appConfig\":{" + site + ",\n\"siteName\":\"other\"}}", "appConfig.siteName", "more than once (lines 1 and 2)"},
		{"ftp S3 endpoint", `{"appConfig":{` + site + `},"output":{"s3":{"endpoint":"ftp://127.0.0.1:7070"}}}`, "output.s3.endpoint", `scheme "ftp"`},
		{"upload api password", `{"appConfig":{` + site + `},"upload":{"api":"https://bob:hunter2-pw@127.0.0.1/api"}}`, "upload.api", "password"},
		{"short API token", `{"appConfig":{"token":"me@example.com:abc","siteName":"acme","baseUrl":"http://127.0.0.1:1",` + local + `}}`, "appConfig.token", "shorter than 8"},
		{"short org key", `{"appConfig":{` + site + `,"orgId":"o","orgApiKey":"k"}}`, "appConfig.orgApiKey", "shorter than 8"},
		{"afterRun without api", `{"appConfig":{` + site + `},"upload":{"afterRun":true}}`, "upload.api", "afterRun"},
		{"type error in job words", `{"appConfig":{` + site + `,"concurrency":"8"}}`, "appConfig.concurrency", "must be a whole number, got a string"},
		{"syntax error line and column", "{\n \"appConfig\": {" + site + "}\n \"output\": {}\n}", "(file)", "line 3, column 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeJob(t, dir, c.job)
			r := runBin(t, dir, "run", "--config", path)
			if r.code != ExitUsage {
				t.Fatalf("want exit 2\n%s", r)
			}
			if !strings.Contains(r.stderr, "  "+c.key+": ") || !strings.Contains(r.stderr, c.message) || !strings.Contains(r.stderr, "fix: ") {
				t.Fatalf("stderr does not name key %q, message %q and a fix\n%s", c.key, c.message, r)
			}
			if n := strings.Count(r.stderr, "  "+c.key+": "); n != 1 {
				t.Errorf("%s reported %d times\n%s", c.key, n, r)
			}
			for _, bad := range []string{"good-token-value", "hunter2", "want config.", "AppConfig", "byte"} {
				if strings.Contains(r.stderr+r.stdout, bad) {
					t.Errorf("output shows %q\n%s", bad, r)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "s3:")); err == nil {
				t.Errorf("a local folder named s3: was written")
			}
		})
	}
}

func TestJobFileTooLargeExit2(t *testing.T) {
	r := runBin(t, "", "check", "--config", "/dev/zero")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "job file larger than 1 MiB: /dev/zero") {
		t.Fatalf("want exit 2 and the size problem\n%s", r)
	}
}

// The job file is read once: a pipe (--config /dev/stdin) works with --out.
func TestJobFileFromAPipeWithOverride(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		_, _ = fmt.Fprintf(w, `{"appConfig":{"token":%q,"siteName":"acme"}}`, jobToken)
		_ = w.Close()
	}()
	var errb bytes.Buffer
	job, code, done := loadJob(context.Background(), Env{Err: &errb}, "run", jobFlags{config: fmt.Sprintf("/dev/fd/%d", r.Fd())},
		override{flag: "--out", key: "output.destination", value: "file://localhost/tmp/x"})
	if done {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if got := job.Output.Location.Join("R").String(); got != "/tmp/x/R" {
		t.Fatalf("run location %q", got)
	}
}

// A UTF-8 byte order mark (as some Windows editors write) is accepted.
func TestJobFileWithByteOrderMark(t *testing.T) {
	path := writeJob(t, t.TempDir(), "\xEF\xBB\xBF"+`{"appConfig":{"token":"`+jobToken+`","siteName":"acme"}}`)
	var errb bytes.Buffer
	if _, code, done := loadJob(context.Background(), Env{Err: &errb}, "run", jobFlags{config: path}); done {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
}

// A FIFO nobody writes to must not swallow the interrupt: a cancelled
// context ends the command.
func TestJobFileFIFOCancelled(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "job.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			_ = f.Close()
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- Main(ctx, []string{"check", "--config", fifo}, Env{Out: &bytes.Buffer{}, Err: &errb}) }()
	cancel()
	select {
	case code := <-done:
		if code != ExitFailed || !strings.Contains(errb.String(), "context canceled") {
			t.Fatalf("exit %d\n%s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the command did not end after cancellation")
	}
}
