package plan

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Bounds on single values: longer ones are refused.
const (
	MaxIDLength    = 256 // bytes of an action id, accountId or groupId
	MaxEmailLength = 254 // bytes of an email address (RFC 5321)
)

// Validate checks the whole plan and returns an *Error listing every
// problem, or nil. A plan must have at least one action; every action needs
// a unique id, a known op and the fields of its op (see the package doc);
// two actions must not contradict each other (grant and revoke of the same
// relation, suspend and restore or deactivate and activate of the same user).
func (p *Plan) Validate() error {
	var ps problems
	validate(p, &ps)
	return ps.err()
}

func validate(p *Plan, ps *problems) {
	if len(p.Actions) == 0 {
		ps.add(nil, "actions", "the plan has no actions: add at least one")
		return
	}
	for i := range p.Actions {
		validateAction(&p.Actions[i], ps)
	}
	checkDuplicateIDs(p.Actions, ps)
	checkContradictions(p.Actions, ps)
}

func validateAction(a *Action, ps *problems) {
	checkActionID(a, ps)
	switch a.Mode {
	case "", ModeTicket:
	default:
		ps.add(a, "mode", "unknown mode %q: leave it empty to call the API, or use %q to open a Jira issue instead", a.Mode, ModeTicket)
	}
	switch a.Op {
	case Grant, Revoke:
		checkRelation(a, ps)
	case Create:
		checkCreate(a, ps)
	case Remove, Suspend, Restore, Deactivate, Activate:
		checkUserOp(a, ps)
	case "":
		ps.add(a, "op", "missing: use one of %s", opList())
	default:
		hint := ""
		if slices.Contains(Ops, Op(strings.ToLower(strings.TrimSpace(string(a.Op))))) {
			hint = fmt.Sprintf(" (ops are lower case without spaces: %q)", strings.ToLower(strings.TrimSpace(string(a.Op))))
		}
		ps.add(a, "op", "unknown op %q%s: use one of %s", a.Op, hint, opList())
	}
}

