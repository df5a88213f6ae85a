package upload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/govextract/jira-extractor/internal/httpx"
	"github.com/govextract/jira-extractor/internal/retry"
	"github.com/govextract/jira-extractor/internal/secret"
)

// Header names of the platform's API key.
const (
	HeaderKeyID     = "X-Api-Key-ID"
	HeaderKeySecret = "X-Api-Key-Secret"
	// HeaderChunk names the chunk being sent ("entities-00003"), so the
	// platform's logs (and the reference server) can tell chunks apart.
	HeaderChunk = "X-Upload-Chunk"
)

// Retry defaults.
const (
	DefaultMaxRetries     = 6
	DefaultRequestTimeout = 5 * time.Minute
	maxRetryAfter         = 5 * time.Minute
	// maxMessage caps the platform's message in an error.
	maxMessage = 500
)

// uploadBackoff is the wait after a 429 or 5xx without Retry-After, or a
// dropped connection: 0.5 s doubling to 30 s, times a jitter in [0.5, 1].
var uploadBackoff = retry.Backoff{Base: 500 * time.Millisecond, Cap: 30 * time.Second, JitterMin: 0.5, JitterMax: 1}

// StatusError is a refusal by the platform: the step, the HTTP status and
// the platform's message.
type StatusError struct {
	Step    string // "upload-url" or "put"
	Status  int
	Message string
	// RetryAfter is the server's Retry-After (HasRetryAfter says it was sent).
	RetryAfter    time.Duration
	HasRetryAfter bool
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s: HTTP %d %s", e.Step, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		s += ": " + e.Message
	}
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		s += " (the platform refused the API key: check ENTITY_API_KEY_ID and ENTITY_API_KEY_SECRET, or upload.keyId and upload.keySecret in the job file)"
	case e.Status == http.StatusRequestEntityTooLarge:
		s += " (the chunk is too large for the platform: lower --chunk-bytes or --chunk-rows, and remove the state file since chunk boundaries change)"
	}
	return s
}

// Retryable reports whether the request may succeed when sent again.
func (e *StatusError) Retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// client speaks the platform's two-step upload protocol.
type client struct {
	api        string // without trailing slash
	apiURL     *url.URL
	keyID      secret.Value
	keySecret  secret.Value
	http       *http.Client
	maxRetries int
	timeout    time.Duration
	backoff    retry.Backoff
	logger     *slog.Logger
	// sleep waits between attempts (tests replace it).
	sleep func(ctx context.Context, d time.Duration) error
	scrub secret.Scrubber
	now   func() time.Time
}

func newClient(api string, keyID, keySecret secret.Value, hc *http.Client, maxRetries int, timeout time.Duration, logger *slog.Logger) (*client, error) {
	api = strings.TrimRight(api, "/")
	if err := CheckAPI(api); err != nil {
		return nil, err
	}
	u, _ := url.Parse(api) // checked above
	// The upload API never redirects: a redirect would carry the key
	// headers (Go strips only Authorization and Cookie across hosts) or
	// the chunk to another server, so every one is refused, whoever built
	// the HTTP client.
	if hc == nil {
		hc = httpx.New(httpx.Options{})
	} else {
		hc = httpx.Harden(hc, httpx.RefuseRedirects)
	}
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &client{api: api, apiURL: u, keyID: keyID, keySecret: keySecret, http: hc, maxRetries: maxRetries, timeout: timeout,
		backoff: uploadBackoff, logger: logger, sleep: retry.Sleep, now: time.Now,
		scrub: secret.NewScrubber(keySecret.Reveal(), keyID.Reveal())}, nil
}

// clock adapts the client's sleep to a retry.Clock.
type clock struct{ c *client }

func (k clock) Now() time.Time                                   { return k.c.now() }
func (k clock) Sleep(ctx context.Context, d time.Duration) error { return k.c.sleep(ctx, d) }

func endpoint(phase string) string {
	if phase == PhaseRelations {
		return "/v0/entity-relations/upload-url"
	}
	return "/v0/entities/upload-url"
}

// send delivers one chunk: a fresh upload URL, then the PUT, both retried
// together (retry.Policy) on 429, 5xx and dropped connections, after
// Retry-After when the platform sends one, else the backoff. A chunk is
// resent whole: the platform treats the same X-Upload-Chunk and
// Content-Digest as a duplicate, so the PUT is safe to repeat. A refused
// redirect and any other 4xx are final.
func (c *client) send(ctx context.Context, ch Chunk) error {
	p := retry.Policy{
		Clock:        clock{c},
		Failure:      c.backoff,
		Throttle:     c.backoff,
		MaxFailures:  c.maxRetries,
		MaxThrottled: c.maxRetries,
		MaxRetries:   c.maxRetries,
		OnRetry: func(r retry.Retry) {
			c.logger.Warn("upload retry", "chunk", ch.Name(), "attempt", r.Attempt, "delay", r.Wait, "error", r.Result.Err.Error())
		},
	}
	err := p.Do(ctx, func(ctx context.Context, _ int) retry.Result {
		err := c.try(ctx, ch)
		return c.classify(ctx, err)
	})
	var ex *retry.ExhaustedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ex):
		return fmt.Errorf("send chunk %s: giving up after %d attempts: %w", ch.Name(), ex.Attempts, ex.Err)
	case ctx.Err() != nil:
		return fmt.Errorf("send chunk %s: %w", ch.Name(), ctx.Err())
	}
	return fmt.Errorf("send chunk %s: %w", ch.Name(), err)
}

