// Package applyscim is the SCIM side of apply: a Target (package apply)
// that provisions, deprovisions, deactivates and reactivates users and
// changes group memberships in a SCIM directory. Ids in the plan are SCIM
// ids (the source_id of a SCIM run's rows).
//
//	op                    read                              write
//	grant/revoke member_of GET /Groups/{id} (and /Users/{id}) PATCH /Groups/{id} members (PUT without PATCH)
//	create                GET /Users?filter=userName eq      POST /Users
//	remove                GET /Users/{id}                    DELETE /Users/{id}
//	deactivate/activate   GET /Users/{id}                    PATCH /Users/{id} active (PUT without PATCH)
//
// Writes are made once (scim.Client's writes never retry); the engine
// decides about a second attempt after a re-read.
package applyscim

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/plan"
	"github.com/govextract/jira-extractor/internal/scim"
)

// Target applies actions to one SCIM directory.
type Target struct{ c *scim.Client }

var _ apply.Target = (*Target)(nil)

// New returns the Target of client c.
func New(c *scim.Client) *Target { return &Target{c: c} }

// Check returns a *plan.Error naming every action a SCIM directory cannot
// carry out (has_role, suspend, restore, tickets); nil when there is none.
func Check(p *plan.Plan) error {
	var ps []plan.Problem
	for _, a := range p.Actions {
		switch {
		case a.Mode == plan.ModeTicket:
			ps = append(ps, plan.Problem{ID: a.ID, Where: a.Where(), Field: "mode",
				Message: `"ticket" actions are not supported with a scim job: leave mode empty`})
		case a.IsRelation() && a.Relation != plan.MemberOf:
			ps = append(ps, plan.Problem{ID: a.ID, Where: a.Where(), Field: "relation",
				Message: fmt.Sprintf("%q cannot be changed through SCIM: a scim job changes member_of and users only", a.Relation)})
		case a.Op == plan.Suspend || a.Op == plan.Restore:
			ps = append(ps, plan.Problem{ID: a.ID, Where: a.Where(), Field: "op",
				Message: fmt.Sprintf("%q has no SCIM equivalent: use deactivate or activate (SCIM active)", a.Op)})
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return &plan.Error{Problems: ps}
}

// Read returns what the directory shows for the action's target, fresh.
func (t *Target) Read(ctx context.Context, a plan.Action) (apply.State, error) {
	switch {
	case a.IsRelation() && a.Relation == plan.MemberOf:
		g, err := t.c.GetGroup(ctx, a.ToID)
		if scim.IsNotFound(err) {
			return apply.State{NotFound: fmt.Sprintf("group %q not found in the SCIM directory", a.ToID)}, nil
		}
		if err != nil {
			return apply.State{}, err
		}
		if g.HasMember(a.FromID) {
			return apply.State{Has: true}, nil
		}
		if a.Op == plan.Grant {
			if _, err := t.c.GetUser(ctx, a.FromID); scim.IsNotFound(err) {
				return apply.State{NotFound: fmt.Sprintf("user %q not found in the SCIM directory", a.FromID)}, nil
			} else if err != nil {
				return apply.State{}, err
			}
		}
		return apply.State{}, nil
	case a.Op == plan.Create:
		us, err := t.c.UsersByUserName(ctx, a.Email)
		if err != nil {
			return apply.State{}, err
		}
		if len(us) > 0 {
			st := apply.State{Has: true, Detail: "user " + us[0].ID()}
			if !us[0].Active() {
				st.Detail += ", inactive"
			}
			return st, nil
		}
		return apply.State{}, nil
	case a.Op == plan.Remove:
		_, err := t.c.GetUser(ctx, a.Account())
		if scim.IsNotFound(err) {
			return apply.State{}, nil
		}
		if err != nil {
			return apply.State{}, err
		}
		return apply.State{Has: true}, nil
	case a.Op == plan.Deactivate || a.Op == plan.Activate:
		u, err := t.c.GetUser(ctx, a.Account())
		if scim.IsNotFound(err) {
			return apply.State{NotFound: fmt.Sprintf("user %q not found in the SCIM directory", a.Account())}, nil
		}
		if err != nil {
			return apply.State{}, err
		}
		return apply.State{Has: !u.Active()}, nil
	}
	return apply.State{}, fmt.Errorf("op %q is not supported by the SCIM target", a.Op)
}

// Write makes the action's change once and classifies the answer.
func (t *Target) Write(ctx context.Context, a plan.Action) (apply.WriteResult, error) {
	var r scim.WriteResult
	switch {
	case a.IsRelation() && a.Relation == plan.MemberOf:
		r = t.c.SetMember(ctx, a.ToID, a.FromID, a.Op == plan.Grant)
	case a.Op == plan.Create:
		name, _, _ := strings.Cut(a.Email, "@")
		r = t.c.CreateUser(ctx, a.Email, name)
	case a.Op == plan.Remove:
		r = t.c.DeleteUser(ctx, a.Account())
	case a.Op == plan.Deactivate || a.Op == plan.Activate:
		r = t.c.SetActive(ctx, a.Account(), a.Op == plan.Activate)
	default:
		return apply.WriteResult{Outcome: apply.WriteRejected, Message: fmt.Sprintf("op %q is not supported through SCIM", a.Op)}, nil
	}
	res := apply.WriteResult{Outcome: outcomeOf(r.Class), HTTPStatus: r.Status, RetryAfter: r.RetryAfter, Message: r.Message}
	if res.Outcome == apply.WriteUnknown {
		msg := r.Message
		if msg == "" {
			msg = "no answer"
		}
		return res, errors.New(msg)
	}
	return res, nil
}

func outcomeOf(c scim.WriteClass) apply.WriteOutcome {
	switch c {
	case scim.WriteDone:
		return apply.WriteDone
	case scim.WriteAlready:
		return apply.WriteAlready
	case scim.WriteRejected:
		return apply.WriteRejected
	case scim.WriteThrottled:
		return apply.WriteThrottled
	}
	return apply.WriteUnknown
}
