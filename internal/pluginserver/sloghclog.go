package pluginserver

import (
	"context"
	"log/slog"
	"time"

	"github.com/hashicorp/go-hclog"
)

// HCLogHandler is a slog.Handler that forwards records to an hclog.Logger, so
// code that logs with log/slog (the extractor) reaches a go-plugin host
// through the plugin's hclog stderr stream. Groups become dotted key prefixes.
type HCLogHandler struct {
	logger hclog.Logger
	attrs  []interface{} // key, value pairs already flattened
	prefix string        // open groups, "a.b."
}

// NewHCLogHandler returns a handler writing to l.
func NewHCLogHandler(l hclog.Logger) *HCLogHandler { return &HCLogHandler{logger: l} }

// Enabled reports whether l logs at the level.
func (h *HCLogHandler) Enabled(_ context.Context, level slog.Level) bool {
	return hclogLevel(level) >= h.logger.GetLevel()
}

// Handle forwards one record.
func (h *HCLogHandler) Handle(_ context.Context, r slog.Record) error {
	args := make([]interface{}, 0, len(h.attrs)+2*r.NumAttrs())
	args = append(args, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		args = appendAttr(args, h.prefix, a)
		return true
	})
	h.logger.Log(hclogLevel(r.Level), r.Message, args...)
	return nil
}

// WithAttrs returns a handler that adds attrs to every record.
func (h *HCLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := *h
	n.attrs = append([]interface{}(nil), h.attrs...)
	for _, a := range attrs {
		n.attrs = appendAttr(n.attrs, h.prefix, a)
	}
	return &n
}

// WithGroup returns a handler that prefixes later keys with name.
func (h *HCLogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	n := *h
	n.prefix = h.prefix + name + "."
	return &n
}

// appendAttr flattens a into hclog key, value pairs.
func appendAttr(args []interface{}, prefix string, a slog.Attr) []interface{} {
	return appendFlat(args, prefix, a, func(args []interface{}, key string, v slog.Value) []interface{} {
		return append(args, key, attrValue(v))
	})
}

// appendFlat flattens a into out: it resolves LogValuers (such as
// secret.Value, which then print redacted), drops empty attributes, opens
// groups as dotted key prefixes, and appends each leaf with leaf.
func appendFlat[T any](out []T, prefix string, a slog.Attr, leaf func(out []T, key string, v slog.Value) []T) []T {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return out
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			out = appendFlat(out, p, g, leaf)
		}
		return out
	}
	return leaf(out, prefix+a.Key, a.Value)
}

// attrValue turns a value into something hclog's JSON and text formats show
// readably.
func attrValue(v slog.Value) interface{} {
	switch v.Kind() {
	case slog.KindDuration:
		return v.Duration().String()
	case slog.KindTime:
		return v.Time().Format(time.RFC3339Nano)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return err.Error()
		}
		return v.Any()
	default:
		return v.Any()
	}
}

// hclogLevel maps a slog level to hclog's.
func hclogLevel(l slog.Level) hclog.Level {
	switch {
	case l < slog.LevelDebug:
		return hclog.Trace
	case l < slog.LevelInfo:
		return hclog.Debug
	case l < slog.LevelWarn:
		return hclog.Info
	case l < slog.LevelError:
		return hclog.Warn
	default:
		return hclog.Error
	}
}
