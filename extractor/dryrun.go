package extractor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/pipeline"
)

// Plan is what a dry run found out: what a run of the job would fetch,
// endpoint by endpoint, and how many requests that takes. Nothing is
// written.
type Plan struct {
	Site      string `json:"site"`
	TokenKind string `json:"token_kind"`
	// Account is the authenticated account: "Display Name (accountId)".
	Account   string `json:"account"`
	OrgAccess bool   `json:"org_access"`
	// Counts holds the number of objects per kind where the dry run learned
	// it ("user", "group", "project", "project_role", "role", ...).
	Counts map[string]int64 `json:"counts"`
	// Steps are the endpoints a run reads, in the order of the run's phases.
	Steps []Step `json:"steps"`
	// PlannedRequests is the number of requests a run makes: the sum of the
	// steps. It is exact unless AtLeast is set (see the steps' notes), not
	// counting retries.
	PlannedRequests int64 `json:"planned_requests"`
	AtLeast         bool  `json:"at_least"`
	// EstimatedDuration is PlannedRequests at RequestsPerSecond.
	EstimatedDuration time.Duration `json:"-"`
	RequestsPerSecond float64       `json:"requests_per_second"`
	Destination       string        `json:"destination"`
	Format            string        `json:"format"`
	EntityKinds       []string      `json:"entity_kinds"`
	RelationKinds     []string      `json:"relation_kinds"`
	// Problems are the scopes the dry run could not read (a 403, ...): a run
	// would finish partially, or fail.
	Problems []Problem `json:"problems"`
	// Readable counts the scopes that could be read.
	Readable int `json:"-"`
	// Requests is how many requests the dry run itself made.
	Requests int64 `json:"dry_run_requests"`
	// SCIM is what the SCIM part of a run reads; nil without one.
	SCIM *SCIMPlan `json:"scim,omitempty"`
}

// Step is one endpoint a run reads.
type Step struct {
	// Kinds are the entity and relation kinds the endpoint feeds.
	Kinds    []string `json:"kinds"`
	Endpoint string   `json:"endpoint"`
	// Requests is how many requests a run makes to it; a lower bound when
	// AtLeast is set.
	Requests int64 `json:"requests"`
	AtLeast  bool  `json:"at_least"`
	// Items is how many objects it returns; -1 when the dry run does not
	// know.
	Items int64 `json:"items"`
	// Note says how Requests was counted when it is not exact.
	Note string `json:"note"`
}

// Problem is a scope the dry run could not read.
type Problem struct {
	Scope   string `json:"scope"`
	Message string `json:"message"`
}

// ExitCode is the dry run's exit code: 0 when every scope could be read,
// 3 when some could not (a run would be partial), 1 when none could.
func (p *Plan) ExitCode() int {
	switch {
	case len(p.Problems) == 0:
		return ExitComplete
	case p.Readable == 0:
		return ExitFailed
	}
	return ExitPartial
}

