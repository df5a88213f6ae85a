// Package pipeline is the extractor's concurrent fetch-and-map engine: it
// walks every Jira (and Admin API) endpoint a job needs, fans out over pages,
// groups and projects under one bound on in-flight requests, turns what it
// reads into model rows with the model constructors, and streams them to a
// sink in batches so memory stays flat however large the site is.
//
// Scopes that cannot be read (a 403 or 404 on one project's roles or
// permission scheme, a group deleted mid-run, a project/search page that
// keeps answering 404) become warnings; any other error stops the run.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/progress"
	"github.com/govextract/jira-extractor/internal/slots"
)

// FanOut is how many requests per in-flight slot the pipeline keeps
// pending when the Source bounds its own requests on the wire: a request
// waiting out a backoff or a Retry-After (a second or more under 429s,
// against tens of milliseconds on the wire) holds no slot, so there must
// be other requests ready to take it.
const FanOut = 8

// DefaultBatchRows is how many rows go to the sink in one call.
const DefaultBatchRows = 1000

// Source is the part of the Jira client the pipeline reads through. The real
// *jira.Client implements it; tests use in-memory fakes. Implementations are
// safe for concurrent use and do their own rate limiting and retrying.
type Source interface {
	UsersPage(ctx context.Context, startAt, maxResults int) ([]jira.User, error)
	GroupsPage(ctx context.Context, startAt, maxResults int) (jira.Page[jira.Group], error)
	GroupMembersPage(ctx context.Context, groupID string, includeInactive bool, startAt, maxResults int) (jira.Page[jira.User], error)
	ProjectsPage(ctx context.Context, startAt, maxResults int) (jira.Page[jira.Project], error)
	// ProjectsProbe is a second opinion on a 404 from ProjectsPage: how
	// many projects a plainer project/search (no status filter) sees.
	ProjectsProbe(ctx context.Context) (int, error)
	ProjectRoleDetails(ctx context.Context, projectID string) ([]jira.RoleDetail, error)
	ProjectRole(ctx context.Context, projectID string, roleID int64) (jira.ProjectRole, error)
	GlobalRoles(ctx context.Context) ([]jira.ProjectRole, error)
	ApplicationRoles(ctx context.Context) ([]jira.ApplicationRole, error)
	PermissionSchemes(ctx context.Context) ([]jira.PermissionScheme, error)
	ProjectPermissionScheme(ctx context.Context, projectID string) (jira.PermissionScheme, error)
	OrgUsersPage(ctx context.Context, cursor string) ([]jira.OrgUser, string, error)
	// OrgUsersV2Page reads the org's accounts from the Admin API v2, when
	// the v1 listing is gone (404 or 410; see Options.IsGone).
	OrgUsersV2Page(ctx context.Context, cursor string) ([]jira.OrgUser, string, error)
	OrgGroupsPage(ctx context.Context, cursor string) ([]jira.OrgGroup, string, error)
}

// Sink receives the rows; extractor.Sink satisfies it. It must be safe for
// concurrent use and must not keep a reference it does not own: the
// pipeline hands over each batch and never touches it again.
type Sink interface {
	WriteEntities(ctx context.Context, kind model.SourceType, batch []model.Entity) error
	WriteRelations(ctx context.Context, kind model.RelationKind, batch []model.Relation) error
}

// Options configure one pipeline run.
type Options struct {
	// Filter says which rows the run keeps.
	Filter Filter
	// Concurrency is the number of requests in flight (0:
	// jira.DefaultConcurrency).
	Concurrency int
	// OrgAccess says the Source can read the Admin API (org users and
	// groups).
	OrgAccess bool
	// Source is where data is read from.
	Source Source
	// Sink is where rows go.
	Sink Sink
	// Tracker, if set, counts rows and planned requests.
	Tracker *progress.Tracker
	// Logger receives phase logs at info and page logs at debug; nil discards.
	Logger *slog.Logger
	// IsNotFound and IsForbidden classify a Source error as a 404 or a 403:
	// on one project's roles or scheme, or one group's members, such an error
	// makes that scope a warning rather than a failure. Nil means never.
	IsNotFound  func(error) bool
	IsForbidden func(error) bool
	// IsGone classifies a Source error as a 404 or 410 of a retired
	// endpoint: the Admin API v1 users listing then degrades to v2 with a
	// warning. Nil means IsNotFound.
	IsGone func(error) bool
	// OnWarning, if set, is called for each warning as it arises (from any
	// goroutine, one at a time).
	OnWarning func(manifest.Warning)
	// BatchRows is the number of rows per sink call (default 1000).
	BatchRows int
	// Reuse, if set, names the scopes an incremental run does not read
	// because their rows are carried forward from an earlier run.
	Reuse Reuse
}

