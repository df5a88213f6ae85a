package apply

import (
	"fmt"
	"strings"

	"github.com/govextract/jira-extractor/internal/plan"
)

// wants reports the State.Has an op wants.
func wants(op plan.Op) bool {
	switch op {
	case plan.Grant, plan.Create, plan.Suspend, plan.Deactivate:
		return true
	}
	return false
}

// describe says what an action does, as a verb phrase: "add user "X" to
// group "Y"". Ids are quoted so hostile values stay on one line.
func describe(a plan.Action) string {
	switch a.Op {
	case plan.Grant, plan.Revoke:
		to := "group"
		if a.Relation == plan.HasRole {
			to = "project role"
		}
		if a.Op == plan.Grant {
			return fmt.Sprintf("add %s %q to %s %q", a.FromType, a.FromID, to, a.ToID)
		}
		return fmt.Sprintf("remove %s %q from %s %q", a.FromType, a.FromID, to, a.ToID)
	case plan.Create:
		s := fmt.Sprintf("invite %q to the site", a.Email)
		if len(a.Products) > 0 {
			s += " with " + strings.Join(a.Products, ", ")
		}
		return s
	case plan.Remove:
		return fmt.Sprintf("remove user %q from the site", a.Account())
	case plan.Suspend:
		return fmt.Sprintf("suspend user %q's access in the organization", a.Account())
	case plan.Restore:
		return fmt.Sprintf("restore user %q's access in the organization", a.Account())
	case plan.Deactivate:
		return fmt.Sprintf("deactivate the Atlassian account %q", a.Account())
	case plan.Activate:
		return fmt.Sprintf("reactivate the Atlassian account %q", a.Account())
	}
	return fmt.Sprintf("do %q", a.Op)
}

// fact says what the site shows for an action's target, given State.Has.
func fact(a plan.Action, st State) string {
	var s string
	not := func(yes, no string) string {
		if st.Has {
			return yes
		}
		return no
	}
	switch a.Op {
	case plan.Grant, plan.Revoke:
		if a.Relation == plan.HasRole {
			s = fmt.Sprintf("%s %q %s project role %q", a.FromType, a.FromID, not("holds", "does not hold"), a.ToID)
		} else {
			s = fmt.Sprintf("%s %q %s group %q", a.FromType, a.FromID, not("is a member of", "is not a member of"), a.ToID)
		}
	case plan.Create:
		s = fmt.Sprintf("%s with email %q is on the site", not("a user", "no user"), a.Email)
	case plan.Remove:
		s = fmt.Sprintf("user %q %s the site", a.Account(), not("is on", "is not on"))
	case plan.Suspend, plan.Restore:
		s = fmt.Sprintf("user %q's access is %s", a.Account(), not("suspended", "not suspended"))
	case plan.Deactivate, plan.Activate:
		s = fmt.Sprintf("account %q is %s", a.Account(), not("deactivated", "active"))
	default:
		s = fmt.Sprintf("has = %v", st.Has)
	}
	if st.Detail != "" {
		s += " (" + st.Detail + ")"
	}
	return s
}

// answer renders a write's answer for a message: "HTTP 502: Bad gateway".
func answer(r WriteResult) string {
	var parts []string
	if r.HTTPStatus != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", r.HTTPStatus))
	} else {
		parts = append(parts, "no answer")
	}
	if r.Message != "" {
		parts = append(parts, r.Message)
	}
	return strings.Join(parts, ": ")
}
