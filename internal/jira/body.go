package jira

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/govextract/jira-extractor/internal/httpx"
)

// maxErrorBody is how much of an error body is read for its messages.
const maxErrorBody = 64 << 10

// maxMessage caps one server message in an error.
const maxMessage = 400

// drain reads what is left of a body (bounded) and closes it, so the
// connection can be reused.
func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 1<<20))
	_ = body.Close()
}

// errorBody is what an error response said, whatever its format.
type errorBody struct {
	messages []string
	html     bool
	// text is the raw text (bounded), for substring checks such as "scope
	// does not match".
	text string
}

// readErrorBody reads and parses an error body: Jira JSON, Admin API JSON,
// XML, HTML or plain text. scrub removes credentials from the raw text
// before anything is parsed or cut. It never fails: an unreadable body
// gives no messages.
func readErrorBody(resp *http.Response, scrub func(string) string) errorBody {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return parseErrorBody(resp.StatusCode, resp.Header.Get("Content-Type"), []byte(scrub(string(b))))
}

func parseErrorBody(status int, contentType string, b []byte) errorBody {
	out := errorBody{text: string(b)}
	trimmed := bytes.TrimSpace(b)
	lower := strings.ToLower(string(trimmed[:min(len(trimmed), 512)]))
	ct := strings.ToLower(contentType)
	switch {
	case strings.Contains(ct, "html") || strings.HasPrefix(lower, "<!doctype html") || strings.HasPrefix(lower, "<html"):
		out.html = true
		if status == http.StatusNotFound {
			out.messages = []string{fmt.Sprintf(htmlPageMessage, status)}
		} else {
			out.messages = []string{fmt.Sprintf("server answered %d with an HTML page instead of JSON (a proxy or maintenance page?)", status)}
		}
	case len(trimmed) > 0 && trimmed[0] == '{':
		out.messages = jsonMessages(trimmed)
	case len(trimmed) > 0 && trimmed[0] == '<':
		out.messages = xmlMessages(string(trimmed))
	case len(trimmed) > 0:
		out.messages = []string{oneLine(string(trimmed))}
	}
	return out
}

// jsonMessages extracts Jira's errorMessages/errors/message and the Admin
// API's errors[{title,detail}].
func jsonMessages(b []byte) []string {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return []string{oneLine(string(b))}
	}
	var msgs []string
	var list []string
	if json.Unmarshal(raw["errorMessages"], &list) == nil {
		for _, m := range list {
			msgs = append(msgs, oneLine(m))
		}
	}
	var fieldErrs map[string]string
	var adminErrs []struct{ Code, Title, Detail string }
	if json.Unmarshal(raw["errors"], &fieldErrs) == nil {
		keys := make([]string, 0, len(fieldErrs))
		for k := range fieldErrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			msgs = append(msgs, oneLine(k+": "+fieldErrs[k]))
		}
	} else if json.Unmarshal(raw["errors"], &adminErrs) == nil {
		for _, e := range adminErrs {
			m := e.Title
			if e.Detail != "" {
				m = strings.TrimPrefix(m+": "+e.Detail, ": ")
			}
			if m == "" {
				m = e.Code
			}
			if m != "" {
				msgs = append(msgs, oneLine(m))
			}
		}
	}
	for _, key := range []string{"message", "errorMessage", "error", "title", "detail"} {
		var s string
		if json.Unmarshal(raw[key], &s) == nil && s != "" {
			msgs = append(msgs, oneLine(s))
		}
	}
	return msgs
}

var xmlMessage = regexp.MustCompile(`(?is)<(message|errorMessage|error)>(.*?)</`)

func xmlMessages(s string) []string {
	var msgs []string
	for _, m := range xmlMessage.FindAllStringSubmatch(s, 5) {
		if t := strings.TrimSpace(m[2]); t != "" {
			msgs = append(msgs, oneLine(t))
		}
	}
	if len(msgs) == 0 {
		msgs = []string{oneLine(s)}
	}
	return msgs
}

// oneLine collapses whitespace, drops control characters and caps the
// length of a server message. Credentials are scrubbed from the raw body
// before (readErrorBody), so the cap can never leave part of one behind.
func oneLine(s string) string { return httpx.CleanText(s, maxMessage) }

// shapeError is a 2xx body of the wrong JSON shape: null, or another kind
// than the endpoint answers, or a page without its list. It is retried
// like a truncated body and fails the call when retries run out: it is
// never read as "no more data".
type shapeError struct{ msg string }

func (e *shapeError) Error() string { return e.msg }

// checker is a decoded answer that can tell whether it is complete.
type checker interface{ check() error }

// decodeStrict decodes one JSON value into v (a pointer), refusing a body
// whose top-level kind does not match v's: an array for a slice, an object
// for a struct or map. null, a string or a number is never a valid answer.
// A decoded value that is a checker is then checked.
func decodeStrict(r io.Reader, v any) error {
	br := bufio.NewReader(r)
	first, err := firstNonSpace(br)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return &shapeError{"the body is empty"}
		}
		return err
	}
	if want := jsonKind(v); want != 0 && first != want && describeJSON(first) != "" {
		return &shapeError{fmt.Sprintf("the body is %s, not the JSON %s this endpoint answers", describeJSON(first), kindName(want))}
	}
	if err := json.NewDecoder(br).Decode(v); err != nil {
		return err
	}
	if c, ok := v.(checker); ok {
		if err := c.check(); err != nil {
			return &shapeError{err.Error()}
		}
	}
	return nil
}

func firstNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, br.UnreadByte()
	}
}

// jsonKind is the first byte of a valid answer for v: '[' for a slice,
// '{' for a struct or map, 0 when anything goes.
func jsonKind(v any) byte {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer {
		return 0
	}
	switch t.Elem().Kind() {
	case reflect.Slice, reflect.Array:
		return '['
	case reflect.Struct, reflect.Map:
		return '{'
	}
	return 0
}

func kindName(b byte) string {
	if b == '[' {
		return "array"
	}
	return "object"
}

func describeJSON(b byte) string {
	switch {
	case b == 'n':
		return "null"
	case b == '[':
		return "an array"
	case b == '{':
		return "an object"
	case b == '"':
		return "a string"
	case b == 't' || b == 'f':
		return "a boolean"
	case b == '-' || (b >= '0' && b <= '9'):
		return "a number"
	}
	return "" // not JSON at all: the decoder says so
}
