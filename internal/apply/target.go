package apply

import (
	"context"
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
}

// Ticketer opens a Jira issue that asks a person to make an action's change
// (mode "ticket"). It must not open a second issue for the same action
// (dedupe on a label derived from the action id), so a re-run is safe.
type Ticketer interface {
	Ticket(ctx context.Context, a plan.Action, summary string) (key string, err error)
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
