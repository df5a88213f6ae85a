package sim

import (
	"net/http"
	"strconv"
	"time"
)

// send429Variant answers Too Many Requests with the header set
// cfg.Headers names (HeadersStructured or HeadersResetMinutes); secs is
// the Retry-After period send429 derived from wait.
func send429Variant(c *call, cfg RateLimit, secs int, wait time.Duration, now time.Time) {
	h := c.w.Header()
	switch cfg.Headers {
	case HeadersStructured:
		t := strconv.Itoa(secs)
		burst := strconv.Itoa(max(1, cfg.Burst))
		h.Set("Beta-RateLimit", `"burst";r=0;t=`+t)
		h.Set("RateLimit", `"burst";r=0;t=`+t)
		h.Set("Beta-RateLimit-Policy", `"burst";q=`+burst+`;w=1`)
		h.Set("RateLimit-Policy", `"burst";q=`+burst+`;w=1`)
		h.Set("Beta-RateLimit-Reason", cfg.Reason)
	case HeadersResetMinutes:
		h.Set("X-RateLimit-Reset", now.Add(wait).UTC().Truncate(time.Minute).Format("2006-01-02T15:04Z"))
		h.Set("RateLimit-Reason", cfg.Reason)
	}
	c.jiraError(http.StatusTooManyRequests, "Rate limit exceeded.")
}
