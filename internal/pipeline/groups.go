package pipeline

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/slots"
)

// newGroup records a group id and reports whether it was new.
func (r *run) newGroup(id string) bool {
	r.groupMu.Lock()
	defer r.groupMu.Unlock()
	if _, ok := r.groupIDs[id]; ok {
		return false
	}
	r.groupIDs[id] = struct{}{}
	return true
}

// groups reads group/bulk and, per group, its members (inactive ones too
// unless the job says otherwise). A group deleted mid-run is a warning.
func (r *run) groups(ctx context.Context) error {
	if !r.filter.WantsEntity(model.Group) {
		close(r.groupsDone)
		return nil
	}
	members := r.filter.WantsRelation(model.MemberOf)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	items, ictx := errgroup.WithContext(ctx)
	items.SetLimit(2 * r.conc)
	n := 0
	// The listing goes ahead of other work (package slots): every group
	// waits for it.
	err := pageBeans(slots.Urgent(ctx), r, "group/bulk", jira.GroupsPageSize, counted(r, r.src.GroupsPage, 0), func(ctx context.Context, gs []jira.Group) error {
		for _, g := range gs {
			if g.GroupID == "" || !r.newGroup(g.GroupID) {
				continue
			}
			if err := r.out.entity(ctx, model.NewGroup(g.GroupID, g.Name, "")); err != nil {
				return err
			}
			done := r.item(ctx)
			if !members || (r.opts.Reuse != nil && r.opts.Reuse.ReuseGroupMembers(g)) {
				done()
				continue
			}
			r.plan(1)
			items.Go(func() error { defer done(); return r.groupMembers(ictx, g.GroupID) })
		}
		return nil
	})
	if err != nil {
		cancel()
		_ = items.Wait()
		return err
	}
	if err := items.Wait(); err != nil {
		return err
	}
	r.groupMu.Lock()
	n = len(r.groupIDs)
	r.groupMu.Unlock()
	r.log.Info("groups read", "groups", n)
	close(r.groupsDone)
	return nil
}

// groupMembers emits member_of for every member of one group.
func (r *run) groupMembers(ctx context.Context, groupID string) error {
	inactive := r.filter.IncludeInactive()
	fetch := func(ctx context.Context, startAt, maxResults int) (jira.Page[jira.User], error) {
		return r.src.GroupMembersPage(ctx, groupID, inactive, startAt, maxResults)
	}
	err := pageBeans(ctx, r, "group/member groupId="+groupID, jira.MembersPageSize, fetch, func(ctx context.Context, us []jira.User) error {
		for _, u := range us {
			if u.AccountID == "" || !r.wantsUser(u.AccountType, u.Active) {
				continue
			}
			if err := r.out.relation(ctx, model.MemberOfRel(u.AccountID, groupID)); err != nil {
				return err
			}
		}
		return nil
	})
	if r.scopeErr(err) {
		r.warn("group "+groupID+" members", err)
		return nil
	}
	return err
}
