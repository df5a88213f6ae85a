package incremental

import (
	"strings"

	"github.com/govextract/jira-extractor/internal/jira"
)

// Audited removals. A group the audit log names only in "User removed from
// group" records is not read again: its members are carried forward from
// the base run without the users removed. Each such record names both the
// group and the user, so this is as exact as reading the group again,
// under the assumption every incremental read rests on (a change to a
// group since the base run is in the audit log or, with an org key, shows
// in its member count, which is then compared net of these removals).
//
// Above all it spares re-reading every group of a user removed from the
// site: Jira writes one such record per group, and one removed user of a
// large site is typically in its largest groups (jira-software-users).

// summaryMemberRemoved is the summary of the audit record of a member
// removed from a group.
const summaryMemberRemoved = "User removed from group"

// memberRemoval returns the group and the user of a "User removed from
// group" record (the group as objectItem, one user among associatedItems);
// ok is false for any other record.
func memberRemoval(r jira.AuditRecord) (group, user string, ok bool) {
	if !strings.EqualFold(r.Summary, summaryMemberRemoved) || !strings.EqualFold(r.Category, "group management") ||
		!strings.EqualFold(r.ObjectItem.TypeName, "GROUP") || r.ObjectItem.ID == "" {
		return "", "", false
	}
	for _, it := range r.AssociatedItems {
		if !strings.EqualFold(it.TypeName, "USER") {
			continue
		}
		if it.ID == "" || user != "" {
			return "", "", false // a user without an id, or two users: not understood
		}
		user = it.ID
	}
	return r.ObjectItem.ID, user, user != ""
}

// noteRemoval records that user was removed from group.
func (p *Plan) noteRemoval(group, user string) {
	if p.removed == nil {
		p.removed = map[string]map[string]bool{}
	}
	if p.removed[group] == nil {
		p.removed[group] = map[string]bool{}
	}
	p.removed[group][user] = true
}

// removedMember reports whether a carried member_of row of a reused group
// is one of its audited removals.
func (p *Plan) removedMember(user, group string) bool { return p.removed[group][user] }

// countRemovalOnly counts the base run's groups carried forward without
// their removed members.
func (p *Plan) countRemovalOnly() int {
	n := 0
	for id := range p.removed {
		if p.baseGroups[id] && !p.changedGroups[id] {
			n++
		}
	}
	return n
}
