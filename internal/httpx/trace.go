package httpx

import (
	"context"
	"net/http/httptrace"
	"sync/atomic"
)

// Wire watches one request on the wire. Go's transport may send a request
// more than once by itself (an idempotent request on a reused connection
// the server closed is silently re-sent on a fresh one), so counting
// calls to Do undercounts: Wire counts every time the request was written.
type Wire struct {
	writes  atomic.Int32
	started atomic.Bool
	onWrite func()
}

// Trace returns ctx with a trace that reports to w; onWrite (optional) is
// called each time the request was written in full, from the transport's
// goroutine.
func Trace(ctx context.Context, onWrite func()) (context.Context, *Wire) {
	w := &Wire{onWrite: onWrite}
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteHeaders: func() { w.started.Store(true) },
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			w.started.Store(true)
			if info.Err == nil {
				w.writes.Add(1)
				if w.onWrite != nil {
					w.onWrite()
				}
			}
		},
	}), w
}

// Writes returns how many times the request was written in full.
func (w *Wire) Writes() int { return int(w.writes.Load()) }

// Sent reports whether any part of the request was written: after that, a
// failure of a non-idempotent request is ambiguous (it may have been
// performed).
func (w *Wire) Sent() bool { return w.started.Load() }
