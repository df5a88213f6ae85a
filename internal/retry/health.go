package retry

import "sync"

// Health tells sporadic failures from an outage, from the outcomes of the
// last HealthWindow attempts to one server, across every request: a
// failure is Sporadic while at least SporadicShare of them succeeded.
//
// Exponential backoff protects a server that is failing; a request's own
// run of bad luck says nothing about the server when most other requests
// get good answers, and backing that one request off for ten seconds only
// leaves it as the run's last straggler. A Policy with Health therefore
// caps its failure backoff at SporadicCap while failures are sporadic,
// and backs off in full once they dominate. Safe for concurrent use; the
// zero value is ready and, knowing nothing yet, reports no sporadic
// failures.
type Health struct {
	mu   sync.Mutex
	ring [HealthWindow]bool // true: a good answer
	n    int                // outcomes in ring
	next int                // where the next outcome goes
	good int                // good answers in ring
}

// Tuning of Health.
const (
	// HealthWindow is how many recent attempts Health weighs.
	HealthWindow = 64
	// HealthMinSample is how many attempts Health must have seen before
	// it calls failures sporadic.
	HealthMinSample = 16
	// SporadicShare is the least share of good answers among the recent
	// attempts for failures to count as sporadic.
	SporadicShare = 0.5
)

// Record adds one attempt's outcome: good is a usable answer, !good a
// transient failure. Throttling is flow control and is not recorded.
func (h *Health) Record(good bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == HealthWindow {
		if h.ring[h.next] {
			h.good--
		}
	} else {
		h.n++
	}
	h.ring[h.next] = good
	if good {
		h.good++
	}
	h.next = (h.next + 1) % HealthWindow
}

// Sporadic reports whether failures are sporadic: at least
// HealthMinSample outcomes are known and at least SporadicShare of the
// last HealthWindow were good.
func (h *Health) Sporadic() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n >= HealthMinSample && float64(h.good) >= SporadicShare*float64(h.n)
}
