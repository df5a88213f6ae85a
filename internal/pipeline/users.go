package pipeline

import (
	"context"
	"fmt"
	"math"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/slots"
)

// userWindow is how many users/search pages are kept in flight at most.
func (r *run) userWindow() int { return max(1, min(r.conc, 4)) }

// needUsers reports whether users/search must be read: for user entities, or
// to learn which accountIds a filter excludes from relations.
func (r *run) needUsers() bool {
	if r.filter.WantsEntity(model.User) {
		return true
	}
	return r.userFilter && (r.filter.WantsRelation(model.HasRole) || r.filter.WantsRelation(model.LeadOf) || r.filter.WantsRelation(model.HoldsPermission))
}

// users reads every user (enriched from the Admin API when configured),
// then the org's accounts Jira did not list, and closes usersDone.
func (r *run) users(ctx context.Context) error {
	if !r.needUsers() {
		close(r.usersDone)
		return nil
	}
	var admin *orgAccounts
	if r.opts.OrgAccess && r.filter.WantsEntity(model.User) {
		var err error
		if admin, err = r.readAdminUsers(ctx); err != nil {
			return err
		}
	}
	// seen holds the users/search ids the org does not have; admin marks
	// the ones it has as claimed.
	seen := newIDSet()
	listed := 0
	err := r.userPages(ctx, func(u jira.User) error {
		if u.AccountID == "" {
			return nil
		}
		var a adminUser
		inOrg, first := false, false
		if admin != nil {
			a, inOrg, first = admin.claim(u.AccountID)
		}
		if inOrg && !first || !inOrg && !seen.Add(u.AccountID) {
			return nil
		}
		listed++
		if !r.wantsUser(u.AccountType, u.Active) {
			r.excludeUser(u.AccountID)
			return nil
		}
		rec := model.UserRecord{
			AccountID: u.AccountID, AccountType: u.AccountType, DisplayName: u.DisplayName, Active: u.Active,
			Email: u.EmailAddress, TimeZone: u.TimeZone, Locale: u.Locale,
		}
		if inOrg {
			a.enrich(&rec)
		}
		return r.out.entity(ctx, model.NewUser(rec))
	})
	if err != nil {
		return err
	}
	r.log.Info("users read", "users", listed)
	if admin != nil {
		extra := 0
		err := admin.unclaimed(func(id string, a adminUser) error {
			if !r.wantsUser(a.accountType, a.status == "active") {
				r.excludeUser(id)
				return nil
			}
			rec := model.UserRecord{AccountID: id, AccountType: a.accountType, DisplayName: a.name, Active: a.status == "active"}
			a.enrich(&rec)
			extra++
			return r.out.entity(ctx, model.NewUser(rec))
		})
		if err != nil {
			return err
		}
		r.log.Info("org accounts not listed by Jira added", "users", extra)
	}
	close(r.usersDone)
	return nil
}

// userPage is one users/search answer.
type userPage struct {
	start, max int
	origin     int // startAt of the full-size page this read belongs to
	users      []jira.User
	err        error
}

// userPages reads users/search to the end and calls fn for every user, from
// this goroutine only.
//
// users/search has no total and may answer short pages before the end, so
// the end is the first EMPTY page. Full-size pages at startAt 0, 1000, 2000,
// ... are read ahead speculatively, up to userWindow at a time; the window
// starts at one page and grows by one per full page seen, so a small site
// costs no wasted reads. A short,
// non-empty page is followed by a read of the rest of its slot (startAt+len,
// maxResults = what is missing). While such a gap read is in flight and no
// later page has shown users, no new speculative page starts: the short page
// is probably the last, and reads past the end are wasted requests.
func (r *run) userPages(ctx context.Context, fn func(jira.User) error) error {
	window := r.userWindow()
	// users/search is read a few pages at a time to its end: a chain that
	// nothing else can shorten, so it goes ahead of other work.
	fctx, cancel := context.WithCancel(slots.Urgent(ctx))
	defer cancel()
	results := make(chan userPage, window) // inflight ≤ window, so sends never block
	inflight, next, end := 0, 0, math.MaxInt
	maxNonEmpty := -1           // greatest origin of a page that had users
	gapOrigins := map[int]int{} // gap reads in flight: start → origin
	dispatch := func(start, maxResults, origin int) {
		inflight++
		r.plan(1)
		go func() {
			us, err := call(fctx, r, func(ctx context.Context) ([]jira.User, error) {
				return r.src.UsersPage(ctx, start, maxResults)
			})
			results <- userPage{start: start, max: maxResults, origin: origin, users: us, err: err}
		}()
	}
	paused := func() bool {
		for _, origin := range gapOrigins {
			if origin >= maxNonEmpty {
				return true
			}
		}
		return false
	}
	full := 0 // full pages seen: the window opens one page per full page (slow start)
	topUp := func() {
		for inflight < min(window, 1+full) && next < end && !paused() {
			dispatch(next, jira.UsersPageSize, next)
			next += jira.UsersPageSize
		}
	}
	topUp()
	for inflight > 0 {
		var p userPage
		select {
		case p = <-results:
		case <-ctx.Done():
			return ctx.Err()
		}
		inflight--
		delete(gapOrigins, p.start)
		if p.err != nil {
			return fmt.Errorf("users/search startAt=%d: %w", p.start, p.err)
		}
		r.log.Debug("page", "endpoint", "users/search", "start_at", p.start, "max_results", p.max, "values", len(p.users))
		n := len(p.users)
		if n == 0 {
			end = min(end, p.start)
			topUp()
			continue
		}
		maxNonEmpty = max(maxNonEmpty, p.origin)
		if p.start+n >= p.origin+jira.UsersPageSize {
			full++ // the slot is complete, by one page or with gap reads
		}
		for _, u := range p.users {
			if err := fn(u); err != nil {
				return err
			}
		}
		if n < p.max && p.start+n < end {
			gapOrigins[p.start+n] = p.origin
			dispatch(p.start+n, p.max-n, p.origin)
		}
		topUp()
	}
	return nil
}
