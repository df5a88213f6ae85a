package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/secret"
)

const tokenValue = "ATATT-very-secret-value"

func TestRedactsSecretsInEveryFormat(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := New(&buf, "debug", format)
			if err != nil {
				t.Fatal(err)
			}
			s := secret.New(tokenValue)
			job := config.AppConfig{Token: secret.New("me@example.com:" + tokenValue), APIToken: s}
			log.Debug("values", "secret", s, "ptr", &s, "token", tokenValue, "Authorization", "Basic "+tokenValue,
				"job", job, slog.Group("g", "orgApiKey", tokenValue, "ok", "visible"))
			out := buf.String()
			if strings.Contains(out, tokenValue) {
				t.Fatalf("secret leaked:\n%s", out)
			}
			if !strings.Contains(out, secret.Redacted) || !strings.Contains(out, "visible") {
				t.Fatalf("expected redacted and visible values:\n%s", out)
			}
			if format == "json" {
				var m map[string]any
				if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
					t.Fatalf("not JSON: %v\n%s", err, out)
				}
				if m["token"] != secret.Redacted {
					t.Fatalf("token = %v", m["token"])
				}
			}
		})
	}
}

func TestLevels(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "warn", "text")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), "shown") {
		t.Fatalf("level not applied:\n%s", buf.String())
	}
	for _, l := range Levels {
		if _, err := ParseLevel(l); err != nil {
			t.Errorf("level %s: %v", l, err)
		}
	}
}

func TestBadLevelAndFormat(t *testing.T) {
	if _, err := New(&bytes.Buffer{}, "loud", "text"); err == nil || !strings.Contains(err.Error(), "loud") {
		t.Fatalf("bad level accepted: %v", err)
	}
	if _, err := New(&bytes.Buffer{}, "info", "xml"); err == nil || !strings.Contains(err.Error(), "xml") {
		t.Fatalf("bad format accepted: %v", err)
	}
}

func TestOrdinaryAttrsUntouched(t *testing.T) {
	var buf bytes.Buffer
	log, _ := New(&buf, "info", "text")
	log.Info("m", "token_kind", "scoped", "endpoint", "/rest/api/3/myself")
	if !strings.Contains(buf.String(), "token_kind=scoped") || !strings.Contains(buf.String(), "endpoint=/rest/api/3/myself") {
		t.Fatalf("ordinary attrs changed:\n%s", buf.String())
	}
}
