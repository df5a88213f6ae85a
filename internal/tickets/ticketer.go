// Package tickets turns plan actions into Jira issues that ask a person to
// make a change, and tracks those issues to done.
//
// A Ticketer (an apply.Ticketer) opens one issue per change in the job's
// tickets.projectKey, of tickets.issueType, with a summary naming the
// change in words, an Atlassian Document Format description listing every
// field of the action, the plan's id and the apply run's id, and the
// configured labels plus a dedupe label derived from the change
// (DedupeLabel). Before it creates, it searches for the dedupe label
// (GET /search/jql), so the same change never gets a second issue; after
// it creates, it reads the issue back. A create that got a 5xx or no
// answer is never repeated blindly: the label is searched again and the
// action fails if the issue is not there (the next apply searches first).
//
// Check validates the tickets section against the site before the first
// write (the project exists and offers the issue type; createmeta). Track
// reads the status of every ticket of an apply run.
package tickets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/plan"
)

// DefaultMaxAttempts bounds the creates of one issue after throttling.
const DefaultMaxAttempts = 3

// Options configure a Ticketer.
type Options struct {
	ProjectKey string   // tickets.projectKey
	IssueType  string   // tickets.issueType (name)
	Labels     []string // tickets.labels
	PlanID     string   // written into every description
	RunID      string   // the apply run's id, written into every description
	Logger     *slog.Logger
	// Sleep waits d or until ctx is done (tests replace it).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client is the part of jira.Client a Ticketer uses.
type Client interface {
	namer
	CreateIssue(ctx context.Context, fields map[string]any) (jira.IssueRef, jira.WriteResult)
	IssueByKey(ctx context.Context, key string, fields []string) (jira.Issue, error)
	SearchIssues(ctx context.Context, jql string, fields []string, fn func(jira.Issue) error) error
}

// Ticketer opens and finds the issues of actions. It implements
// apply.Ticketer and is safe for concurrent use.
type Ticketer struct {
	c    Client
	opts Options

	mu    sync.Mutex
	known map[string]apply.Ticket // dedupe label → issue, found or opened by this apply
}

var _ apply.Ticketer = (*Ticketer)(nil)

// New returns a Ticketer creating issues through c.
func New(c Client, opts Options) *Ticketer {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	return &Ticketer{c: c, opts: opts, known: map[string]apply.Ticket{}}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var searchFields = []string{"status", "labels", "summary"}

// JQL is the search for an action's issue: its dedupe label in the
// project, newest first.
func (t *Ticketer) JQL(a plan.Action) string {
	return fmt.Sprintf(`project = %s AND labels = %s ORDER BY created DESC`, jira.QuoteJQL(t.opts.ProjectKey), jira.QuoteJQL(DedupeLabel(a)))
}

// FindTicket returns the action's issue if one exists (an open one first,
// else the newest); it writes nothing.
func (t *Ticketer) FindTicket(ctx context.Context, a plan.Action) (apply.Ticket, bool, error) {
	label := DedupeLabel(a)
	t.mu.Lock()
	k, ok := t.known[label]
	t.mu.Unlock()
	if ok {
		return k, true, nil
	}
	var best *jira.Issue
	err := t.c.SearchIssues(ctx, t.JQL(a), searchFields, func(is jira.Issue) error {
		if !slices.Contains(is.Fields.Labels, label) {
			return nil // the search's own answer must carry the label
		}
		if best == nil || (category(*best) == "done" && category(is) != "done") {
			is := is
			best = &is
		}
		return nil
	})
	if err != nil || best == nil {
		return apply.Ticket{}, false, err
	}
	found := apply.Ticket{Key: best.Key, Existing: true, Status: status(*best), StatusCategory: category(*best)}
	t.remember(label, found)
	return found, true, nil
}

func (t *Ticketer) remember(label string, k apply.Ticket) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.known[label] = k
}

func status(is jira.Issue) string {
	if is.Fields.Status == nil {
		return ""
	}
	return is.Fields.Status.Name
}

func category(is jira.Issue) string {
	if is.Fields.Status == nil {
		return ""
	}
	return is.Fields.Status.StatusCategory.Key
}

// Ticket returns the action's issue, opening it unless one exists.
func (t *Ticketer) Ticket(ctx context.Context, a plan.Action, req apply.TicketRequest) (apply.Ticket, error) {
	if found, ok, err := t.FindTicket(ctx, a); err != nil {
		return apply.Ticket{}, fmt.Errorf("search for an existing ticket first: %w; nothing was created", err)
	} else if ok {
		return found, nil
	}
	label := DedupeLabel(a)
	change := Change(ctx, t.c, a)
	fields := map[string]any{
		"project":     map[string]string{"key": t.opts.ProjectKey},
		"issuetype":   map[string]string{"name": t.opts.IssueType},
		"summary":     Summary(a, change),
		"description": Description(a, change, req.Reason, t.opts.PlanID, t.opts.RunID),
		"labels":      append(slices.Clone(t.opts.Labels), label),
	}
	for attempt := 1; ; attempt++ {
		ref, res := t.c.CreateIssue(ctx, fields)
		switch res.Class {
		case jira.WriteDone:
			return t.readBack(ctx, ref.Key, label)
		case jira.WriteThrottled:
			if attempt >= DefaultMaxAttempts {
				return apply.Ticket{}, fmt.Errorf("creating the issue was throttled %d times (%s); nothing was created: run the plan again later", attempt, answer(res))
			}
			if err := t.opts.Sleep(ctx, res.RetryAfter); err != nil {
				return apply.Ticket{}, fmt.Errorf("throttled (%s) and stopped while waiting; nothing was created", answer(res))
			}
		case jira.WriteRejected, jira.WriteAlready:
			return apply.Ticket{}, refused(res, t.opts)
		default: // WriteUnknown: it may have been created. Search before anything else.
			found, ok, err := t.FindTicket(ctx, a)
			switch {
			case err != nil:
				return apply.Ticket{}, fmt.Errorf("outcome unknown: creating the issue got %s and the search for it failed (%v); not created again: run the plan again, it searches before it creates", answer(res), err)
			case ok:
				return found, nil
			}
			return apply.Ticket{}, fmt.Errorf("creating the issue got %s and no issue with label %s is found; not created again (a search may lag behind a create): run the plan again to retry", answer(res), label)
		}
	}
}

// readBack confirms a created issue carries its dedupe label.
func (t *Ticketer) readBack(ctx context.Context, key, label string) (apply.Ticket, error) {
	is, err := t.c.IssueByKey(ctx, key, searchFields)
	if err != nil {
		return apply.Ticket{}, fmt.Errorf("issue %s was created but the read-back failed: %w", key, err)
	}
	if !slices.Contains(is.Fields.Labels, label) {
		return apply.Ticket{}, fmt.Errorf("issue %s was created but the read-back shows no label %s (labels %q): applying again could open a second issue", key, label, is.Fields.Labels)
	}
	tk := apply.Ticket{Key: is.Key, Status: status(is), StatusCategory: category(is)}
	t.remember(label, apply.Ticket{Key: tk.Key, Existing: true, Status: tk.Status, StatusCategory: tk.StatusCategory})
	t.opts.Logger.Debug("ticket opened", "key", is.Key, "label", label)
	return tk, nil
}

func answer(r jira.WriteResult) string {
	s := "no answer"
	if r.Status != 0 {
		s = fmt.Sprintf("HTTP %d", r.Status)
	}
	if r.Message != "" {
		s += ": " + r.Message
	}
	return s
}

// ourFields are the fields a ticket sets; a field error about another one
// is a field the project requires and the description cannot fill.
var ourFields = []string{"project", "issuetype", "summary", "description", "labels"}

var fieldError = regexp.MustCompile(`(?:^|; )([A-Za-z][A-Za-z0-9_.-]*): `)

// ErrRequiredField is wrapped by the error of a create refused for a field
// the project requires that a ticket does not fill.
var ErrRequiredField = errors.New("the project requires a field a ticket cannot fill")

// refused explains a refused create, naming the fields the project
// requires that a ticket does not set.
func refused(res jira.WriteResult, o Options) error {
	var other []string
	for _, m := range fieldError.FindAllStringSubmatch(res.Message, -1) {
		if !slices.Contains(ourFields, m[1]) && !slices.Contains(other, m[1]) {
			other = append(other, m[1])
		}
	}
	if len(other) > 0 {
		return fmt.Errorf("%w: Jira refused to create the issue (%s): project %s requires %s for issue type %q, which a ticket's description cannot fill; make %s optional for that issue type, give it a default value, or choose another tickets.issueType or tickets.projectKey",
			ErrRequiredField, answer(res), o.ProjectKey, strings.Join(other, ", "), o.IssueType, strings.Join(other, ", "))
	}
	return fmt.Errorf("Jira refused to create the issue (%s); nothing was created", answer(res))
}
