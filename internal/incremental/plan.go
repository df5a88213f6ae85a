package incremental

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/output/store"
	"github.com/govextract/jira-extractor/internal/pipeline"
)

// Source is what Prepare reads from the site besides the pipeline: the
// audit log, the global roles and the Admin API groups. *jira.Client
// implements it.
type Source interface {
	AuditRecords(ctx context.Context, from, to time.Time, offset, limit int) (jira.AuditPage, error)
	GlobalRoles(ctx context.Context) ([]jira.ProjectRole, error)
	OrgGroupsPage(ctx context.Context, cursor string) ([]jira.OrgGroup, string, error)
}

// Request is what Prepare needs to know of the run.
type Request struct {
	Config Config
	// Site is the run's site; Dest its destination; S3 the S3 options of
	// the base run's bucket.
	Site string
	Dest location.Location
	S3   *store.S3Options
	// Filter is the job's filter; OrgAccess says the Admin API can be read.
	Filter    pipeline.Filter
	OrgAccess bool
	// Start is when the run started.
	Start  time.Time
	Source Source
	// IsForbidden classifies a Source error as a 403.
	IsForbidden func(error) bool
	Logger      *slog.Logger
}

// Plan is what a --since run does: a full read (with its reason) or an
// incremental one, and the base run either builds on or compares with.
type Plan struct {
	// Mode is manifest.ModeFull or manifest.ModeIncremental.
	Mode string
	// Reason says why (always set).
	Reason string
	// Base is the base run; nil when none could be opened or it is of
	// another site or scope (no change set then).
	Base *output.RunReader
	// BaseRun names the base run (its location), or the --since location
	// when it could not be opened; it is empty when --since auto found no
	// base run.
	BaseRun string
	// RunsSinceFull is the new run's count of incremental runs since the
	// last full read.
	RunsSinceFull int
	// Notes are what an incremental run cannot see (manifest notes).
	Notes []manifest.Warning

	// What to re-read.
	allProjects     bool
	changedGroups   map[string]bool // ids and names
	changedProjects map[string]bool // ids and keys
	baseGroups      map[string]bool
	baseProjects    map[string]string // id → key
	baseCounts      counter           // member_of rows per group in the base run
	// removed holds the audited member removals (group id → account ids)
	// of groups named by no other record (removals.go); removedInBase
	// counts those that were members in the base run, per group.
	removed       map[string]map[string]bool
	removedInBase counter

	// answers are what the pipeline would read again (Source).
	answers answers

	mu             sync.Mutex
	reusedGroups   map[string]bool
	reusedProjects map[string]bool
	reread         struct{ groups, projects, lessRemoved int }
}

// Incremental reports whether the run reads incrementally.
func (p *Plan) Incremental() bool { return p != nil && p.Mode == manifest.ModeIncremental }

// full turns p into a full read for reason.
func (p *Plan) full(reason string) *Plan {
	p.Mode, p.Reason = manifest.ModeFull, reason
	return p
}

// Prepare chooses the base run and decides how the run reads the site. It
// fails only when ctx ends or --since cannot be understood; anything that
// keeps an incremental read from being exact is a full read with its
// reason.
func Prepare(ctx context.Context, req Request) (*Plan, error) {
	cfg := req.Config.withDefaults()
	log := req.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Plan{}
	if cfg.Since != SinceAuto {
		p.BaseRun = cfg.Since // the run asked for, even when it cannot be read
	}
	base, err := openBase(ctx, cfg.Since, req.Dest, req.Site, req.S3)
	if err != nil {
		if nb, ok := err.(*errNoBase); ok {
			return p.full(nb.reason), nil
		}
		return nil, err
	}
	p.BaseRun = base.Location().String()
	bm := base.Manifest()
	switch {
	case bm.Site != req.Site:
		return p.full(fmt.Sprintf("the base run is of another site (%q, this run reads %q)", bm.Site, req.Site)), nil
	case bm.Status != manifest.StatusComplete:
		return p.full(fmt.Sprintf("the base run is incomplete (status %s)", bm.Status)), nil
	}
	p.Base = base
	switch {
	case bm.Scope != Scope(req.Filter):
		p.Base = nil
		return p.full("the base run was made with other filters (appConfig.projectKeys, accountTypes, entityKinds, relationKinds or includeInactiveUsers)"), nil
	case req.Start.Sub(bm.StartedAt) > cfg.MaxAge:
		return p.full(fmt.Sprintf("the base run started %s ago, more than incremental.maxAge (%s)",
			req.Start.Sub(bm.StartedAt).Round(time.Minute), cfg.MaxAge)), nil
	case cfg.FullEvery > 0 && bm.RunsSinceFull+1 >= cfg.FullEvery:
		return p.full(fmt.Sprintf("incremental.fullEvery is %d: %d incremental runs since the last full read", cfg.FullEvery, bm.RunsSinceFull)), nil
	}
	if err := p.readAudit(ctx, req, cfg, bm.StartedAt.Add(-cfg.Margin)); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if req.IsForbidden != nil && req.IsForbidden(err) {
			return p.full("the audit log cannot be read (403: the account needs Administer Jira, and free plans have no audit log): " + err.Error()), nil
		}
		if fe, ok := err.(*fullError); ok {
			return p.full(fe.reason), nil
		}
		return p.full("the audit log could not be read: " + err.Error()), nil
	}
	if err := p.readBase(ctx, base, req); err != nil {
		return nil, err
	}
	if err := p.checkRoles(ctx, req.Source, base); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return p.full("the global roles could not be read: " + err.Error()), nil
	}
	if req.OrgAccess {
		if err := p.readOrgCounts(ctx, req.Source); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return p.full("the Admin API group counts could not be read: " + err.Error()), nil
		}
	} else {
		p.Notes = append(p.Notes, manifest.Warning{Scope: "incremental",
			Message: "without an org API key, group membership changes made without an audit record (identity-provider sync, admin.atlassian.com) are not seen until the next full read"})
	}
	groups, projects := p.countChanged()
	total := len(p.baseGroups) + len(p.baseProjects)
	if float64(groups+projects) > cfg.MaxScopeShare*float64(max(total, 1)) && total > 0 {
		return p.full(fmt.Sprintf("the audit log names %d of %d groups and projects since the base run: re-reading them costs about as much as a full read",
			groups+projects, total)), nil
	}
	p.RunsSinceFull = bm.RunsSinceFull + 1
	p.Mode = manifest.ModeIncremental
	p.Reason = fmt.Sprintf("re-reading %d changed groups and %d changed projects named by the audit log and the group counts since %s",
		groups, projects, bm.StartedAt.Add(-cfg.Margin).Format(time.RFC3339))
	if p.allProjects {
		p.Reason = fmt.Sprintf("re-reading %d changed groups and every project (the global roles changed)", groups)
	}
	removalOnly := p.countRemovalOnly()
	if removalOnly > 0 {
		p.Reason += fmt.Sprintf("; %d groups with members removed only are carried forward without them", removalOnly)
	}
	p.reusedGroups, p.reusedProjects = map[string]bool{}, map[string]bool{}
	log.Info("incremental plan", "base_run", p.BaseRun, "changed_groups", groups, "changed_projects", projects,
		"groups_members_removed_only", removalOnly, "all_projects", p.allProjects)
	return p, nil
}

