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
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

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
)

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
	backoff    time.Duration // first backoff; doubles up to maxBackoff
	maxBackoff time.Duration
	logger     *slog.Logger
	sleep      func(ctx context.Context, d time.Duration) error
}

func newClient(api string, keyID, keySecret secret.Value, hc *http.Client, maxRetries int, timeout time.Duration, logger *slog.Logger) (*client, error) {
	api = strings.TrimRight(api, "/")
	u, err := url.Parse(api)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--api %q is not an http(s) URL", api)
	}
	if hc == nil {
		hc = &http.Client{Transport: http.DefaultTransport}
	}
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	return &client{api: api, apiURL: u, keyID: keyID, keySecret: keySecret, http: hc, maxRetries: maxRetries, timeout: timeout,
		backoff: 500 * time.Millisecond, maxBackoff: 30 * time.Second, logger: logger, sleep: sleepCtx}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func endpoint(phase string) string {
	if phase == PhaseRelations {
		return "/v0/entity-relations/upload-url"
	}
	return "/v0/entities/upload-url"
}

// send delivers one chunk: a fresh upload URL, then the PUT, both retried
// together on 429, 5xx and dropped connections.
func (c *client) send(ctx context.Context, ch Chunk) error {
	for attempt := 0; ; attempt++ {
		err := c.try(ctx, ch)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("send chunk %s: %w", ch.Name(), ctx.Err())
		}
		delay, retry := c.retryDelay(err, attempt)
		if !retry || attempt >= c.maxRetries {
			if retry {
				return fmt.Errorf("send chunk %s: giving up after %d attempts: %w", ch.Name(), attempt+1, err)
			}
			return fmt.Errorf("send chunk %s: %w", ch.Name(), err)
		}
		c.logger.Warn("upload retry", "chunk", ch.Name(), "attempt", attempt+1, "delay", delay, "error", err.Error())
		if err := c.sleep(ctx, delay); err != nil {
			return fmt.Errorf("send chunk %s: %w", ch.Name(), err)
		}
	}
}

// retryDelay says whether err is worth retrying and after how long.
func (c *client) retryDelay(err error, attempt int) (time.Duration, bool) {
	var se *StatusError
	if errors.As(err, &se) {
		if !se.Retryable() {
			return 0, false
		}
		if se.HasRetryAfter {
			return se.RetryAfter, true
		}
	}
	// Network errors (a dropped connection, a reset, a timeout) and 429/5xx
	// without Retry-After: exponential backoff with jitter.
	d := c.backoff << min(attempt, 16)
	if d > c.maxBackoff || d <= 0 {
		d = c.maxBackoff
	}
	return d/2 + rand.N(d/2+1), true
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
		return nil, fmt.Errorf("upload-url: %s", c.redact(err.Error()))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("upload-url: read response: %s", c.redact(err.Error()))
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
		// The error text holds the upload URL, whose path or query is a
		// credential (a one-time token, a signature): leave it out.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("put: %s", c.redact(err.Error()))
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
	if len(msg) > 500 {
		msg = msg[:500] + "…"
	}
	ra, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now())
	return &StatusError{Step: step, Status: resp.StatusCode, Message: c.redact(msg), RetryAfter: ra, HasRetryAfter: ok}
}

// redact removes the API key from text that came from elsewhere (a server's
// message, an error), in case it was echoed.
func (c *client) redact(s string) string {
	return secret.NewScrubber(c.keySecret.Reveal(), c.keyID.Reveal()).Scrub(s)
}

// retryAfter parses a Retry-After value: seconds or an HTTP date. It
// reports false when the value is absent or unreadable.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 {
		d = time.Duration(n * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return 0, false
	}
	return max(0, min(d, maxRetryAfter)), true
}
