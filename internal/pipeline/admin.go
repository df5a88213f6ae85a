package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/slots"
)

// adminUser is what the extractor uses of an Admin API account.
type adminUser struct {
	accountType   string
	status        string
	name          string
	email         string
	lastActive    time.Time
	productAccess []string // nil when the listing does not say (Admin API v2)
}

// enrich fills what Jira does not say of a user from the Admin API: the
// email where Jira hides it, the account status, last activity and product
// access keys.
func (a *adminUser) enrich(rec *model.UserRecord) {
	if rec.Email == "" {
		rec.Email = a.email
	}
	rec.AccountStatus = a.status
	rec.LastActive = a.lastActive
	rec.ProductAccess = a.productAccess
}

// readAdminUsers reads every Admin API v1 account page into a compact
// store (the only per-user state besides the users/search id set). A v1
// listing that is gone (404, 410) degrades to v2 with a warning. The pages
// follow a cursor, one after another, so they go ahead of other work
// (package slots).
func (r *run) readAdminUsers(ctx context.Context) (*orgAccounts, error) {
	ctx = slots.Urgent(ctx)
	out, err := r.readOrgUsers(ctx, "admin org users", r.src.OrgUsersPage, newOrgAccounts())
	if err != nil && r.v1Gone(err) {
		return r.readAdminUsersV2(ctx, err)
	}
	return out, err
}

// readOrgUsers reads every page of one org users listing into out.
func (r *run) readOrgUsers(ctx context.Context, what string, page func(context.Context, string) ([]jira.OrgUser, string, error), out *orgAccounts) (*orgAccounts, error) {
	cursor := ""
	for pages := 0; ; pages++ {
		cur := cursor
		users, err := call(ctx, r, func(ctx context.Context) (orgUsersAnswer, error) {
			us, next, err := page(ctx, cur)
			return orgUsersAnswer{us, next}, err
		})
		if err != nil {
			return nil, fmt.Errorf("%s page %d: %w", what, pages+1, err)
		}
		r.plan(1)
		r.log.Debug("page", "endpoint", what, "page", pages+1, "values", len(users.users))
		for _, u := range users.users {
			if u.AccountID != "" {
				out.add(u)
			}
		}
		if users.next == "" || users.next == cur {
			break
		}
		cursor = users.next
	}
	r.log.Info("org accounts read", "users", out.Len())
	return out, nil
}

type orgUsersAnswer struct {
	users []jira.OrgUser
	next  string
}

type orgGroupsAnswer struct {
	groups []jira.OrgGroup
	next   string
}

// orgGroups emits the org's groups that Jira did not list (after the groups
// phase, so the Jira group ids are known). Its pages follow a cursor, so
// they go ahead of other work (package slots).
func (r *run) orgGroups(ctx context.Context) error {
	if !r.opts.OrgAccess || !r.filter.WantsEntity(model.Group) {
		return nil
	}
	ctx = slots.Urgent(ctx)
	if err := wait(ctx, r.groupsDone); err != nil {
		return err
	}
	cursor, added := "", 0
	for pages := 0; ; pages++ {
		cur := cursor
		ans, err := call(ctx, r, func(ctx context.Context) (orgGroupsAnswer, error) {
			gs, next, err := r.src.OrgGroupsPage(ctx, cur)
			return orgGroupsAnswer{gs, next}, err
		})
		if err != nil {
			return fmt.Errorf("admin org groups page %d: %w", pages+1, err)
		}
		r.plan(1)
		r.log.Debug("page", "endpoint", "admin org groups", "page", pages+1, "values", len(ans.groups))
		for _, g := range ans.groups {
			if g.ID == "" || !r.newGroup(g.ID) {
				continue
			}
			if err := r.out.entity(ctx, model.NewGroup(g.ID, g.Name, g.Description)); err != nil {
				return err
			}
			added++
		}
		if ans.next == "" || ans.next == cur {
			break
		}
		cursor = ans.next
	}
	r.log.Info("org groups not listed by Jira added", "groups", added)
	return nil
}