func opList() string {
	s := make([]string, len(Ops))
	for i, o := range Ops {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}

func checkActionID(a *Action, ps *problems) {
	switch id := a.ID; {
	case id == "":
		ps.add(a, "id", "missing: give every action a unique id")
	case len(id) > MaxIDLength:
		ps.add(a, "id", "is %d bytes long: use at most %d", len(id), MaxIDLength)
	case !utf8.ValidString(id):
		ps.add(a, "id", "is not valid UTF-8: save the plan as UTF-8")
	case strings.IndexFunc(id, unicode.IsControl) >= 0:
		ps.add(a, "id", "contains a control character (newline, tab, ...): an id must be one line of printable text")
	case strings.TrimSpace(id) != id:
		ps.add(a, "id", "has spaces around it: remove them")
	}
}

// checkRef checks an accountId or groupId: Atlassian ids are short printable
// ASCII without spaces, so anything else (a display name, a group name, a
// stray newline) is caught before the first call.
func checkRef(a *Action, field, value, what string, ps *problems) {
	switch {
	case value == "":
		ps.add(a, field, "missing: give the %s", what)
	case len(value) > MaxIDLength:
		ps.add(a, field, "is %d bytes long: a %s is at most %d", len(value), what, MaxIDLength)
	case !isPlainASCII(value):
		ps.add(a, field, "%q is not a valid %s: ids are ASCII letters, digits and punctuation without spaces (a name is not an id)", value, what)
	}
}

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// unused reports each named field that is set although the op ignores it.
func unused(a *Action, ps *problems, fields ...string) {
	for _, f := range fields {
		var set bool
		switch f {
		case "relation":
			set = a.Relation != ""
		case "entity":
			set = a.Entity != ""
		case "from_type":
			set = a.FromType != ""
		case "from_id":
			set = a.FromID != ""
		case "to_type":
			set = a.ToType != ""
		case "to_id":
			set = a.ToID != ""
		case "email":
			set = a.Email != ""
		case "products":
			set = len(a.Products) > 0
		}
		if set {
			ps.add(a, f, "is not used by op %s: remove it", a.Op)
		}
	}
}

func checkRelation(a *Action, ps *problems) {
	unused(a, ps, "entity", "email", "products")
	switch a.Relation {
	case MemberOf:
		if a.FromType != TypeUser {
			ps.add(a, "from_type", "%s: member_of goes from a user: set %q", got(a.FromType), TypeUser)
		}
		checkRef(a, "from_id", a.FromID, "accountId", ps)
		if a.ToType != TypeGroup {
			ps.add(a, "to_type", "%s: member_of goes to a group: set %q", got(a.ToType), TypeGroup)
		}
		checkRef(a, "to_id", a.ToID, "groupId", ps)
	case HasRole:
		switch a.FromType {
		case TypeUser:
			checkRef(a, "from_id", a.FromID, "accountId", ps)
		case TypeGroup:
			checkRef(a, "from_id", a.FromID, "groupId", ps)
		default:
			ps.add(a, "from_type", "%s: has_role goes from a user or a group: set %q or %q", got(a.FromType), TypeUser, TypeGroup)
		}
		if a.ToType != TypeProjectRole {
			ps.add(a, "to_type", "%s: has_role goes to a project role: set %q", got(a.ToType), TypeProjectRole)
		}
		if _, _, ok := ParseProjectRole(a.ToID); !ok {
			if a.ToID == "" {
				ps.add(a, "to_id", "missing: give the project role as PROJECTID:ROLEID, e.g. \"10000:10002\"")
			} else {
				ps.add(a, "to_id", "%q is not PROJECTID:ROLEID: give the numeric project id and role id joined by a colon, e.g. \"10000:10002\"", a.ToID)
			}
		}
	case "":
		ps.add(a, "relation", "missing: %s needs %q (user → group) or %q (user or group → project_role)", a.Op, MemberOf, HasRole)
	default:
		ps.add(a, "relation", "unknown relation %q: %s works on %q (user → group) or %q (user or group → project_role)", a.Relation, a.Op, MemberOf, HasRole)
	}
}

func got(v string) string {
	if v == "" {
		return "missing"
	}
	return fmt.Sprintf("%q is wrong", v)
}

func checkEntity(a *Action, ps *problems) {
	if a.Entity != TypeUser {
		ps.add(a, "entity", "%s: %s acts on a user: set %q", got(a.Entity), a.Op, TypeUser)
	}
}

func checkCreate(a *Action, ps *problems) {
	unused(a, ps, "relation", "from_type", "from_id", "to_type", "to_id")
	checkEntity(a, ps)
	checkEmail(a, ps)
	seen := map[string]bool{}
	for _, p := range a.Products {
		switch {
		case !slices.Contains(Products, p):
			ps.add(a, "products", "unknown product %q: use %s (or none)", p, strings.Join(Products, ", "))
		case seen[p]:
			ps.add(a, "products", "%q is listed twice: list it once", p)
		}
		seen[p] = true
	}
}

func checkEmail(a *Action, ps *problems) {
	e := a.Email
	if e == "" {
		ps.add(a, "email", "missing: create needs the address to invite")
		return
	}
	if len(e) > MaxEmailLength {
		ps.add(a, "email", "is %d bytes long: an address is at most %d", len(e), MaxEmailLength)
		return
	}
	if !utf8.ValidString(e) {
		ps.add(a, "email", "is not valid UTF-8: save the plan as UTF-8")
		return
	}
	if n := norm.NFC.String(e); n != e {
		ps.add(a, "email", "%q has decomposed Unicode characters: write them composed (NFC), as %q", e, n)
		return
	}
	addr, err := mail.ParseAddress(e)
	_, domain, _ := strings.Cut(e, "@")
	if err != nil || addr.Name != "" || addr.Address != e || !strings.Contains(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.HasPrefix(domain, ".") {
		ps.add(a, "email", "%q is not a plain email address: write it as name@example.com, without a display name, quotes or spaces", e)
	}
}

func checkUserOp(a *Action, ps *problems) {
	unused(a, ps, "relation", "from_type", "from_id", "email", "products")
	checkEntity(a, ps)
	if a.ToType != "" && a.ToType != TypeUser {
		ps.add(a, "to_type", "%q is wrong: %s acts on a user: set %q or leave it empty", a.ToType, a.Op, TypeUser)
	}
	if a.ToID != "" {
		checkRef(a, "to_id", a.ToID, "accountId", ps)
		return
	}
	if a.ID != "" && !isPlainASCII(a.ID) {
		ps.add(a, "to_id", "missing: give the user's accountId in to_id (the id %q is not an accountId to fall back on)", a.ID)
	}
}

func checkDuplicateIDs(actions []Action, ps *problems) {
	first := map[string]*Action{}
	for i := range actions {
		a := &actions[i]
		if a.ID == "" {
			continue
		}
		key := norm.NFC.String(a.ID)
		prev, dup := first[key]
		switch {
		case !dup:
			first[key] = a
		case prev.ID == a.ID:
			ps.add(a, "id", "duplicate: action %s has the same id; give every action a unique id", whereOf(prev))
		default:
			ps.add(a, "id", "duplicate: action %s has the same id written with other Unicode code points (composed vs decomposed); give every action a unique id", whereOf(prev))
		}
	}
}

func whereOf(a *Action) string {
	if a.where != "" {
		return fmt.Sprintf("%q at %s", a.ID, a.where)
	}
	return fmt.Sprintf("%q", a.ID)
}

// targetKey names what an action changes, and its opposite op: two actions
// with the same key and opposite ops contradict each other.
func targetKey(a *Action) (key string, opposite Op) {
	switch a.Op {
	case Grant, Revoke:
		if a.Relation == "" || a.FromID == "" || a.ToID == "" {
			return "", ""
		}
		to := a.ToID
		if a.Relation == HasRole {
			to = canonicalRole(to)
		}
		key = strings.Join([]string{"edge", a.Relation, a.FromType, a.FromID, a.ToType, to}, "\x00")
		if a.Op == Grant {
			return key, Revoke
		}
		return key, Grant
	case Suspend, Restore, Deactivate, Activate:
		acct := a.Account()
		if acct == "" {
			return "", ""
		}
		opp := map[Op]Op{Suspend: Restore, Restore: Suspend, Deactivate: Activate, Activate: Deactivate}[a.Op]
		return "user\x00" + acct, opp
	}
	return "", ""
}

func checkContradictions(actions []Action, ps *problems) {
	type seen struct {
		a  *Action
		op Op
	}
	byKey := map[string][]seen{}
	for i := range actions {
		a := &actions[i]
		key, opposite := targetKey(a)
		if key == "" {
			continue
		}
		for _, s := range byKey[key] {
			if s.op == opposite {
				ps.add(a, "op", "%s contradicts action %s, which does %s on the same target: keep one of them", a.Op, whereOf(s.a), s.op)
				break
			}
		}
		byKey[key] = append(byKey[key], seen{a, a.Op})
	}
}
