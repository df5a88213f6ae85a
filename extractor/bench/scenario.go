// Package bench measures how close an extraction comes to Jira's physical
// limits. Each scenario starts the simulator in-process, runs the real
// jira-extractor binary against it, checks the output against the ground
// truth, and reports requests against the simulator's request floor, wall
// time against the time floor, throttling, throughput and peak RSS.
//
// The incremental rows (incremental.go) run the large site in full, churn
// it, run it again with --since and diff the two runs; both change sets
// are checked row by row against the diff of the truths before and after
// (changeset.go).
//
// Run it with `make bench` (the whole matrix) or `make bench-quick`; pick
// rows with -bench 'Matrix/NAME$' (or -bench Incremental). BENCH_OUT names
// the results folder (default bench-results), BENCH_LOGS a folder that
// keeps each row's extractor log (NAME.log), and BENCH_LOG_LEVEL that
// log's level (default info; debug logs every request).
package bench

import (
	"fmt"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
)

// Scenario is one row of the matrix.
type Scenario struct {
	Name string
	// Site is the simulator preset: small, medium or large.
	Site string
	// Condition describes the row for people.
	Condition string
	// RateLimit is the simulator's bucket; zero means no limit.
	RateLimit sim.RateLimit
	// Faults are the simulator's injected faults (latency, 429s, 5xx).
	Faults sim.Faults
	// Concurrency and RequestsPerSecond configure the extractor.
	Concurrency       int
	RequestsPerSecond float64
	Burst             int
	// NoEffectiveAccess turns off the derived effective-access tables
	// (output.effectiveAccess false): the baseline their cost is measured
	// against.
	NoEffectiveAccess bool
	// Baseline, if set, names the clean row this one is held against: its
	// wall time may be at most MaxBaselineRatio times the baseline's.
	Baseline         string
	MaxBaselineRatio float64
}

// CheckTarget holds res (a run of s) to s's target against the results
// of the same matrix run; a missing baseline result is not an error (run
// both rows to check it).
func (s Scenario) CheckTarget(res Result, done []Result) error {
	if s.Baseline == "" {
		return nil
	}
	for _, b := range done {
		if b.Scenario == s.Baseline && b.WallSeconds > 0 {
			if r := res.WallSeconds / b.WallSeconds; r > s.MaxBaselineRatio {
				return fmt.Errorf("scenario %s took %.1fs, %.2f× the %.1fs of %s: the target is at most %.1f×",
					s.Name, res.WallSeconds, r, b.WallSeconds, s.Baseline, s.MaxBaselineRatio)
			}
		}
	}
	return nil
}

// LatencyBound reports whether the time floor is set by latency rather than
// by a rate limit.
func (s Scenario) LatencyBound() bool { return s.RateLimit.PerSecond == 0 }

// TimeFloor is the least wall time a run of floor requests can take:
// floor / rate under a rate limit, floor × latency / concurrency when
// latency-bound (0 when neither bounds it).
func (s Scenario) TimeFloor(floor int64) time.Duration {
	if !s.LatencyBound() {
		return time.Duration(float64(floor) / s.RateLimit.PerSecond * float64(time.Second))
	}
	return time.Duration(int64(s.Faults.Latency) * floor / int64(s.Concurrency))
}

// Matrix is the scenario matrix of `make bench`.
func Matrix() []Scenario {
	rated := sim.RateLimit{PerSecond: 100, Burst: 20}
	out := []Scenario{
		{Name: "small-rate100", Site: "small", Condition: "rate limit 100 req/s, burst 20", RateLimit: rated, Concurrency: 8, RequestsPerSecond: 100, Burst: 20},
		{Name: "medium-rate100", Site: "medium", Condition: "rate limit 100 req/s, burst 20", RateLimit: rated, Concurrency: 8, RequestsPerSecond: 100, Burst: 20},
	}
	for _, c := range []int{1, 4, 16, 64} {
		out = append(out, Scenario{
			Name: fmt.Sprintf("medium-lat30ms-c%d", c), Site: "medium", Condition: fmt.Sprintf("30 ms latency, no limit, concurrency %d", c),
			Faults: sim.Faults{Latency: 30 * time.Millisecond}, Concurrency: c, RequestsPerSecond: 100000, Burst: 1000,
		})
	}
	out = append(out,
		Scenario{Name: "large-lat10ms", Site: "large", Condition: "10 ms latency, no limit, concurrency 16",
			Faults: sim.Faults{Latency: 10 * time.Millisecond}, Concurrency: 16, RequestsPerSecond: 100000, Burst: 1000},
		Scenario{Name: "large-lat10ms-noaccess", Site: "large", Condition: "as large-lat10ms, effective access off",
			Faults: sim.Faults{Latency: 10 * time.Millisecond}, Concurrency: 16, RequestsPerSecond: 100000, Burst: 1000, NoEffectiveAccess: true},
		Scenario{Name: "medium-rate100-faults", Site: "medium", Condition: "rate limit plus 10% 429s and 2% 5xx", RateLimit: rated,
			Faults: sim.Faults{Rate429: 0.10, Rate500: 0.005, Rate502: 0.005, Rate503: 0.005, Rate504: 0.005}, Concurrency: 8, RequestsPerSecond: 100, Burst: 20},
		// Heavy faults: a request waiting out its backoff must not hold a
		// concurrency slot, or the run starves. Target: exact, and within
		// 3× the clean run's wall time.
		Scenario{Name: "medium-lat30ms-c16-heavyfaults", Site: "medium",
			Condition: "30 ms latency, 30% 429s without Retry-After, 10% 5xx, 10% truncated bodies, 5% resets, concurrency 16",
			RateLimit: sim.RateLimit{NoRetryAfter: true},
			Faults: sim.Faults{Latency: 30 * time.Millisecond, Rate429: 0.30, Rate500: 0.025, Rate502: 0.025, Rate503: 0.025, Rate504: 0.025,
				RateTruncated: 0.10, RateReset: 0.05},
			Concurrency: 16, RequestsPerSecond: 100000, Burst: 1000, Baseline: "medium-lat30ms-c16", MaxBaselineRatio: 3},
	)
	return out
}

// Quick is the two-row subset of `make bench-quick`.
func Quick() []Scenario {
	return []Scenario{
		{Name: "small-rate100", Site: "small", Condition: "rate limit 100 req/s, burst 20", RateLimit: sim.RateLimit{PerSecond: 100, Burst: 20}, Concurrency: 8, RequestsPerSecond: 100, Burst: 20},
		{Name: "medium-lat30ms-c16", Site: "medium", Condition: "30 ms latency, no limit, concurrency 16",
			Faults: sim.Faults{Latency: 30 * time.Millisecond}, Concurrency: 16, RequestsPerSecond: 100000, Burst: 1000},
	}
}
