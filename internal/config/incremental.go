package config

import (
	"fmt"
	"time"

	"github.com/govextract/jira-extractor/internal/incremental"
)

// IncrementalConfig is the job file's incremental section: how `run
// --since` builds on an earlier run.
type IncrementalConfig struct {
	// MaxAge is the oldest base run an incremental run builds on.
	MaxAge Duration `json:"maxAge,omitempty"`
	// FullEvery forces a full read every N runs (0: never).
	FullEvery int `json:"fullEvery,omitempty"`
}

// incrementalKeys document the incremental section.
var incrementalKeys = []KeyDoc{
	{Key: "incremental", Type: "object", Doc: "how `run --since` builds on an earlier run"},
	{Key: "incremental.maxAge", Type: "duration", Doc: "a base run older than this makes a full read (at least 1m; default 168h, 7 days)"},
	{Key: "incremental.fullEvery", Type: "integer", Doc: "force a full read every N runs (default 0: never; 1: every run)"},
}

// validateIncremental checks the incremental section.
func validateIncremental(c *IncrementalConfig) []Problem {
	if c == nil {
		return nil
	}
	var probs []Problem
	if c.MaxAge.Duration != 0 && c.MaxAge.Duration < time.Minute {
		probs = append(probs, Problem{Key: "incremental.maxAge", Message: fmt.Sprintf("%s is shorter than a minute", c.MaxAge.Duration),
			Fix: `write a duration such as "168h" (7 days, the default) or "24h"`})
	}
	if c.FullEvery < 0 {
		probs = append(probs, Problem{Key: "incremental.fullEvery", Message: "is negative", Fix: "use 0 (never force a full read) or a number of runs such as 10"})
	}
	return probs
}

// IncrementalFor is the incremental configuration of a --since run
// (since: "auto" or DEST/RUN_ID).
func (j *Job) IncrementalFor(since string) *incremental.Config {
	c := &incremental.Config{Since: since}
	if ic := j.Incremental; ic != nil {
		c.MaxAge, c.FullEvery = ic.MaxAge.Duration, ic.FullEvery
	}
	return c
}

// The incremental keys follow the others in the schema.
func init() { Keys = append(Keys, incrementalKeys...) }
