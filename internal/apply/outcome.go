package apply

import (
	"errors"
	"time"

	"github.com/govextract/jira-extractor/internal/plan"
)

// Status is the outcome of one action.
type Status string

// The statuses of an action, as written in the actions table.
const (
	Applied   Status = "applied"   // changed now, and the read-back agrees
	Unchanged Status = "unchanged" // already as wanted; nothing written
	Failed    Status = "failed"    // not done; the message says why and what the site shows
	Skipped   Status = "skipped"   // not attempted: dry-run, a guard, or cancelled (see Reason)
	Ticketed  Status = "ticketed"  // a Jira issue asks a person to do it
)

// Statuses lists every status in report order.
var Statuses = []Status{Applied, Unchanged, Ticketed, Failed, Skipped}

// Reason says why an action was skipped.
type Reason string

// The reasons for Skipped.
const (
	ReasonDryRun     Reason = "dry-run"     // dry-run: it would have changed
	ReasonSelf       Reason = "self"        // the self-lockout guard refused it
	ReasonMaxChanges Reason = "max-changes" // the plan is larger than MaxChanges
	ReasonCancelled  Reason = "cancelled"   // the apply stopped before it started
)

// Outcome is one row of the actions table: the action's fields as written
// in the plan and what became of it.
type Outcome struct {
	ID         string    `json:"id"`
	Op         string    `json:"op"`
	Relation   string    `json:"relation"`
	Entity     string    `json:"entity"`
	FromType   string    `json:"from_type"`
	FromID     string    `json:"from_id"`
	ToType     string    `json:"to_type"`
	ToID       string    `json:"to_id"`
	Status     Status    `json:"status"`
	HTTPStatus int       `json:"http_status"` // of the last write; 0 when none was made or no answer came
	Message    string    `json:"message"`
	TicketKey  string    `json:"ticket_key"`
	Attempts   int       `json:"attempts"` // writes (or ticket calls) made
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`

	// Reason says why a Skipped action was skipped. It is not a column of
	// the actions table; the message says the same in words.
	Reason Reason `json:"reason,omitempty"`
	// Resumed is set when the outcome was taken from the journal of an
	// earlier, interrupted apply instead of being done again.
	Resumed bool `json:"-"`
	// Fallback is set on a Ticketed action whose write the site refused as
	// one only a person can make: the ticket replaces the write.
	Fallback bool `json:"fallback,omitempty"`

	unreached bool // the first read failed: the site could not be reached for it
}

func newOutcome(a plan.Action) Outcome {
	return Outcome{ID: a.ID, Op: string(a.Op), Relation: a.Relation, Entity: a.Entity,
		FromType: a.FromType, FromID: a.FromID, ToType: a.ToType, ToID: a.ToID}
}

// final reports whether a journaled outcome ends the action for good, so a
// resumed apply reports it instead of doing it again. Failed and skipped
// actions are tried again (they start with a read, so this is safe).
func (o Outcome) final() bool {
	return o.Status == Applied || o.Status == Unchanged || o.Status == Ticketed
}

// Summary counts outcomes.
type Summary struct {
	Total     int            // actions in the plan
	Counts    map[Status]int // outcomes per status
	Resumed   int            // outcomes taken from the journal
	Guarded   int            // skipped by a guard (self, max-changes)
	Cancelled int            // not started because the apply was cancelled
	Unreached int            // failed because their first read failed
	Fallbacks int            // ticketed because the site refused the write as one only a person can make
}

func (s *Summary) add(o Outcome) {
	if s.Counts == nil {
		s.Counts = map[Status]int{}
	}
	s.Counts[o.Status]++
	if o.Resumed {
		s.Resumed++
	}
	switch o.Reason {
	case ReasonSelf, ReasonMaxChanges:
		s.Guarded++
	case ReasonCancelled:
		s.Cancelled++
	}
	if o.unreached {
		s.Unreached++
	}
	if o.Status == Ticketed && o.Fallback {
		s.Fallbacks++
	}
}

// Result is what an apply did: one outcome per action, in plan order.
type Result struct {
	Outcomes []Outcome
	Summary  Summary
}

// Progress is reported after each action finishes.
type Progress struct {
	Done, Total int
	Counts      map[Status]int // a copy: safe to keep
	Last        Outcome        // the action that just finished
}

// Exit codes of an apply.
const (
	ExitOK       = 0 // every action applied, unchanged or ticketed (or, in a dry-run, would be)
	ExitNoRun    = 1 // nothing could run (credentials, site, journal)
	ExitBadInput = 2 // bad plan or job
	ExitPartial  = 3 // some failed, were skipped by a guard, or were not started
)

// ExitCode maps the result of Run to the process exit code.
func ExitCode(r Result, err error) int {
	var pe *plan.Error
	switch {
	case errors.As(err, &pe), errors.Is(err, ErrConfig):
		return ExitBadInput
	case err != nil && len(r.Outcomes) == 0:
		return ExitNoRun
	case r.Summary.Total > 0 && r.Summary.Unreached == r.Summary.Total:
		return ExitNoRun
	case err != nil, r.Summary.Counts[Failed] > 0, r.Summary.Guarded > 0, r.Summary.Cancelled > 0:
		return ExitPartial
	}
	return ExitOK
}
