package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/govextract/jira-extractor/internal/plan"
)

// runAction takes one action through read → decide → write → read-back.
// It never writes twice without a read in between that showed the first
// write had not taken effect.
func (e *engine) runAction(ctx context.Context, a plan.Action) (o Outcome) {
	o = newOutcome(a)
	o.StartedAt = e.cfg.Now().UTC()
	defer func() { o.FinishedAt = e.cfg.Now().UTC() }()
	want := wants(a.Op)

	st, err := e.target.Read(ctx, a)
	if err != nil && a.Mode == plan.ModeTicket && errors.Is(err, ErrUnreadable) {
		// A person makes the change: the job need not be able to read it.
		st, err = State{Detail: "the job cannot read this target: " + err.Error()}, nil
	}
	switch {
	case err != nil:
		o.unreached = true
		return failed(o, "read the current state before writing: %v; nothing was written", err)
	case st.NotFound != "":
		return failed(o, "%s; nothing was written", st.NotFound)
	case st.Has == want:
		o.Status, o.Message = Unchanged, "already as wanted: "+fact(a, st)
		return o
	case e.cfg.DryRun && a.Mode == plan.ModeTicket:
		return e.dryRunTicket(ctx, a, o, st)
	case e.cfg.DryRun:
		o.Status, o.Reason, o.Message = Skipped, ReasonDryRun, "dry-run: would "+describe(a)+"; "+fact(a, st)
		return o
	case a.Mode == plan.ModeTicket:
		return e.ticket(ctx, a, o, TicketRequest{Change: describe(a), Reason: "the plan asks for a person to make this change (mode \"ticket\")"})
	}

	for attempt := 1; ; attempt++ {
		o.Attempts = attempt
		res := normalize(e.target.Write(ctx, a))
		o.HTTPStatus = res.HTTPStatus
		switch res.Outcome {
		case WriteDone:
			return e.readBack(ctx, a, o, Applied, fmt.Sprintf("written (%s)", answer(res)))
		case WriteAlready:
			return e.readBack(ctx, a, o, Unchanged, fmt.Sprintf("the site says it is already done (%s)", answer(res)))
		case WriteRejected:
			if res.PersonOnly {
				return e.fallback(ctx, a, o, res)
			}
			return failed(o, "the site refused (%s); nothing was changed", answer(res))
		case WriteThrottled:
			if attempt >= e.cfg.MaxAttempts {
				return failed(o, "throttled %d times (%s); nothing was changed: run the plan again later", attempt, answer(res))
			}
			wait := max(res.RetryAfter, e.cfg.Backoff(attempt))
			if err := e.cfg.Sleep(e.stop, wait); err != nil {
				return failed(o, "throttled (%s) and stopped while waiting to retry; nothing was changed", answer(res))
			}
		default: // WriteUnknown: it may have taken effect. Read before anything else.
			now, err := e.target.Read(ctx, a)
			switch {
			case err != nil:
				return failed(o, "outcome unknown: the write got %s and the re-read failed (%v); it was not retried: run the plan again, it reads before it writes", answer(res), err)
			case now.NotFound != "":
				return failed(o, "the write got %s and the re-read says %s", answer(res), now.NotFound)
			case now.Has == want:
				o.Status, o.Message = Applied, fmt.Sprintf("took effect although the write got %s; the re-read shows %s", answer(res), fact(a, now))
				return o
			case attempt >= e.cfg.MaxAttempts:
				return failed(o, "the write failed %d times (last: %s); the site shows %s", attempt, answer(res), fact(a, now))
			}
			if err := e.cfg.Sleep(e.stop, max(res.RetryAfter, e.cfg.Backoff(attempt))); err != nil {
				return failed(o, "the write got %s and did not take effect (the site shows %s); stopped before retrying", answer(res), fact(a, now))
			}
		}
	}
}

// readBack confirms a write: the action ends with status only if the site
// now shows what was wanted.
func (e *engine) readBack(ctx context.Context, a plan.Action, o Outcome, status Status, did string) Outcome {
	st, err := e.target.Read(ctx, a)
	switch {
	case err != nil:
		return failed(o, "%s but the read-back failed (%v): run the plan again to confirm, it reads before it writes", did, err)
	case st.NotFound != "":
		return failed(o, "%s but the read-back says %s", did, st.NotFound)
	case st.Has != wants(a.Op):
		return failed(o, "%s but the read-back disagrees: the site shows %s", did, fact(a, st))
	}
	o.Status, o.Message = status, did+"; the read-back shows "+fact(a, st)
	return o
}

// ticket opens (or finds) the issue asking a person to make the change.
func (e *engine) ticket(ctx context.Context, a plan.Action, o Outcome, req TicketRequest) Outcome {
	o.Attempts++
	t, err := e.cfg.Tickets.Ticket(ctx, a, req)
	if err != nil {
		return failed(o, "open a ticket to %s: %v", req.Change, err)
	}
	o.Status, o.TicketKey = Ticketed, t.Key
	switch {
	case t.Existing && t.StatusCategory == "done":
		o.Message = fmt.Sprintf("ticket %s (opened earlier, found by its dedupe label) asks to %s; it is %s, but the site does not show the change yet: reopen it", t.Key, req.Change, t.Status)
	case t.Existing:
		o.Message = fmt.Sprintf("ticket %s (opened earlier, found by its dedupe label; status %s) asks to %s; no second ticket opened", t.Key, t.Status, req.Change)
	default:
		o.Message = fmt.Sprintf("ticket %s asks to %s", t.Key, req.Change)
	}
	if req.Fallback {
		o.Fallback = true
		o.Message += "; opened because " + req.Reason
	}
	return o
}

// fallback tickets a change the site refused because only a person can
// make it; without tickets configured the action fails and says how to
// have it ticketed.
func (e *engine) fallback(ctx context.Context, a plan.Action, o Outcome, res WriteResult) Outcome {
	if e.cfg.Tickets == nil {
		return failed(o, "the site refused (%s): only a person can make this change; nothing was changed. Set tickets.projectKey in the job file to have such changes ticketed automatically", answer(res))
	}
	return e.ticket(ctx, a, o, TicketRequest{Change: describe(a), Fallback: true,
		Reason: fmt.Sprintf("the API refused the change as one only a person can make (%s)", answer(res))})
}

// dryRunTicket searches for the action's issue and says what a run would do.
func (e *engine) dryRunTicket(ctx context.Context, a plan.Action, o Outcome, st State) Outcome {
	t, found, err := e.cfg.Tickets.FindTicket(ctx, a)
	switch {
	case err != nil:
		return failed(o, "dry-run: search for the ticket of this action: %v", err)
	case found:
		o.Status, o.TicketKey = Ticketed, t.Key
		o.Message = fmt.Sprintf("dry-run: ticket %s (status %s) already asks to %s; nothing would be opened; %s", t.Key, t.Status, describe(a), fact(a, st))
		return o
	}
	o.Status, o.Reason, o.Message = Skipped, ReasonDryRun, "dry-run: would open a ticket to "+describe(a)+"; "+fact(a, st)
	return o
}

func failed(o Outcome, format string, args ...any) Outcome {
	o.Status, o.Message = Failed, fmt.Sprintf(format, args...)
	return o
}
