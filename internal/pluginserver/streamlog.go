package pluginserver

import (
	"context"
	"log/slog"
	"strings"

	"github.com/govextract/jira-extractor/plugin/extractorv1"
)

// streamLogHandler sends records at or above level to the Extract stream as
// LogLine events, and the rest (and any it cannot send) to fallback, so each
// record reaches the host exactly once.
type streamLogHandler struct {
	level    slog.Level
	fallback slog.Handler
	send     func(*extractorv1.ExtractResponse) error
	attrs    []*extractorv1.Attr
	prefix   string
}

// Enabled reports whether either side takes records at l.
func (h *streamLogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level || h.fallback.Enabled(ctx, l)
}

// Handle streams r, or hands it to the fallback.
func (h *streamLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < h.level {
		return h.fallback.Handle(ctx, r)
	}
	line := &extractorv1.LogLine{Level: levelName(r.Level), Message: r.Message, Attrs: append([]*extractorv1.Attr(nil), h.attrs...)}
	r.Attrs(func(a slog.Attr) bool {
		line.Attrs = appendProtoAttr(line.Attrs, h.prefix, a)
		return true
	})
	if err := h.send(&extractorv1.ExtractResponse{Event: &extractorv1.ExtractResponse_Log{Log: line}}); err != nil {
		return h.fallback.Handle(ctx, r)
	}
	return nil
}

// WithAttrs adds attrs on both sides.
func (h *streamLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := *h
	n.fallback = h.fallback.WithAttrs(attrs)
	n.attrs = append([]*extractorv1.Attr(nil), h.attrs...)
	for _, a := range attrs {
		n.attrs = appendProtoAttr(n.attrs, h.prefix, a)
	}
	return &n
}

// WithGroup opens a group on both sides.
func (h *streamLogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	n := *h
	n.fallback = h.fallback.WithGroup(name)
	n.prefix = h.prefix + name + "."
	return &n
}

// appendProtoAttr flattens a into text attributes (secrets print
// redacted).
func appendProtoAttr(out []*extractorv1.Attr, prefix string, a slog.Attr) []*extractorv1.Attr {
	return appendFlat(out, prefix, a, func(out []*extractorv1.Attr, key string, v slog.Value) []*extractorv1.Attr {
		return append(out, &extractorv1.Attr{Key: key, Value: v.String()})
	})
}

// levelName is the protocol's name of a slog level.
func levelName(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warn"
	default:
		return "error"
	}
}

// slogLevel parses a protocol level name; ok is false for "" and unknown
// names.
func slogLevel(s string) (slog.Level, bool) {
	switch strings.ToLower(s) {
	case "debug", "trace":
		return slog.LevelDebug, true
	case "info":
		return slog.LevelInfo, true
	case "warn", "warning":
		return slog.LevelWarn, true
	case "error":
		return slog.LevelError, true
	}
	return 0, false
}
