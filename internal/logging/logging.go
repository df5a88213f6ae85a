// Package logging builds the extractor's slog loggers: text or JSON to a
// writer (stderr in the CLI), at a chosen level, with a safety net that
// redacts credentials even if a caller logs one by mistake.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/govextract/jira-extractor/internal/secret"
)

// Levels and formats accepted by New, for flag help.
var (
	Levels  = []string{"debug", "info", "warn", "error"}
	Formats = []string{"text", "json"}
)

// New returns a logger writing to w. level is debug, info, warn or error
// (empty means info); format is text or json (empty means text).
func New(w io.Writer, level, format string) (*slog.Logger, error) {
	lv, err := ParseLevel(level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: Redact}
	switch strings.ToLower(format) {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("unknown log format %q: use text or json", format)
}

// ParseLevel maps debug, info, warn (or warning) and error to a slog level.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q: use debug, info, warn or error", s)
}

// secretKeys are attribute keys whose string values are always credentials.
var secretKeys = map[string]bool{
	"token": true, "apitoken": true, "api_token": true, "orgapikey": true, "org_api_key": true,
	"password": true, "authorization": true, "keysecret": true, "key_secret": true,
	"secret": true, "keyid": true, "key_id": true, "apikey": true, "api_key": true,
}

// Redact is the handlers' ReplaceAttr: a secret.Value (by value or pointer)
// and any attribute named like a credential (token, password,
// authorization, orgApiKey, ...) are written as secret.Redacted.
func Redact(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindAny {
		switch a.Value.Any().(type) {
		case secret.Value, *secret.Value:
			return slog.String(a.Key, secret.Redacted)
		}
	}
	if a.Value.Kind() != slog.KindGroup && secretKeys[strings.ToLower(a.Key)] {
		if s := a.Value.String(); s != "" && s != secret.Redacted {
			return slog.String(a.Key, secret.Redacted)
		}
	}
	return a
}