// Reuse says which scopes are carried forward instead of read. It is asked
// once per group and project the listings return; it must be safe for
// concurrent use.
type Reuse interface {
	// ReuseGroupMembers reports whether g's members are carried forward.
	ReuseGroupMembers(g jira.Group) bool
	// ReuseProject reports whether p's roles, actors and permission
	// scheme are carried forward.
	ReuseProject(p jira.Project) bool
}

// Result is what a finished pipeline reports.
type Result struct {
	// Warnings are the scopes that could not be read, sorted by scope.
	Warnings []manifest.Warning
}

// Run extracts everything opts.Filter asks for. It returns the warnings of a
// run that finished (possibly partially); an error means the run failed or
// ctx was cancelled, and the sink should be aborted.
func Run(ctx context.Context, opts Options) (Result, error) {
	if opts.Source == nil || opts.Sink == nil {
		return Result{}, errors.New("pipeline: Source and Sink are required")
	}
	r := newRun(opts)
	err := r.run(ctx)
	res := Result{Warnings: r.warnings()}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		return res, err
	}
	return res, nil
}

// run is the state of one pipeline run.
type run struct {
	opts   Options
	filter Filter
	src    Source
	log    *slog.Logger
	conc   int           // fan-out width: requests pending at once per phase
	wire   int           // requests on the wire at once (appConfig.concurrency)
	sem    chan struct{} // one slot per in-flight request; nil when the Source bounds them
	out    *emitter
	track  *progress.Tracker

	warnMu sync.Mutex
	warns  []manifest.Warning

	// users: filter state shared with the relation producers.
	userFilter bool          // accountTypes or includeInactiveUsers=false is set
	usersDone  chan struct{} // closed when the excluded set is complete
	excludedMu sync.RWMutex
	excluded   map[string]struct{} // accountIds filtered out

	// groups: Jira group ids, for telling org groups apart.
	groupsDone chan struct{}
	groupMu    sync.Mutex
	groupIDs   map[string]struct{}

	projectKeys map[string]struct{}
}

