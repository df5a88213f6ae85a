// Package apply is the engine of `apply`: it takes a validated plan (see
// package plan) and makes each action's change on a Target, safely.
//
// # Safety model
//
// Validate first. Run validates the whole plan, and the configuration
// (self account known, tickets configured for "ticket" actions), before it
// reads or writes anything; an invalid plan returns a *plan.Error listing
// every problem.
//
// Guards before reads. A plan with more actions than MaxChanges is refused
// whole: every action comes out skipped and the site is not touched. An
// action that would take access away from the job's own account
// (SelfAccountID) is skipped unless AllowSelf: revoking its group
// memberships or project roles, removing, suspending or deactivating it,
// and revoking a project role from a group it belongs to (the groups come
// from the Target's GroupLister; when they cannot be read, such revokes
// are skipped too).
//
// Read before write. Every action starts with Target.Read. When the site
// already shows what the action wants, the action is unchanged and nothing
// is written, so a second run of the same plan changes nothing twice. In a
// dry run the engine stops here: an action that would change comes out
// skipped with "dry-run: would ...".
//
// Write once, then decide from what the site shows. Target.Write makes one
// attempt and classifies the answer:
//
//	WriteDone      read back; applied only if the read-back agrees, else failed
//	               with what the site shows
//	WriteAlready   ("already a member", "not a member") read back; unchanged
//	WriteRejected  (4xx) failed; nothing changed
//	WriteThrottled (429) wait Retry-After (or the backoff) and write again,
//	               within MaxAttempts
//	WriteUnknown   (5xx, dropped connection, timeout after sending) re-read:
//	               took effect → applied; did not → wait and write again within
//	               MaxAttempts; re-read failed → failed, never a blind repeat
//
// Concurrency. Up to Workers actions run at once, but actions that touch
// the same group, project role, user or email run one at a time in plan
// order.
//
// Cancellation. When ctx is done no new action starts and no retry waits;
// an action already writing goes on (for at most DrainTimeout) so that its
// write is followed by its read-back. Actions not started come out skipped
// (ReasonCancelled) and Run returns the context's error.
//
// Resume. With JournalPath, every outcome is appended to a JSON-lines
// journal and synced to disk as the action finishes. Run with the same
// journal reports the actions it shows applied, unchanged or ticketed as
// before, and runs the rest (failed, skipped, never finished). An action
// whose write landed but whose outcome was not journaled (a crash between
// the two) is read first and comes out unchanged, so nothing is done
// twice. A torn last line is cut off; any other damage is an error.
//
// # Wiring
//
// The CLI reads the plan (plan.ReadFile), reads the job's own account id
// (GET /myself), builds the Jira adapter (a Target, and a GroupLister over
// GET /rest/api/3/user/groups) and, for ticket actions, a Ticketer; it
// runs Run with a journal in the apply run's folder (or a local state
// folder when the destination is S3), writes Result.Outcomes as the
// actions table and the manifest (kind "apply", Summary.Counts) last, and
// exits with ExitCode. Progress reports each finished action.
package apply
