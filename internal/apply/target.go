package apply

import (
	"context"
	"errors"
	"time"

	"github.com/govextract/jira-extractor/internal/plan"
)

// Target is the site a plan is applied to. The Jira adapter implements it;
// tests use an in-memory fake. Both methods may be called concurrently for
// actions on different targets; the engine never calls them concurrently
// for actions that share a group, project role, user or email.
type Target interface {
	// Read returns the current state of the action's target: whether the
	// condition the op sets holds now (see State.Has). It is also the
	// read-back after a write, so it must read fresh state (no cache).
	Read(ctx context.Context, a plan.Action) (State, error)

	// Write performs the change once: no retries inside, because a retry
	// of a write that may have taken effect is the engine's decision, made
	// after a re-read. The result classifies the answer (see WriteOutcome);
	// a nil error with Outcome left zero means WriteDone, and a non-nil
	// error with Outcome left zero means WriteUnknown.
	Write(ctx context.Context, a plan.Action) (WriteResult, error)
}

// ErrUnreadable is wrapped by Target.Read when the job has no access that
// can read the action's target (e.g. no Admin API key for a suspend). A
// "ticket" action is ticketed all the same; any other action fails.
var ErrUnreadable = errors.New("cannot be read with this job's access")

// State is what the site shows for an action's target.
type State struct {
	// Has reports whether the condition the op sets holds:
	//   grant, revoke         the relation exists (member of the group, actor of the role)
	//   create, remove        the user is on the site (create: an account with the email)
	//   suspend, restore      the user's access in the organization is suspended
	//   deactivate, activate  the Atlassian account is deactivated
	// grant, create, suspend and deactivate want it true; the others false.
	Has bool

	// NotFound, when set, says which user, group or project role the
	// action names does not exist (e.g. `group "1234" not found`). The
	// action fails with it and nothing is written.
	NotFound string

	// Detail optionally adds what the site shows, for messages
	// (e.g. "the account exists without Jira access").
	Detail string
}

// WriteOutcome classifies the answer to a write.
type WriteOutcome int

// The write outcomes. The zero value is WriteUnknown so an unclassified
// failure is never mistaken for one that surely changed nothing.
const (
	// WriteUnknown: the write may or may not have taken effect (a 5xx, a
	// dropped connection, a timeout after the request was sent). The
	// engine re-reads before it decides anything.
	WriteUnknown WriteOutcome = iota
	// WriteDone: the site made the change (2xx).
	WriteDone
	// WriteAlready: the site says the change is already in place ("User is
	// already a member", "not a member"): nothing was changed by this call.
	WriteAlready
	// WriteRejected: the site refused and changed nothing (a 4xx other than
	// 429: not found, no permission, bad request). Retrying will not help.
	WriteRejected
	// WriteThrottled: the site refused for now and changed nothing (429, or
	// a 503 before processing). The engine waits RetryAfter and retries.
	WriteThrottled
)

// String names the outcome.
func (o WriteOutcome) String() string {
	switch o {
	case WriteDone:
		return "done"
	case WriteAlready:
		return "already"
	case WriteRejected:
		return "rejected"
	case WriteThrottled:
		return "throttled"
	}
	return "unknown"
}

// WriteResult is the answer to one write.
type WriteResult struct {
	Outcome    WriteOutcome
	HTTPStatus int           // 0 when no answer came (dropped connection)
	RetryAfter time.Duration // the wait the site asked for (WriteThrottled)
	Message    string        // the site's message; must hold no secret
	// PersonOnly marks a WriteRejected that says only a person can make
	// the change (a group synced from an identity provider). With a
	// Ticketer the action is ticketed instead of failed.
	PersonOnly bool
}

// Ticketer opens a Jira issue that asks a person to make an action's change
// (mode "ticket", or the fallback after a PersonOnly refusal). It must not
// open a second issue for the same change (dedupe on a label derived from
// the action's op and fields), so a re-run is safe.
type Ticketer interface {
	// Ticket returns the action's issue, opening it unless one exists.
	Ticket(ctx context.Context, a plan.Action, req TicketRequest) (Ticket, error)
	// FindTicket returns the action's issue if one exists; it writes
	// nothing (dry runs use it).
	FindTicket(ctx context.Context, a plan.Action) (t Ticket, found bool, err error)
}

// TicketRequest is what the engine asks of a ticket.
type TicketRequest struct {
	// Change says what the action does, as a verb phrase with ids
	// (`remove user "X" from group "Y"`).
	Change string
	// Reason says why a person is asked: the plan asked for a ticket, or
	// the site refused the change (with its answer).
	Reason string
	// Fallback is set when the API refused the change and the ticket
	// replaces the write.
	Fallback bool
}

// Ticket is an issue that asks for an action's change.
type Ticket struct {
	Key string
	// Existing is set when the issue was found (opened by an earlier
	// apply), not opened now.
	Existing bool
	// Status and StatusCategory are the status when it was found
	// (empty for an issue opened now).
	Status, StatusCategory string
}

// GroupLister is implemented by a Target that can list the groups an
// account is a member of (GET /rest/api/3/user/groups). The self-lockout
// guard uses it to refuse revoking a project role from a group the job's
// own account belongs to. Without it such revokes are refused (skipped)
// unless AllowSelf is set.
type GroupLister interface {
	GroupIDsOf(ctx context.Context, accountID string) ([]string, error)
}

// normalize applies the documented rules to a (result, error) pair: a nil
// error with no outcome is WriteDone; an error claiming WriteDone is
// treated as WriteUnknown; an error's text fills an empty message.
func normalize(res WriteResult, err error) WriteResult {
	switch {
	case err == nil && res.Outcome == WriteUnknown:
		res.Outcome = WriteDone
	case err != nil && res.Outcome == WriteDone:
		res.Outcome = WriteUnknown
	}
	if err != nil && res.Message == "" {
		res.Message = err.Error()
	}
	return res
}
