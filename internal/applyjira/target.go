// Package applyjira is the Jira side of apply: a Target (package apply)
// that reads and changes group memberships, project role actors and users
// through the Jira REST API, and suspends, restores, deactivates and
// reactivates accounts through the Atlassian Admin API.
//
// Each op reads with one cheap request and writes with one:
//
//	op                         read                                     write
//	grant/revoke member_of     GET /user/groups?accountId=              POST / DELETE /group/user
//	grant/revoke has_role      GET /project/{id}/role/{roleId}          POST / DELETE /project/{id}/role/{roleId}
//	create                     GET /user/search?query=EMAIL             POST /user
//	remove                     GET /user?accountId=                     DELETE /user?accountId=
//	suspend/restore            Admin GET directories/-/users/{id}       Admin POST directories/{dir}/users/{id}/suspend|restore
//	deactivate/activate        Admin GET directories/-/users/{id}       POST /users/{id}/manage/lifecycle/disable|enable
//
// Writes are made once (jira.Client's writes never retry); the engine
// decides about a second attempt after a re-read.
package applyjira

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/plan"
)

// Target applies actions to one Jira site. It implements apply.Target and
// apply.GroupLister.
type Target struct {
	c *jira.Client

	dirs directories // the org's directories for Admin API writes

	createdMu sync.Mutex
	created   map[string]string // email → accountId answered by a create
}

var (
	_ apply.Target      = (*Target)(nil)
	_ apply.GroupLister = (*Target)(nil)
)

// New returns the Target of client c (Detect must have run).
func New(c *jira.Client) *Target { return &Target{c: c} }

// NeedsOrgAccess reports whether an action needs the Admin API (orgId and
// orgApiKey): suspend, restore, deactivate and activate.
func NeedsOrgAccess(a plan.Action) bool {
	switch a.Op {
	case plan.Suspend, plan.Restore, plan.Deactivate, plan.Activate:
		return a.Mode != plan.ModeTicket
	}
	return false
}

