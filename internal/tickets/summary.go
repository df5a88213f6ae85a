package tickets

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/plan"
)

// maxSummary is Jira's limit on an issue summary, in characters as Java
// counts them: UTF-16 code units (an emoji is two).
const maxSummary = 255

// namer looks up the names a summary uses; a failed lookup leaves the id.
type namer interface {
	UserByID(ctx context.Context, accountID string) (jira.User, error)
	GroupByID(ctx context.Context, groupID string) (jira.Group, error)
	ProjectRole(ctx context.Context, projectID string, roleID int64) (jira.ProjectRole, error)
}

// opTitles start a summary: "Revoke: remove Jane Doe from group jira-admins".
var opTitles = map[plan.Op]string{plan.Grant: "Grant", plan.Revoke: "Revoke", plan.Create: "Invite", plan.Remove: "Remove",
	plan.Suspend: "Suspend", plan.Restore: "Restore", plan.Deactivate: "Deactivate", plan.Activate: "Reactivate"}

// Change says in words what the action does, with the names the site
// gives its user, group and project role (the id when a name cannot be
// read): "remove Jane Doe from group jira-admins".
func Change(ctx context.Context, n namer, a plan.Action) string {
	who := func(typ, id string) string {
		if typ == plan.TypeGroup {
			return "group " + groupName(ctx, n, id)
		}
		return userName(ctx, n, id)
	}
	switch a.Op {
	case plan.Grant, plan.Revoke:
		to := "group " + groupName(ctx, n, a.ToID)
		if a.Relation == plan.HasRole {
			to = "project role " + roleName(ctx, n, a.ToID)
		}
		if a.Op == plan.Grant {
			return fmt.Sprintf("add %s to %s", who(a.FromType, a.FromID), to)
		}
		return fmt.Sprintf("remove %s from %s", who(a.FromType, a.FromID), to)
	case plan.Create:
		s := "invite " + a.Email + " to the site"
		if len(a.Products) > 0 {
			s += " with " + strings.Join(a.Products, ", ")
		}
		return s
	case plan.Remove:
		return "remove " + userName(ctx, n, a.Account()) + " from the site"
	case plan.Suspend:
		return "suspend " + userName(ctx, n, a.Account()) + "'s access in the organization"
	case plan.Restore:
		return "restore " + userName(ctx, n, a.Account()) + "'s access in the organization"
	case plan.Deactivate:
		return "deactivate the Atlassian account of " + userName(ctx, n, a.Account())
	case plan.Activate:
		return "reactivate the Atlassian account of " + userName(ctx, n, a.Account())
	}
	return string(a.Op)
}

// Summary is the summary: the op's title and the change, on one
// line, at most 255 UTF-16 code units; a longer one is cut before a whole
// character (never inside a surrogate pair, a combining sequence or an
// emoji joined by ZWJ) and ends with "…".
func Summary(a plan.Action, change string) string {
	s := strings.Join(strings.Fields(oneLine(opTitles[a.Op]+": "+change)), " ")
	if utf16Len(s) <= maxSummary {
		return s
	}
	r := []rune(s)
	i, n := 0, 1 // n counts the ellipsis
	for i < len(r) && n+utf16.RuneLen(r[i]) <= maxSummary {
		n += utf16.RuneLen(r[i])
		i++
	}
	for i > 0 && (joins(r[i]) || r[i-1] == zwj) {
		i--
	}
	return strings.TrimRight(string(r[:i]), " ") + "…"
}

// zwj is the zero width joiner of emoji sequences.
const zwj = '\u200d'

// joins reports whether r belongs to the character before it (a
// combining mark, a variation selector, a joiner).
func joins(r rune) bool { return r == zwj || unicode.Is(unicode.M, r) }

// utf16Len is the length of s as a Java String: UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += max(1, utf16.RuneLen(r))
	}
	return n
}

func userName(ctx context.Context, n namer, id string) string {
	if u, err := n.UserByID(ctx, id); err == nil && strings.TrimSpace(u.DisplayName) != "" {
		return u.DisplayName + " (" + id + ")"
	}
	return "user " + id
}

func groupName(ctx context.Context, n namer, id string) string {
	if g, err := n.GroupByID(ctx, id); err == nil && strings.TrimSpace(g.Name) != "" {
		return g.Name
	}
	return id
}

func roleName(ctx context.Context, n namer, id string) string {
	p, r, ok := plan.ParseProjectRole(id)
	if !ok {
		return id
	}
	rid, _ := strconv.ParseInt(r, 10, 64)
	if role, err := n.ProjectRole(ctx, p, rid); err == nil && strings.TrimSpace(role.Name) != "" {
		return role.Name + " of project " + p
	}
	return id
}