// DryRun reads what a run needs to know its cost, and writes nothing: the
// token kind, the number of users, the first page of group/bulk (the group
// count), every project/search page and, when the job wants project roles,
// each project's roledetails (the roles a run reads one by one), plus the
// one-request global endpoints (global roles, application roles,
// permission schemes) and the first page of each Admin API list.
//
// users/search has no total, so users are counted with maxResults=1 probes:
// startAt 1, 2, 4, 8, ... until a probe comes back empty, then a binary
// search between the last non-empty and the first empty offset, about
// 2×log2(users) requests in all.
//
// The planned requests equal those of a run on a site that does not change
// in between, with two exceptions the plan marks "at least": group/member
// takes one more page per 50 members beyond a group's first 50 (member
// counts are not listed anywhere cheaper than the members themselves), and
// users/search on a site of 1,000 users or more may read up to 3 pages past
// the end (pages are read ahead in parallel).
//
// With a SCIM directory (job.SCIM), the plan also holds what the SCIM
// part reads (see dryRunSCIM); a job without a Jira site plans only that.
//
// A scope that cannot be read becomes a Problem; only a failure to
// authenticate (or a cancelled ctx) is an error.
func DryRun(ctx context.Context, job Job, opts RunOptions) (*Plan, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var p *Plan
	if job.SCIM != nil && job.Jira.SiteName == "" {
		p = scimOnlyPlan(job)
	} else {
		var err error
		if p, err = dryRunJira(ctx, job, log); err != nil {
			return nil, err
		}
	}
	if job.SCIM != nil {
		if err := dryRunSCIM(ctx, job, p, log); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// dryRunJira is the dry run of the Jira site.
func dryRunJira(ctx context.Context, job Job, log *slog.Logger) (*Plan, error) {
	app := job.Filter
	jo := job.Jira
	jo.Logger, jo.Version = log, Version
	client, err := jira.New(jo)
	if err != nil {
		return nil, fmt.Errorf("dry run: %w", err)
	}
	id, err := client.Detect(ctx)
	if err != nil {
		return nil, fmt.Errorf("dry run: %w", err)
	}
	detect, _, _ := client.Counts()
	p := newPlan(job, jo.SiteName)
	p.TokenKind, p.OrgAccess = string(id.Kind), jo.HasOrgAccess()
	p.Account = fmt.Sprintf("%s (%s)", id.Myself.DisplayName, id.Myself.AccountID)
	p.RequestsPerSecond = jo.RequestsPerSecond
	if p.RequestsPerSecond <= 0 {
		p.RequestsPerSecond = jira.DefaultRequestsPerSecond
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
	p.add(Step{Kinds: []string{"(token kind)"}, Endpoint: "GET /rest/api/3/myself", Requests: detect, Items: -1,
		Note: map[bool]string{true: "with the tenant_info and gateway look-ups of a scoped token"}[detect > 1]})

	d := &dryRun{ctx: ctx, p: p, c: client, app: app, orgAccess: jo.HasOrgAccess()}
	for _, f := range []func() error{d.users, d.groups, d.projects, d.globals, d.org} {
		if err := f(); err != nil {
			return nil, err
		}
	}
	p.Requests, _, _ = client.Counts()
	p.EstimatedDuration = time.Duration(float64(p.PlannedRequests) / p.RequestsPerSecond * float64(time.Second))
	log.Info("dry run finished", "planned_requests", p.PlannedRequests, "at_least", p.AtLeast, "requests", p.Requests, "problems", len(p.Problems))
	return p, nil
}

// newPlan is the plan of job for site before anything is read: its
// destination and format (the default when the job names none), no
// counts and no problems yet.
func newPlan(job Job, site string) *Plan {
	p := &Plan{Site: site, Counts: map[string]int64{}, Destination: job.Output.Destination.String(),
		Format: job.Output.Format, Problems: []Problem{}}
	if p.Format == "" {
		p.Format = output.DefaultFormat
	}
	return p
}

// add appends a step and counts its requests.
func (p *Plan) add(s Step) {
	p.Steps = append(p.Steps, s)
	p.PlannedRequests += s.Requests
	p.AtLeast = p.AtLeast || s.AtLeast
}

// dryRun is the state of one dry run.
type dryRun struct {
	ctx       context.Context
	p         *Plan
	c         *jira.Client
	app       pipeline.Filter
	orgAccess bool
}

// read records the outcome of reading a scope: nil counts it readable; an
// error becomes a Problem, unless ctx is over (then it is returned).
func (d *dryRun) read(scope string, err error) (ok bool, fatal error) {
	if err == nil {
		d.p.Readable++
		return true, nil
	}
	if d.ctx.Err() != nil {
		return false, fmt.Errorf("dry run: %s: %w", scope, d.ctx.Err())
	}
	d.p.Problems = append(d.p.Problems, Problem{Scope: scope, Message: err.Error()})
	return false, nil
}

func (d *dryRun) users() error {
	a := d.app
	userFilter := len(a.AccountTypes) > 0 || !a.IncludeInactive()
	need := a.WantsEntity(model.User) ||
		userFilter && (a.WantsRelation(model.HasRole) || a.WantsRelation(model.LeadOf) || a.WantsRelation(model.HoldsPermission))
	if !need {
		return nil
	}
	n, err := countUsers(d.ctx, func(ctx context.Context, startAt int) (bool, error) {
		us, err := d.c.UsersPage(ctx, startAt, 1)
		return len(us) > 0, err
	})
	ok, fatal := d.read("users", err)
	if fatal != nil {
		return fatal
	}
	s := Step{Kinds: []string{string(model.User)}, Endpoint: "GET /rest/api/3/users/search", Items: -1}
	if ok {
		d.p.Counts[string(model.User)] = int64(n)
		s.Items = int64(n)
		// One page per 1,000 users, and the empty page that ends the list
		// (or the read of the rest of a short last page).
		s.Requests = int64(ceilDiv(n, jira.UsersPageSize) + 1)
		if n >= jira.UsersPageSize {
			s.AtLeast, s.Note = true, "up to 3 more: pages are read ahead in parallel and may pass the end"
		}
	} else {
		s.Requests, s.AtLeast, s.Note = 1, true, "users could not be counted"
	}
	d.p.add(s)
	return nil
}

func (d *dryRun) groups() error {
	if !d.app.WantsEntity(model.Group) {
		return nil
	}
	pg, err := d.c.GroupsPage(d.ctx, 0, jira.GroupsPageSize)
	ok, fatal := d.read("groups", err)
	if fatal != nil {
		return fatal
	}
	s := Step{Kinds: []string{string(model.Group)}, Endpoint: "GET /rest/api/3/group/bulk", Requests: 1, Items: -1}
	var g int64 = -1
	if ok {
		if n, known := pageTotal(pg.Total, len(pg.Values), pg.IsLast); known {
			g = n
			d.p.Counts[string(model.Group)] = n
			s.Items = n
			s.Requests = int64(max(1, ceilDiv(int(n), pageStep(pg.MaxResults, jira.GroupsPageSize))))
		}
	}
	if g < 0 {
		s.AtLeast, s.Note = true, "group/bulk gave no total"
	}
	d.p.add(s)
	if d.app.WantsRelation(model.MemberOf) {
		m := Step{Kinds: []string{string(model.MemberOf)}, Endpoint: "GET /rest/api/3/group/member", Requests: max(g, 0), Items: -1}
		switch {
		case g < 0:
			m.AtLeast, m.Note = true, "one page per group; the group count is unknown"
		case g > 0:
			m.AtLeast, m.Note = true, "one page per group, and one more per 50 members beyond a group's first 50"
		}
		d.p.add(m)
	}
	return nil
}

func (d *dryRun) projects() error {
	a := d.app
	roles := a.WantsEntity(model.ProjectRole) || a.WantsRelation(model.HasRole) || a.WantsRelation(model.RoleIn) || a.WantsRelation(model.InstanceOf)
	actors := a.WantsRelation(model.HasRole)
	scheme := a.WantsRelation(model.UsesScheme)
	if !a.WantsEntity(model.Project) && !a.WantsRelation(model.LeadOf) && !roles && !scheme {
		return nil
	}
	keys := map[string]bool{}
	for _, k := range a.ProjectKeys {
		keys[k] = true
	}
	// Every project/search page, as a run reads them.
	var ids []string
	seen := map[string]bool{}
	pages, step, total := 0, jira.ProjectsPageSize, -1
	var err error
	for start := 0; ; {
		var pg jira.Page[jira.Project]
		pg, err = d.c.ProjectsPage(d.ctx, start, jira.ProjectsPageSize)
		if jira.IsNotFound(err) && start == 0 {
			err = nil // 404: no project matches
			pages = 1
			total = 0
			break
		}
		if err != nil {
			break
		}
		pages++
		if start == 0 {
			step = pageStep(pg.MaxResults, jira.ProjectsPageSize)
			if pg.Total != nil {
				total = *pg.Total
			}
		}
		for _, pr := range pg.Values {
			if pr.ID == "" || seen[pr.ID] || len(keys) > 0 && !keys[pr.Key] {
				continue
			}
			seen[pr.ID] = true
			ids = append(ids, pr.ID)
		}
		start += len(pg.Values)
		if len(pg.Values) == 0 || pg.IsLast || total >= 0 && start >= total {
			break
		}
	}
	ok, fatal := d.read("projects", err)
	if fatal != nil {
		return fatal
	}
	s := Step{Kinds: []string{string(model.Project), string(model.LeadOf)}, Endpoint: "GET /rest/api/3/project/search", Requests: int64(pages), Items: -1}
	if !ok {
		s.Requests, s.AtLeast, s.Note = 1, true, "projects could not be listed"
		d.p.add(s)
		return nil
	}
	if total >= 0 {
		s.Requests = int64(max(1, ceilDiv(total, step)))
	}
	s.Items = int64(len(ids))
	d.p.Counts[string(model.Project)] = int64(len(ids))
	d.p.add(s)

	if roles {
		var nroles int64
		readable := 0
		for _, id := range ids {
			details, err := d.c.ProjectRoleDetails(d.ctx, id)
			ok, fatal := d.read("project "+id+" roles", err)
			if fatal != nil {
				return fatal
			}
			if ok {
				readable++
				nroles += int64(len(details))
			}
		}
		d.p.Counts[string(model.ProjectRole)] = nroles
		d.p.add(Step{Kinds: []string{string(model.ProjectRole), string(model.RoleIn), string(model.InstanceOf)},
			Endpoint: "GET /rest/api/3/project/{id}/roledetails", Requests: int64(len(ids)), Items: nroles})
		if actors {
			d.p.add(Step{Kinds: []string{string(model.HasRole)}, Endpoint: "GET /rest/api/3/project/{id}/role/{roleId}", Requests: nroles, Items: -1,
				Note: map[bool]string{true: "none for the projects whose roles could not be read"}[readable < len(ids)]})
		}
	}
	if scheme {
		d.p.add(Step{Kinds: []string{string(model.UsesScheme)}, Endpoint: "GET /rest/api/3/project/{id}/permissionscheme", Requests: int64(len(ids)), Items: -1})
	}
	return nil
}

// globals reads the one-request endpoints a run reads: their item counts
// and whether they are readable at all.
func (d *dryRun) globals() error {
	if d.app.WantsEntity(model.Role) {
		roles, err := d.c.GlobalRoles(d.ctx)
		if err := d.one("global roles", err, len(roles), Step{Kinds: []string{string(model.Role)}, Endpoint: "GET /rest/api/3/role"}); err != nil {
			return err
		}
	}
	if d.app.WantsEntity(model.ApplicationRole) {
		roles, err := d.c.ApplicationRoles(d.ctx)
		if err := d.one("application roles", err, len(roles), Step{Kinds: []string{string(model.ApplicationRole), string(model.ProductAccess)}, Endpoint: "GET /rest/api/3/applicationrole"}); err != nil {
			return err
		}
	}
	if d.app.WantsEntity(model.PermissionScheme) {
		schemes, err := d.c.PermissionSchemes(d.ctx)
		if err := d.one("permission schemes", err, len(schemes), Step{Kinds: []string{string(model.PermissionScheme), string(model.HoldsPermission)}, Endpoint: "GET /rest/api/3/permissionscheme"}); err != nil {
			return err
		}
	}
	return nil
}

// one adds the step of a one-request endpoint read with err, n items.
func (d *dryRun) one(scope string, err error, n int, s Step) error {
	ok, fatal := d.read(scope, err)
	if fatal != nil {
		return fatal
	}
	s.Requests, s.Items = 1, -1
	if ok {
		s.Items = int64(n)
		d.p.Counts[s.Kinds[0]] = int64(n)
	}
	d.p.add(s)
	return nil
}

// org reads the first page of each Admin API list a run reads.
func (d *dryRun) org() error {
	if !d.orgAccess {
		return nil
	}
	if d.app.WantsEntity(model.User) {
		us, next, err := d.c.OrgUsersPage(d.ctx, "")
		step := Step{Kinds: []string{"user (org)"}, Endpoint: jira.OrgUsersV1Endpoint}
		if jira.IsGone(err) {
			us, next, err = d.orgUsersV2(err, &step)
		}
		if err := d.cursor("org users", err, len(us), next, step); err != nil {
			return err
		}
	}
	if d.app.WantsEntity(model.Group) {
		gs, next, err := d.c.OrgGroupsPage(d.ctx, "")
		if err := d.cursor("org groups", err, len(gs), next, Step{Kinds: []string{"group (org)"}, Endpoint: "GET /admin/v2/orgs/{orgId}/directories/-/groups"}); err != nil {
			return err
		}
	}
	return nil
}

// orgUsersV2 reads the first page of the Admin API v2 users listing when
// v1 answered v1Err (404, 410), as a run does, and says what is lost.
func (d *dryRun) orgUsersV2(v1Err error, s *Step) ([]jira.OrgUser, string, error) {
	d.p.Problems = append(d.p.Problems, Problem{Scope: "org users", Message: fmt.Sprintf(
		"%s is not available (%v): a run reads %s instead; last active dates and product access are not extracted",
		jira.OrgUsersV1Endpoint, v1Err, jira.OrgUsersV2Endpoint)})
	s.Endpoint = jira.OrgUsersV2Endpoint
	return d.c.OrgUsersV2Page(d.ctx, "")
}

// cursor adds the step of a cursor-paged Admin API list whose first page
// held n items and the next cursor next.
func (d *dryRun) cursor(scope string, err error, n int, next string, s Step) error {
	ok, fatal := d.read(scope, err)
	if fatal != nil {
		return fatal
	}
	s.Requests, s.Items = 1, -1
	switch {
	case !ok:
		s.AtLeast, s.Note = true, "could not be read"
	case next != "":
		s.AtLeast, s.Note = true, "pages follow a cursor: the number of pages is known only by reading them"
	default:
		s.Items = int64(n)
	}
	d.p.add(s)
	return nil
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

// pageStep is the page size the server uses: what it answered as
// maxResults when it clamped the size asked.
func pageStep(answered, asked int) int {
	if answered > 0 && answered < asked {
		return answered
	}
	return asked
}

func ceilDiv(n, d int) int { return (n + d - 1) / d }

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

// Print writes the plan for a person to read: the site and token, then a
// table of every endpoint a run reads (kinds, endpoint, requests, items),
// the total, and the scopes that could not be read.
func (p *Plan) Print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	line("site", p.Site)
	if p.TokenKind != "" { // a Jira site
		line("token", p.TokenKind)
		line("account", p.Account)
		line("org access", map[bool]string{true: "yes (Admin API enrichment)", false: "no"}[p.OrgAccess])
	}
	p.SCIM.lines(line)
	line("destination", p.Destination)
	line("format", p.Format)
	line("entity kinds", strings.Join(p.EntityKinds, ", "))
	line("relation kinds", strings.Join(p.RelationKinds, ", "))
	if err := tw.Flush(); err != nil {
		return err
	}

	type row struct{ kinds, endpoint, req, items string }
	rows := []row{{"KINDS", "ENDPOINT", "REQUESTS", "ITEMS"}}
	var notes []string
	for _, s := range p.Steps {
		req := strconv.FormatInt(s.Requests, 10)
		if s.AtLeast {
			req = "≥" + req
		}
		items := "-"
		if s.Items >= 0 {
			items = strconv.FormatInt(s.Items, 10)
		}
		rows = append(rows, row{strings.Join(s.Kinds, ", "), s.Endpoint, req, items})
		if s.Note != "" {
			notes = append(notes, fmt.Sprintf("%s: %s", s.Endpoint, s.Note))
		}
	}
	total := strconv.FormatInt(p.PlannedRequests, 10)
	if p.AtLeast {
		total = "≥" + total
	}
	rows = append(rows, row{"total", "", total, ""})
	var kw, ew, rw, iw int
	for _, r := range rows {
		kw, ew = max(kw, utf8.RuneCountInString(r.kinds)), max(ew, len(r.endpoint))
		rw, iw = max(rw, utf8.RuneCountInString(r.req)), max(iw, len(r.items))
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		l := pad(r.kinds, kw, false) + "  " + pad(r.endpoint, ew, false) + "  " + pad(r.req, rw, true) + "  " + pad(r.items, iw, true)
		fmt.Fprintln(w, strings.TrimRight(l, " "))
	}
	for _, n := range notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	fmt.Fprintln(w)
	about := "exactly"
	if p.AtLeast {
		about = "at least"
	}
	fmt.Fprintf(w, "A run makes %s %d requests (retries not counted), about %s at %g requests/s.\n",
		about, p.PlannedRequests, p.EstimatedDuration.Round(time.Second), p.RequestsPerSecond)
	fmt.Fprintf(w, "This dry run made %d requests.\n", p.Requests)
	if len(p.Problems) > 0 {
		fmt.Fprintf(w, "\n%d scope(s) could not be read (a run would be partial or fail):\n", len(p.Problems))
		for _, pr := range p.Problems {
			fmt.Fprintf(w, "  %s: %s\n", pr.Scope, pr.Message)
		}
	}
	return nil
}

// WriteJSON writes the plan as one JSON document.
func (p *Plan) WriteJSON(w io.Writer) error {
	type out struct {
		*Plan
		EstimatedSeconds float64 `json:"estimated_seconds"`
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out{Plan: p, EstimatedSeconds: p.EstimatedDuration.Seconds()})
}

// pad pads s with spaces to width columns, on the left when right is set.
func pad(s string, width int, right bool) string {
	fill := strings.Repeat(" ", max(0, width-utf8.RuneCountInString(s)))
	if right {
		return fill + s
	}
	return s + fill
}
