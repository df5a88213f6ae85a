package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/govextract/jira-extractor/internal/location"
)

// Problem is one thing wrong with a job file: the key (dotted path), what is
// wrong, and how to fix it.
type Problem struct {
	Key     string `json:"key"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

func (p Problem) String() string {
	s := p.Key + ": " + p.Message
	if p.Fix != "" {
		s += " (fix: " + p.Fix + ")"
	}
	return s
}

// InvalidError lists every problem found in a job file. Commands exit 2 on it.
type InvalidError struct{ Problems []Problem }

func (e *InvalidError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return "invalid job file:\n  " + strings.Join(lines, "\n  ")
}

// IsUsage marks an InvalidError as the caller's to fix (exit code 2).
func (e *InvalidError) IsUsage() bool { return true }

// IsInvalid reports whether err is (or wraps) an InvalidError.
func IsInvalid(err error) bool {
	var ie *InvalidError
	return errors.As(err, &ie)
}

func invalid(key, msg, fix string) *InvalidError {
	return &InvalidError{Problems: []Problem{{Key: key, Message: msg, Fix: fix}}}
}

// Options change what Parse accepts and where it looks for credentials.
type Options struct {
	// AllowInsecure lets appConfig.insecureSkipVerify and
	// scim.insecureSkipVerify through; without it they are refused. Set
	// only from an explicit operator flag.
	AllowInsecure bool
	// Set replaces string keys of the job file before defaults and
	// validation, as command-line flags do (--out sets
	// "output.destination"). Problems of a replaced key carry its key.
	Set map[string]string
	// LookupEnv reads the environment for credentials (JIRA_EMAIL,
	// JIRA_API_TOKEN, ATLASSIAN_ORG_API_KEY, ENTITY_API_KEY_ID,
	// ENTITY_API_KEY_SECRET); nil means os.LookupEnv.
	LookupEnv func(key string) (string, bool)
	// ReadSecretFile reads appConfig.apiTokenFile and orgApiKeyFile; nil
	// means a bounded read of the local file (MaxSecretFileSize).
	ReadSecretFile func(path string) ([]byte, error)
}

// MaxJobFileSize is the largest job file read.
const MaxJobFileSize = 1 << 20

// ReadJobFile reads the job file at path once, at most MaxJobFileSize
// bytes. It returns when ctx is cancelled even if the open or the read
// blocks (a FIFO with no writer, a stalled pipe). Errors are *InvalidError
// under the key "--config", except cancellation, which returns ctx.Err().
func ReadJobFile(ctx context.Context, path string) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	var (
		mu        sync.Mutex
		open      *os.File
		cancelled bool
	)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			done <- result{err: err}
			return
		}
		mu.Lock()
		if cancelled {
			mu.Unlock()
			_ = f.Close()
			return
		}
		open = f
		mu.Unlock()
		b, err := io.ReadAll(io.LimitReader(f, MaxJobFileSize+1))
		_ = f.Close()
		done <- result{b, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		mu.Lock()
		cancelled = true
		if open != nil {
			_ = open.Close() // unblocks a read of a pipe or FIFO
		}
		mu.Unlock()
		return nil, fmt.Errorf("read job file %s: %w", path, ctx.Err())
	}
	const fix = "pass the path of a readable JSON job file with --config"
	if r.err != nil {
		var pe *os.PathError
		msg := r.err.Error()
		if errors.As(r.err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, invalid("--config", fmt.Sprintf("cannot read job file %s: %s", path, msg), fix)
	}
	if len(r.b) > MaxJobFileSize {
		return nil, invalid("--config", fmt.Sprintf("job file larger than 1 MiB: %s", path),
			"pass the JSON job file itself; a job file is a few kilobytes")
	}
	return r.b, nil
}

// Load reads the job file at path (see ReadJobFile) and parses it.
func Load(ctx context.Context, path string, opts Options) (*Job, error) {
	b, err := ReadJobFile(ctx, path)
	if err != nil {
		return nil, err
	}
	return Parse(b, opts)
}

// Parse turns a job file into a Job in three steps: decode (syntax, unknown
// and repeated keys, types, and opts.Set), apply the defaults of Keys, then
// validate, including the credentials from the environment and secret
// files. Every problem found is returned together in one *InvalidError.
func Parse(data []byte, opts Options) (*Job, error) {
	job, d, err := decode(data, opts.Set)
	if err != nil {
		return nil, err
	}
	applyDefaults(job, d.present)
	// A DNS label is case-insensitive: "Acme" is the site "acme".
	job.AppConfig.SiteName = strings.ToLower(job.AppConfig.SiteName)
	job.AppConfig.OrgName = strings.ToLower(job.AppConfig.OrgName)
	probs := d.probs
	derived := append(resolveSecrets(job, opts), validate(job, opts)...)
	derived = scimProblems(job, d, derived, opts)
	for _, p := range derived {
		if !d.reported(p.Key) {
			probs = append(probs, p)
		}
	}
	if len(probs) > 0 {
		return nil, &InvalidError{Problems: probs}
	}
	job.Output.Location = location.MustParse(job.Output.Destination) // validated above
	return job, nil
}
