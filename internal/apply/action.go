package apply

import (
	"context"
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
		o.Status, o.Reason, o.Message = Skipped, ReasonDryRun, "dry-run: would open a ticket to "+describe(a)+"; "+fact(a, st)
		return o
	case e.cfg.DryRun:
		o.Status, o.Reason, o.Message = Skipped, ReasonDryRun, "dry-run: would "+describe(a)+"; "+fact(a, st)
		return o
	case a.Mode == plan.ModeTicket:
		return e.ticket(ctx, a, o)
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

// ticket opens an issue asking a person to make the change.
func (e *engine) ticket(ctx context.Context, a plan.Action, o Outcome) Outcome {
	o.Attempts = 1
	summary := describe(a)
	key, err := e.cfg.Tickets.Ticket(ctx, a, summary)
	if err != nil {
		return failed(o, "open a ticket to %s: %v", summary, err)
	}
	o.Status, o.TicketKey, o.Message = Ticketed, key, "ticket "+key+" asks to "+summary
	return o
}

func failed(o Outcome, format string, args ...any) Outcome {
	o.Status, o.Message = Failed, fmt.Sprintf(format, args...)
	return o
}