// fullError is a reason for a full read found while reading the audit log.
type fullError struct{ reason string }

func (e *fullError) Error() string { return e.reason }

// readAudit reads every audit record created since from and notes the
// groups and projects they name.
func (p *Plan) readAudit(ctx context.Context, req Request, cfg Config, from time.Time) error {
	p.changedGroups, p.changedProjects = map[string]bool{}, map[string]bool{}
	// No upper bound: the log's times have milliseconds only, and a change
	// made while this run reads is better re-read than missed.
	var to time.Time
	for offset := 0; ; {
		page, err := req.Source.AuditRecords(ctx, from, to, offset, jira.AuditPageSize)
		if err != nil {
			return err
		}
		seen := offset + len(page.Records)
		if page.TotalKnown {
			seen = max(seen, page.Total)
		}
		if seen > cfg.MaxRecords {
			return &fullError{reason: fmt.Sprintf("the audit log holds %d records since the base run, more than %d: a full read is cheaper", seen, cfg.MaxRecords)}
		}
		for _, r := range page.Records {
			p.note(r)
		}
		offset += len(page.Records)
		if !page.More(offset) {
			return nil
		}
	}
}

// note records what one audit record names.
func (p *Plan) note(r jira.AuditRecord) {
	if group, user, ok := memberRemoval(r); ok {
		p.noteRemoval(group, user)
		return
	}
	groups := strings.EqualFold(r.Category, "group management")
	items := append([]jira.AuditItem{r.ObjectItem}, r.AssociatedItems...)
	names := func(typeName string) bool {
		return slices.ContainsFunc(items, func(it jira.AuditItem) bool { return strings.EqualFold(it.TypeName, typeName) })
	}
	for k, it := range items {
		switch strings.ToUpper(it.TypeName) {
		case "GROUP":
			if k == 0 || groups {
				p.changedGroups[it.ID] = true
				p.changedGroups[it.Name] = true
			}
		case "PROJECT":
			p.changedProjects[it.ID] = true
		case "PROJECT_ROLE":
			switch {
			case it.ParentID != "":
				p.changedProjects[it.ParentID] = true
			case k == 0 && !names("PROJECT"):
				p.allProjects = true // a global role changed
			}
		}
	}
	delete(p.changedGroups, "")
	delete(p.changedProjects, "")
}

// countChanged counts the base run's groups and projects to re-read.
func (p *Plan) countChanged() (groups, projects int) {
	for id := range p.baseGroups {
		if p.changedGroups[id] {
			groups++
		}
	}
	for id, key := range p.baseProjects {
		if p.allProjects || p.changedProjects[id] || p.changedProjects[key] {
			projects++
		}
	}
	return groups, projects
}

// ReuseGroupMembers implements pipeline.Reuse: a group of the base run not
// named as changed keeps its members (less its audited removals).
func (p *Plan) ReuseGroupMembers(g jira.Group) bool {
	if !p.baseGroups[g.GroupID] || p.changedGroups[g.GroupID] || p.changedGroups[g.Name] {
		p.mu.Lock()
		p.reread.groups++
		p.mu.Unlock()
		return false
	}
	p.mu.Lock()
	p.reusedGroups[g.GroupID] = true
	if len(p.removed[g.GroupID]) > 0 {
		p.reread.lessRemoved++
	}
	p.mu.Unlock()
	return true
}

// ReuseProject implements pipeline.Reuse: a project of the base run with
// the same key, not named as changed, keeps its roles, actors and scheme.
func (p *Plan) ReuseProject(pr jira.Project) bool {
	key, ok := p.baseProjects[pr.ID]
	if !ok || key != pr.Key || p.allProjects || p.changedProjects[pr.ID] || p.changedProjects[pr.Key] {
		p.mu.Lock()
		p.reread.projects++
		p.mu.Unlock()
		return false
	}
	p.mu.Lock()
	p.reusedProjects[pr.ID] = true
	p.mu.Unlock()
	return true
}
