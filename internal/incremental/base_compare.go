package incremental

import (
	"context"
	"fmt"
	"strings"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
)

// What Prepare reads of the base run and compares with the site now: its
// groups and projects, its member counts (against the Admin API's) and
// its global roles.

// readBase reads the base run's groups, projects and member counts (ids
// copied, see counter).
func (p *Plan) readBase(ctx context.Context, base *output.RunReader, req Request) error {
	p.baseGroups, p.baseProjects = map[string]bool{}, map[string]string{}
	if err := base.ScanEntities(ctx, model.Group, func(e model.Entity) error {
		p.baseGroups[strings.Clone(e.SourceID)] = true
		return nil
	}); err != nil {
		return fmt.Errorf("read base run groups: %w", err)
	}
	if err := base.ScanEntities(ctx, model.Project, func(e model.Entity) error {
		key, _ := e.Attrs["key"].(string)
		p.baseProjects[strings.Clone(e.SourceID)] = strings.Clone(key)
		return nil
	}); err != nil {
		return fmt.Errorf("read base run projects: %w", err)
	}
	if !req.OrgAccess {
		return nil
	}
	if len(req.Filter.AccountTypes) > 0 || req.Filter.ExcludeInactive {
		p.Notes = append(p.Notes, manifest.Warning{Scope: "incremental",
			Message: "with appConfig.accountTypes or includeInactiveUsers false, the Admin API group counts cannot be compared with the run's memberships: membership changes made without an audit record are not seen until the next full read"})
		return nil
	}
	p.baseCounts, p.removedInBase = counter{}, counter{}
	if err := base.ScanRelations(ctx, model.MemberOf, func(r model.Relation) error {
		p.baseCounts.add(r.ToID)
		if p.removedMember(r.FromID, r.ToID) {
			p.removedInBase.add(r.ToID)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("read base run memberships: %w", err)
	}
	return nil
}

// counter counts rows by key. A key read from a run may share its text
// with the whole batch it was decoded from, and a map assignment stores the
// key it is given (also over an equal one): the counts live behind
// pointers, so that only a copy of each key's first sight is stored.
type counter map[string]*int64

func (c counter) add(key string) {
	if n := c[key]; n != nil {
		*n++
		return
	}
	n := int64(1)
	c[strings.Clone(key)] = &n
}

func (c counter) get(key string) int64 {
	if n := c[key]; n != nil {
		return *n
	}
	return 0
}

// checkRoles re-reads every project when the global roles differ from the
// base run's.
func (p *Plan) checkRoles(ctx context.Context, src Source, base *output.RunReader) error {
	if base.Manifest().Table(string(model.Role)) == nil {
		p.allProjects = true
		return nil
	}
	before := map[string]string{}
	if err := base.ScanEntities(ctx, model.Role, func(e model.Entity) error {
		before[e.SourceID] = e.Name
		return nil
	}); err != nil {
		return fmt.Errorf("read base run roles: %w", err)
	}
	roles, err := src.GlobalRoles(ctx)
	if err != nil {
		return err
	}
	p.answers.keepRoles(roles)
	if len(roles) != len(before) {
		p.allProjects = true
		return nil
	}
	for _, r := range roles {
		if name, ok := before[r.ID.String()]; !ok || name != r.Name {
			p.allProjects = true
		}
	}
	return nil
}

// readOrgCounts reads the Admin API group member counts and marks the
// groups whose count differs from the base run's memberships less the
// audited removals.
func (p *Plan) readOrgCounts(ctx context.Context, src Source) error {
	if p.baseCounts == nil {
		return nil
	}
	cursor := ""
	uncounted := 0
	defer func() {
		if uncounted > 0 {
			p.Notes = append(p.Notes, manifest.Warning{Scope: "incremental",
				Message: fmt.Sprintf("the Admin API gave no member count for %d groups: membership changes made there without an audit record are not seen until the next full read", uncounted)})
		}
	}()
	for {
		gs, next, err := src.OrgGroupsPage(ctx, cursor)
		if err != nil {
			return err
		}
		p.answers.keepOrgPage(cursor, gs, next)
		for _, g := range gs {
			if !p.baseGroups[g.ID] {
				continue
			}
			if g.Counts == nil || g.Counts.Users == nil {
				uncounted++
				continue
			}
			if *g.Counts.Users != p.baseCounts.get(g.ID)-p.removedInBase.get(g.ID) {
				p.changedGroups[g.ID] = true
			}
		}
		if next == "" || next == cursor {
			return nil
		}
		cursor = next
	}
}