// CheckOrgAccess returns a *plan.Error naming every action that needs the
// Admin API when the job has none (hasOrg false); nil otherwise.
func CheckOrgAccess(p *plan.Plan, hasOrg bool) error {
	if hasOrg {
		return nil
	}
	var ps []plan.Problem
	for _, a := range p.Actions {
		if NeedsOrgAccess(a) {
			ps = append(ps, plan.Problem{ID: a.ID, Where: a.Where(), Field: "op",
				Message: fmt.Sprintf("%q needs the Atlassian Admin API: set appConfig.orgId and appConfig.orgApiKey in the job file", a.Op)})
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return &plan.Error{Problems: ps}
}

// GroupIDsOf lists the groups an account is a member of.
func (t *Target) GroupIDsOf(ctx context.Context, accountID string) ([]string, error) {
	gs, err := t.c.UserGroups(ctx, accountID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.GroupID
	}
	return ids, nil
}

// Read returns what the site shows for the action's target, fresh.
func (t *Target) Read(ctx context.Context, a plan.Action) (apply.State, error) {
	switch {
	case a.IsRelation() && a.Relation == plan.MemberOf:
		gs, err := t.c.UserGroups(ctx, a.FromID)
		if jira.IsNotFound(err) {
			return apply.State{NotFound: fmt.Sprintf("user %q not found on the site", a.FromID)}, nil
		}
		if err != nil {
			return apply.State{}, err
		}
		for _, g := range gs {
			if g.GroupID == a.ToID {
				return apply.State{Has: true}, nil
			}
		}
		return apply.State{}, nil
	case a.IsRelation() && a.Relation == plan.HasRole:
		p, r, _ := plan.ParseProjectRole(a.ToID)
		roleID, _ := strconv.ParseInt(r, 10, 64) // validated: decimal digits
		role, err := t.c.ProjectRole(ctx, p, roleID)
		if jira.IsNotFound(err) {
			return apply.State{NotFound: fmt.Sprintf("project role %q not found (or no permission to administer the project)", a.ToID)}, nil
		}
		if err != nil {
			return apply.State{}, err
		}
		for _, ac := range role.Actors {
			switch {
			case a.FromType == plan.TypeUser && ac.ActorUser != nil && ac.ActorUser.AccountID == a.FromID,
				a.FromType == plan.TypeGroup && ac.ActorGroup != nil && ac.ActorGroup.GroupID == a.FromID:
				return apply.State{Has: true}, nil
			}
		}
		return apply.State{}, nil
	case a.Op == plan.Create:
		us, err := t.c.UsersByEmail(ctx, a.Email)
		if err != nil {
			return apply.State{}, err
		}
		if len(us) == 0 {
			// A user whose email is private cannot be found by it: read
			// back the account this apply's create answered with.
			if id := t.createdAccount(a.Email); id != "" {
				u, err := t.c.UserByID(ctx, id)
				if err != nil && !jira.IsNotFound(err) {
					return apply.State{}, err
				}
				if err == nil {
					us = append(us, u)
				}
			}
		}
		if len(us) > 0 {
			st := apply.State{Has: true, Detail: "account " + us[0].AccountID}
			if !us[0].Active {
				st.Detail += ", inactive"
			}
			return st, nil
		}
		return apply.State{}, nil
	case a.Op == plan.Remove:
		_, err := t.c.UserByID(ctx, a.Account())
		if jira.IsNotFound(err) {
			return apply.State{}, nil
		}
		if err != nil {
			return apply.State{}, err
		}
		return apply.State{Has: true}, nil
	case a.IsUserOp():
		u, err := t.c.DirectoryUserByID(ctx, a.Account())
		if errors.Is(err, jira.ErrNoOrgAccess) {
			return apply.State{}, fmt.Errorf("%w: %w", apply.ErrUnreadable, err)
		}
		if jira.IsNotFound(err) {
			return apply.State{NotFound: fmt.Sprintf("account %q not found in the organization", a.Account())}, nil
		}
		if err != nil {
			return apply.State{}, err
		}
		if a.Op == plan.Suspend || a.Op == plan.Restore {
			return apply.State{Has: u.Suspended()}, nil
		}
		return apply.State{Has: u.Deactivated()}, nil
	}
	return apply.State{}, fmt.Errorf("op %q is not supported by the Jira target", a.Op)
}

// Write makes the action's change once and classifies the answer.
func (t *Target) Write(ctx context.Context, a plan.Action) (apply.WriteResult, error) {
	var r jira.WriteResult
	switch {
	case a.IsRelation() && a.Relation == plan.MemberOf:
		if a.Op == plan.Grant {
			r = t.c.AddGroupMember(ctx, a.ToID, a.FromID)
		} else {
			r = t.c.RemoveGroupMember(ctx, a.ToID, a.FromID)
		}
	case a.IsRelation() && a.Relation == plan.HasRole:
		p, role, _ := plan.ParseProjectRole(a.ToID)
		kind := jira.ActorKindUser
		if a.FromType == plan.TypeGroup {
			kind = jira.ActorKindGroup
		}
		if a.Op == plan.Grant {
			r = t.c.AddRoleActor(ctx, p, role, kind, a.FromID)
		} else {
			r = t.c.RemoveRoleActor(ctx, p, role, kind, a.FromID)
		}
	case a.Op == plan.Create:
		r = t.c.CreateUser(ctx, a.Email, a.Products)
		t.rememberCreated(a.Email, r.Created)
	case a.Op == plan.Remove:
		r = t.c.DeleteUser(ctx, a.Account())
	case a.Op == plan.Suspend || a.Op == plan.Restore:
		var err error
		if r, err = t.suspend(ctx, a.Account(), a.Op == plan.Suspend); err != nil {
			return apply.WriteResult{Outcome: apply.WriteRejected, Message: "not sent: " + err.Error()}, nil
		}
	case a.Op == plan.Deactivate || a.Op == plan.Activate:
		r = t.c.SetAccountActive(ctx, a.Account(), a.Op == plan.Activate)
	default:
		return apply.WriteResult{Outcome: apply.WriteRejected, Message: fmt.Sprintf("op %q is not supported", a.Op)}, nil
	}
	res := apply.WriteResult{Outcome: outcomeOf(r.Class), HTTPStatus: r.Status, RetryAfter: r.RetryAfter, Message: r.Message,
		PersonOnly: r.PersonOnly}
	if res.Outcome == apply.WriteUnknown {
		// The engine reads a nil error with no outcome as done: an unknown
		// outcome must come with its error.
		return res, errors.New(cmpOr(r.Message, "no answer"))
	}
	return res, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func outcomeOf(c jira.WriteClass) apply.WriteOutcome {
	switch c {
	case jira.WriteDone:
		return apply.WriteDone
	case jira.WriteAlready:
		return apply.WriteAlready
	case jira.WriteRejected:
		return apply.WriteRejected
	case jira.WriteThrottled:
		return apply.WriteThrottled
	}
	return apply.WriteUnknown
}

// rememberCreated keeps the accountId a create answered with, so that the
// read-back finds a user whose email the site keeps private.
func (t *Target) rememberCreated(email, accountID string) {
	if accountID == "" {
		return
	}
	t.createdMu.Lock()
	defer t.createdMu.Unlock()
	if t.created == nil {
		t.created = map[string]string{}
	}
	t.created[strings.ToLower(email)] = accountID
}

// createdAccount is the accountId a create of email answered with, if any.
func (t *Target) createdAccount(email string) string {
	t.createdMu.Lock()
	defer t.createdMu.Unlock()
	return t.created[strings.ToLower(email)]
}
