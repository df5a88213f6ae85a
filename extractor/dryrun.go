package extractor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/model"
)

// Plan is what a dry run found out: what a run of the job would fetch and
// roughly what it would cost. Nothing is written.
type Plan struct {
	Site      string
	TokenKind string
	// Account is the authenticated account: "Display Name (accountId)".
	Account   string
	OrgAccess bool
	// Counts holds the number of objects per kind where the dry run learned
	// it ("user", "group", "project", "role"); absent means unknown.
	Counts map[string]int64
	// EstimatedRequests is a lower bound on the requests of a full run:
	// 1 (myself) + ceil(U/1000)+1 + ceil(G/50) + G + ceil(P/100) + P×(2+R) + 3,
	// with R the number of global roles (each project normally has each).
	EstimatedRequests int64
	// EstimatedDuration is EstimatedRequests at RequestsPerSecond.
	EstimatedDuration time.Duration
	RequestsPerSecond float64
	Destination       string
	Format            string
	EntityKinds       []string
	RelationKinds     []string
	// Notes are things the dry run could not read (a 403, ...).
	Notes []string
	// Requests is how many requests the dry run itself made.
	Requests int64
}

// DryRun reads just enough to plan a run: the token kind, the first page of
// group/bulk and project/search (their totals), the number of users, and
// the global roles. It writes nothing.
//
// users/search has no total, so users are counted with maxResults=1 probes:
// startAt 1, 2, 4, 8, ... until a probe comes back empty, then a binary
// search between the last non-empty and the first empty offset, about
// 2×log2(users) requests in all.
func DryRun(ctx context.Context, job *config.Job, opts RunOptions) (*Plan, error) {
	if job == nil {
		return nil, errors.New("dry run: no job")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	app := job.AppConfig
	client, err := jira.New(jira.Options{App: app, Logger: log, Version: Version})
	if err != nil {
		return nil, fmt.Errorf("dry run: %w", err)
	}
	id, err := client.Detect(ctx)
	if err != nil {
		return nil, fmt.Errorf("dry run: %w", err)
	}
	p := &Plan{
		Site: app.Site(), TokenKind: string(id.Kind), OrgAccess: app.HasOrgAccess(),
		Account:           fmt.Sprintf("%s (%s)", id.Myself.DisplayName, id.Myself.AccountID),
		Counts:            map[string]int64{},
		RequestsPerSecond: app.RequestsPerSecond,
		Destination:       job.Output.Destination,
		Format:            job.Output.Format,
	}
	if p.RequestsPerSecond <= 0 {
		p.RequestsPerSecond = config.DefaultRequestsPerSecond
	}
	if p.Format == "" {
		p.Format = config.DefaultFormat
	}
	if p.Destination == "" {
		p.Destination = config.DefaultDestination
	}
	for _, k := range model.SourceTypes {
		if app.WantsEntity(k) {
			p.EntityKinds = append(p.EntityKinds, string(k))
		}
	}
	for _, k := range model.RelationKinds {
		if app.WantsRelation(k) {
			p.RelationKinds = append(p.RelationKinds, string(k))
		}
	}
	log.Info("dry run started", "site", p.Site, "token_kind", p.TokenKind)

	// note turns a 403/404 into a note; other errors fail the dry run.
	note := func(what string, err error) error {
		if jira.IsForbidden(err) || jira.IsNotFound(err) {
			p.Notes = append(p.Notes, what+": "+err.Error())
			return nil
		}
		return fmt.Errorf("dry run: %s: %w", what, err)
	}
	if app.WantsEntity(model.User) {
		n, err := countUsers(ctx, func(ctx context.Context, startAt int) (bool, error) {
			us, err := client.UsersPage(ctx, startAt, 1)
			return len(us) > 0, err
		})
		if err != nil {
			if err := note("users/search", err); err != nil {
				return nil, err
			}
		} else {
			p.Counts[string(model.User)] = int64(n)
		}
	}
	if app.WantsEntity(model.Group) {
		pg, err := client.GroupsPage(ctx, 0, jira.GroupsPageSize)
		if err != nil {
			if err := note("group/bulk", err); err != nil {
				return nil, err
			}
		} else if n, ok := pageTotal(pg.Total, len(pg.Values), pg.IsLast); ok {
			p.Counts[string(model.Group)] = n
		}
	}
	if wantsProjects(app) {
		pg, err := client.ProjectsPage(ctx, 0, jira.ProjectsPageSize)
		switch {
		case jira.IsNotFound(err):
			p.Counts[string(model.Project)] = 0
		case err != nil:
			if err := note("project/search", err); err != nil {
				return nil, err
			}
		default:
			if n, ok := pageTotal(pg.Total, len(pg.Values), pg.IsLast); ok {
				if len(app.ProjectKeys) > 0 {
					n = min(n, int64(len(app.ProjectKeys)))
				}
				p.Counts[string(model.Project)] = n
			}
		}
	}
	roles, err := client.GlobalRoles(ctx)
	if err != nil {
		if err := note("role", err); err != nil {
			return nil, err
		}
	} else {
		p.Counts[string(model.Role)] = int64(len(roles))
	}
	p.Requests, _, _ = client.Counts()
	p.EstimatedRequests = estimateRequests(app, p.Counts)
	p.EstimatedDuration = time.Duration(float64(p.EstimatedRequests) / p.RequestsPerSecond * float64(time.Second))
	log.Info("dry run finished", "estimated_requests", p.EstimatedRequests, "requests", p.Requests)
	return p, nil
}

func wantsProjects(a config.AppConfig) bool {
	return a.WantsEntity(model.Project) || a.WantsEntity(model.ProjectRole) || a.WantsRelation(model.LeadOf) || a.WantsRelation(model.UsesScheme) ||
		a.WantsRelation(model.HasRole) || a.WantsRelation(model.RoleIn) || a.WantsRelation(model.InstanceOf)
}

// pageTotal is a PageBean's total, or the first page's length when it is
// also the last page.
func pageTotal(total *int, n int, isLast bool) (int64, bool) {
	switch {
	case total != nil:
		return int64(*total), true
	case isLast || n == 0:
		return int64(n), true
	}
	return 0, false
}

// countUsers finds the number of users: the smallest startAt whose
// one-user page is empty, by exponential then binary search.
func countUsers(ctx context.Context, nonEmpty func(ctx context.Context, startAt int) (bool, error)) (int, error) {
	ok, err := nonEmpty(ctx, 0)
	if err != nil || !ok {
		return 0, err
	}
	lo, hi := 0, 1 // lo is known non-empty; hi is probed next
	for {
		ok, err := nonEmpty(ctx, hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := nonEmpty(ctx, mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi, nil
}

// estimateRequests is the simulator's floor formula for the parts the job
// wants, with unknown counts taken as zero.
func estimateRequests(a config.AppConfig, counts map[string]int64) int64 {
	ceil := func(n, d int64) int64 { return int64(math.Ceil(float64(n) / float64(d))) }
	u, g, pr, r := counts[string(model.User)], counts[string(model.Group)], counts[string(model.Project)], counts[string(model.Role)]
	total := int64(1) // myself
	if a.WantsEntity(model.User) {
		total += ceil(u, jira.UsersPageSize) + 1
	}
	if a.WantsEntity(model.Group) {
		total += max(1, ceil(g, jira.GroupsPageSize))
		if a.WantsRelation(model.MemberOf) {
			total += g
		}
	}
	if wantsProjects(a) {
		total += max(1, ceil(pr, jira.ProjectsPageSize)) + pr*(2+r)
	}
	for _, k := range []model.SourceType{model.Role, model.ApplicationRole, model.PermissionScheme} {
		if a.WantsEntity(k) {
			total++
		}
	}
	if a.HasOrgAccess() {
		total += 2 // at least one page each of org users and org groups
	}
	return total
}

// Print writes the plan for a person to read.
func (p *Plan) Print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	line("site", p.Site)
	line("token", p.TokenKind)
	line("account", p.Account)
	line("org access", map[bool]string{true: "yes (Admin API enrichment)", false: "no"}[p.OrgAccess])
	for _, k := range model.SourceTypes {
		if n, ok := p.Counts[string(k)]; ok {
			line(string(k)+"s", fmt.Sprint(n))
		}
	}
	line("entity kinds", strings.Join(p.EntityKinds, ", "))
	line("relation kinds", strings.Join(p.RelationKinds, ", "))
	line("requests (at least)", fmt.Sprint(p.EstimatedRequests))
	line("duration (at least)", fmt.Sprintf("%s at %g requests/s", p.EstimatedDuration.Round(time.Second), p.RequestsPerSecond))
	line("destination", p.Destination)
	line("format", p.Format)
	line("dry-run requests", fmt.Sprint(p.Requests))
	for _, n := range p.Notes {
		line("note", n)
	}
	return tw.Flush()
}
