// Package plan is the model of an apply plan: a list of access changes
// written in the vocabulary of the extracted rows (a `member_of` or
// `has_role` relation to grant or revoke, a `user` entity to create, remove,
// suspend, restore, deactivate or activate), and its parsing from JSON or
// CSV with strict validation that reports every problem at once.
//
// A plan is JSON, {"actions": [ACTION, ...]}, or CSV with the same fields as
// columns (a header row is required). Fields of an action:
//
//	id         the caller's id, unique in the plan (required)
//	op         grant, revoke, create, remove, suspend, restore, deactivate, activate
//	relation   member_of or has_role (grant and revoke)
//	from_type  user (member_of), user or group (has_role)
//	from_id    the holder's accountId or groupId
//	to_type    group (member_of) or project_role (has_role); user or empty for user ops
//	to_id      the groupId, or PROJECTID:ROLEID; the accountId for user ops
//	entity     user (create, remove, suspend, restore, deactivate, activate)
//	email      the address to invite (create)
//	products   application keys to give on create: jira-software,
//	           jira-servicedesk, jira-product-discovery, jira-core
//	mode       "" (call the API) or "ticket" (open a Jira issue instead)
//
// For remove, suspend, restore, deactivate and activate the account is
// to_id when given, else the action's id (so {"id": ACCOUNTID, "op":
// "remove", "entity": "user"} works as is).
//
// In CSV, products is a `;`-separated list (`jira-software;jira-core`); an
// empty cell means none. Columns may come in any order and may be left out
// (a missing column is an empty field), except id and op.
package plan

import (
	"strconv"
	"strings"
)

// Op is what an action does.
type Op string

// The ops of a plan.
const (
	Grant      Op = "grant"      // add a relation (group member, role actor)
	Revoke     Op = "revoke"     // remove a relation
	Create     Op = "create"     // invite a user to the site
	Remove     Op = "remove"     // remove a user from the site
	Suspend    Op = "suspend"    // suspend a user's access in the organization
	Restore    Op = "restore"    // restore a suspended user's access
	Deactivate Op = "deactivate" // deactivate the Atlassian account
	Activate   Op = "activate"   // reactivate the Atlassian account
)

// Ops lists every op in documentation order.
var Ops = []Op{Grant, Revoke, Create, Remove, Suspend, Restore, Deactivate, Activate}

// Relation kinds an action can grant or revoke.
const (
	MemberOf = "member_of" // user → group
	HasRole  = "has_role"  // user or group → project_role
)

// Types of the from and to ends, and the entity of user ops.
const (
	TypeUser        = "user"
	TypeGroup       = "group"
	TypeProjectRole = "project_role"
)

// ModeTicket makes an action open a Jira issue instead of calling the API.
const ModeTicket = "ticket"

// Products lists the application keys a created user may be given.
var Products = []string{"jira-software", "jira-servicedesk", "jira-product-discovery", "jira-core"}

// Action is one change of a plan. Field names are those of the plan's JSON
// keys and CSV columns, and of the apply run's actions table.
type Action struct {
	ID       string   `json:"id"`
	Op       Op       `json:"op"`
	Relation string   `json:"relation,omitempty"`
	Entity   string   `json:"entity,omitempty"`
	FromType string   `json:"from_type,omitempty"`
	FromID   string   `json:"from_id,omitempty"`
	ToType   string   `json:"to_type,omitempty"`
	ToID     string   `json:"to_id,omitempty"`
	Email    string   `json:"email,omitempty"`
	Products []string `json:"products,omitempty"`
	Mode     string   `json:"mode,omitempty"`

	where string // "actions[3]" or "line 4": where the action came from
}

// Plan is a parsed plan: its actions in the order written.
type Plan struct {
	Actions []Action
}

// Where says where the action came from in its plan file ("actions[3]",
// "line 4"), or "" for an action built in code.
func (a Action) Where() string { return a.where }

// IsRelation reports whether the action grants or revokes a relation.
func (a Action) IsRelation() bool { return a.Op == Grant || a.Op == Revoke }

// IsUserOp reports whether the action acts on a user entity by account id
// (remove, suspend, restore, deactivate, activate).
func (a Action) IsUserOp() bool {
	switch a.Op {
	case Remove, Suspend, Restore, Deactivate, Activate:
		return true
	}
	return false
}

// Account is the account id a user op acts on: to_id when given, else the
// action's id. It is "" for other ops.
func (a Action) Account() string {
	if !a.IsUserOp() {
		return ""
	}
	if a.ToID != "" {
		return a.ToID
	}
	return a.ID
}

// TakesAway reports whether the action removes access: revoke, remove,
// suspend, deactivate.
func (a Action) TakesAway() bool {
	switch a.Op {
	case Revoke, Remove, Suspend, Deactivate:
		return true
	}
	return false
}

// ParseProjectRole splits a project role id "PROJECTID:ROLEID" into its two
// numeric parts. ok is false unless both are decimal numbers.
func ParseProjectRole(s string) (project, role string, ok bool) {
	p, r, found := strings.Cut(s, ":")
	if !found || !isNumber(p) || !isNumber(r) {
		return "", "", false
	}
	return p, r, true
}

func isNumber(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// canonicalRole rewrites a valid project role id without leading zeros so
// "010:2" and "10:2" name the same role.
func canonicalRole(s string) string {
	p, r, ok := ParseProjectRole(s)
	if !ok {
		return s
	}
	pn, _ := strconv.ParseUint(p, 10, 64)
	rn, _ := strconv.ParseUint(r, 10, 64)
	return strconv.FormatUint(pn, 10) + ":" + strconv.FormatUint(rn, 10)
}