// classify says whether err is worth retrying and after how long at least.
func (c *client) classify(ctx context.Context, err error) retry.Result {
	var se *StatusError
	switch {
	case err == nil:
		return retry.Result{Class: retry.Success}
	case ctx.Err() != nil, httpx.IsRedirect(err):
		return retry.Result{Class: retry.Fatal, Err: err}
	case errors.As(err, &se):
		r := retry.Result{Class: retry.Fatal, Err: err}
		switch {
		case se.Status == http.StatusTooManyRequests:
			r.Class = retry.Throttled
		case se.Status >= 500:
			r.Class = retry.Transient
		}
		if se.HasRetryAfter {
			r.Wait = max(se.RetryAfter, time.Millisecond) // Retry-After: 0 means now, not "use the backoff"
		}
		return r
	}
	// Network errors: a dropped connection, a reset, a timeout.
	return retry.Result{Class: retry.Transient, Err: err}
}

func (c *client) try(ctx context.Context, ch Chunk) error {
	target, err := c.uploadURL(ctx, ch)
	if err != nil {
		return err
	}
	return c.put(ctx, target, ch)
}

// uploadURL asks the platform where to PUT the chunk.
func (c *client) uploadURL(ctx context.Context, ch Chunk) (*url.URL, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.api+endpoint(ch.Phase), http.NoBody)
	if err != nil {
		return nil, fmt.Errorf("upload-url: %w", err)
	}
	c.authorize(req)
	req.Header.Set("Accept", "application/json")
	req.Header.Set(HeaderChunk, ch.Name())
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("upload-url: %w", c.cleanErr(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("upload-url: read response: %w", c.cleanErr(err))
	}
	if resp.StatusCode/100 != 2 {
		return nil, c.statusError("upload-url", resp, body)
	}
	var out struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.URL == "" {
		return nil, fmt.Errorf("upload-url: the platform's answer has no url (HTTP %d)", resp.StatusCode)
	}
	u, err := c.apiURL.Parse(out.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("upload-url: the platform returned an unusable upload URL")
	}
	return u, nil
}

// put sends the chunk's CSV to the upload URL. The API key goes along only
// when the URL is on the API's own origin: a presigned URL elsewhere carries
// its own authorization and must not see the key.
func (c *client) put(ctx context.Context, target *url.URL, ch Chunk) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, target.String(), bytes.NewReader(ch.Body))
	if err != nil {
		return fmt.Errorf("put: %w", err)
	}
	if target.Scheme == c.apiURL.Scheme && target.Host == c.apiURL.Host {
		c.authorize(req)
	}
	sum := sha256.Sum256(ch.Body)
	req.Header.Set("Content-Type", "text/csv; charset=utf-8")
	req.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
	req.Header.Set(HeaderChunk, ch.Name())
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("put: %w", c.cleanErr(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return c.statusError("put", resp, body)
	}
	return nil
}

func (c *client) authorize(req *http.Request) {
	req.Header.Set(HeaderKeyID, c.keyID.Reveal())
	req.Header.Set(HeaderKeySecret, c.keySecret.Reveal())
}

// statusError builds a StatusError from a refusal, with the platform's
// message (a JSON error field, or the start of a text body).
func (c *client) statusError(step string, resp *http.Response, body []byte) *StatusError {
	msg := strings.TrimSpace(string(body))
	var j struct {
		Error   any    `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &j) == nil {
		switch v := j.Error.(type) {
		case string:
			msg = v
		case map[string]any:
			if m, ok := v["message"].(string); ok {
				msg = m
			}
		default:
			if j.Message != "" {
				msg = j.Message
			}
		}
	}
	ra, ok := retryAfter(resp.Header.Get("Retry-After"), c.now())
	return &StatusError{Step: step, Status: resp.StatusCode, Message: c.clean(msg), RetryAfter: ra, HasRetryAfter: ok}
}

// clean makes text that came from elsewhere (a server's message, an
// error) safe to show: the API key is scrubbed first, then control
// characters are dropped and the length capped.
func (c *client) clean(s string) string { return httpx.CleanText(c.scrub.Scrub(s), maxMessage) }

// cleanErr drops *url.Error's URL (an upload URL's path or query is a
// credential: a one-time token, a signature) and cleans the rest; it
// unwraps to the cause, so a refused redirect stays recognisable.
func (c *client) cleanErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &cleanError{msg: c.clean(err.Error()), err: err}
}

// cleanError is an error whose text was cleaned; it unwraps to the cause.
type cleanError struct {
	msg string
	err error
}

func (e *cleanError) Error() string { return e.msg }
func (e *cleanError) Unwrap() error { return e.err }

// retryAfter parses a Retry-After value (seconds or an HTTP date), capped
// at maxRetryAfter. It reports false when the value is absent or
// unreadable.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	d, ok := retry.ParseRetryAfter(v, now)
	return min(d, maxRetryAfter), ok
}

// CheckAPI checks the platform's API base URL: http(s), a host, and no
// user or password (a credential in a URL would be written to the upload
// state file and into messages; the key goes in the key settings). The
// error never echoes the URL's password.
func CheckAPI(api string) error {
	u, err := url.Parse(api)
	switch {
	case err != nil:
		return &usageError{"--api is not a valid URL: write it as https://platform.example.com/api"}
	case u.User != nil:
		u.User = nil
		return &usageError{fmt.Sprintf("--api %q carries a user or password: remove it; the API key goes in ENTITY_API_KEY_ID/ENTITY_API_KEY_SECRET or upload.keyId/keySecret", u.String())}
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return &usageError{fmt.Sprintf("--api %q is not an http(s) URL: write it as https://platform.example.com/api", u.String())}
	}
	return nil
}