func newRun(opts Options) *run {
	conc := opts.Concurrency
	if conc <= 0 {
		conc = jira.DefaultConcurrency
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	batch := opts.BatchRows
	if batch <= 0 {
		batch = DefaultBatchRows
	}
	r := &run{
		opts:       opts,
		filter:     opts.Filter,
		src:        opts.Source,
		log:        log,
		conc:       conc,
		wire:       conc,
		sem:        make(chan struct{}, conc),
		track:      opts.Tracker,
		userFilter: len(opts.Filter.AccountTypes) > 0 || opts.Filter.ExcludeInactive,
		usersDone:  make(chan struct{}),
		excluded:   map[string]struct{}{},
		groupsDone: make(chan struct{}),
		groupIDs:   map[string]struct{}{},
	}
	if b, ok := opts.Source.(inFlightBounded); ok && b.InFlightLimit() > 0 {
		// The Source holds a slot only while a request is on the wire, not
		// while it waits to retry: a second bound here would hold slots
		// across backoffs and starve the run under heavy faults. Instead
		// the fan-out widens, so requests are ready while others wait.
		r.sem = nil
		r.conc = conc * FanOut
	}
	r.out = newEmitter(opts.Sink, opts.Filter, opts.Tracker, batch)
	if len(opts.Filter.ProjectKeys) > 0 {
		r.projectKeys = map[string]struct{}{}
		for _, k := range opts.Filter.ProjectKeys {
			r.projectKeys[k] = struct{}{}
		}
	}
	return r
}

// run starts every phase and waits for all of them.
func (r *run) run(ctx context.Context) error {
	// The last flush runs on the caller's ctx: the group's context is
	// cancelled as soon as Wait returns.
	if err := r.fetchAll(ctx); err != nil {
		return err
	}
	return r.out.flush(ctx)
}

// fetchAll runs every phase concurrently and waits for all of them.
//
// Every phase's requests share one slots rank, the oldest of the run: the
// listings and the first request of every item (a group's first page, a
// project's roles and scheme) are served in the order they ask, ahead of
// the rest of each item, which ranks as work begun when its first answer
// came (pageBeans, projectRoles). Under a backlog every item thus gets its
// first answer early, and when the backlog is gone no item is left at its
// first step with its remaining steps still to come: they would be the
// run's tail, each step with its own retries. Lists read page after page
// (users/search, lists without a total) go ahead of everything (Urgent):
// nothing else can shorten them.
func (r *run) fetchAll(ctx context.Context) error {
	g, ctx := errgroup.WithContext(slots.Begin(ctx))
	r.log.Info("extraction started", "concurrency", r.wire, "fan_out", r.conc, "org_access", r.opts.OrgAccess,
		"entity_kinds", r.filter.EntityKinds, "relation_kinds", r.filter.RelationKinds, "project_keys", len(r.filter.ProjectKeys))
	g.Go(func() error { return r.phase(ctx, "users", r.users) })
	g.Go(func() error { return r.phase(ctx, "groups", r.groups) })
	g.Go(func() error { return r.phase(ctx, "org groups", r.orgGroups) })
	g.Go(func() error { return r.phase(ctx, "projects", r.projects) })
	g.Go(func() error { return r.phase(ctx, "global roles", r.globalRoles) })
	g.Go(func() error { return r.phase(ctx, "application roles", r.applicationRoles) })
	g.Go(func() error { return r.phase(ctx, "permission schemes", r.permissionSchemes) })
	return g.Wait()
}

func (r *run) phase(ctx context.Context, name string, f func(context.Context) error) error {
	r.log.Debug("phase started", "phase", name)
	ctx, end := r.track.StartPhase(ctx, name)
	defer end()
	if err := f(ctx); err != nil {
		return err
	}
	r.log.Info("phase finished", "phase", name)
	return nil
}

// inFlightBounded is a Source that bounds its own requests on the wire
// (*jira.Client does).
type inFlightBounded interface{ InFlightLimit() int }

// call runs one request under the in-flight bound. It is the only place a
// request slot is held, and it never waits on anything else while holding it.
// When the Source bounds its own requests (r.sem is nil) call adds none.
func call[T any](ctx context.Context, r *run, f func(context.Context) (T, error)) (T, error) {
	var zero T
	if r.sem == nil {
		if err := ctx.Err(); err != nil {
			return zero, err
		}
		return f(ctx)
	}
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	defer func() { <-r.sem }()
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	r.track.Issue(ctx)
	return f(ctx)
}

// scopeErr reports whether err only makes one scope unreadable: a 404, a
// 403 or a scoped token's missing scope (see missingScope).
func (r *run) scopeErr(err error) bool {
	return r.notFound(err) || (err != nil && r.opts.IsForbidden != nil && r.opts.IsForbidden(err)) || missingScope(err)
}

// notFound reports whether err is a 404.
func (r *run) notFound(err error) bool {
	return err != nil && r.opts.IsNotFound != nil && r.opts.IsNotFound(err)
}

// warn records a scope that could not be read.
func (r *run) warn(scope string, err error) {
	w := manifest.Warning{Scope: scope, Message: err.Error()}
	r.log.Warn("scope not readable", "scope", scope, "error", err.Error())
	r.warnMu.Lock()
	defer r.warnMu.Unlock()
	r.warns = append(r.warns, w)
	if r.opts.OnWarning != nil {
		r.opts.OnWarning(w)
	}
}

func (r *run) warnings() []manifest.Warning {
	r.warnMu.Lock()
	defer r.warnMu.Unlock()
	out := append([]manifest.Warning(nil), r.warns...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Scope != out[j].Scope {
			return out[i].Scope < out[j].Scope
		}
		return out[i].Message < out[j].Message
	})
	return out
}

// plan adds n expected requests to the progress plan.
func (r *run) plan(n int) {
	if r.track != nil && n > 0 {
		r.track.Plan(n)
	}
}

// wait blocks until ch is closed or ctx ends.
func wait(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// excludeUser remembers an accountId whose relations are filtered out.
func (r *run) excludeUser(id string) {
	r.excludedMu.Lock()
	r.excluded[id] = struct{}{}
	r.excludedMu.Unlock()
}

// userKept reports whether relations from accountId are extracted. Callers
// that need a complete answer wait on usersDone first.
func (r *run) userKept(id string) bool {
	if !r.userFilter {
		return true
	}
	r.excludedMu.RLock()
	defer r.excludedMu.RUnlock()
	_, ex := r.excluded[id]
	return !ex
}

// wantsUser applies the accountTypes and includeInactiveUsers filters.
func (r *run) wantsUser(accountType string, active bool) bool {
	if !active && r.filter.ExcludeInactive {
		return false
	}
	return r.filter.WantsAccountType(accountType)
}

// wantsProject applies the projectKeys filter.
func (r *run) wantsProject(key string) bool {
	if r.projectKeys == nil {
		return true
	}
	_, ok := r.projectKeys[key]
	return ok
}
