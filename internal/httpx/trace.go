package httpx

import (
	"context"
	"net/http/httptrace"
)

// Trace returns ctx with a trace that calls onWrite each time the request
// was written in full, from the transport's goroutine. Go's transport may
// send a request more than once by itself (an idempotent request on a
// reused connection the server closed is silently re-sent on a fresh one),
// so counting calls to Do undercounts; counting writes does not.
func Trace(ctx context.Context, onWrite func()) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				onWrite()
			}
		},
	})
}
