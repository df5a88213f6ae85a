package incremental

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
)

// What Prepare reads of the base run and compares with the site now: its
// groups and projects, its member counts (against the Admin API's) and
// its global roles.

// readBase reads the base run's groups, projects and member counts (ids
// copied, see count).
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
	p.baseCounts = map[string]int64{}
	p.removedInBase = map[string]int64{}
	if err := base.ScanRelations(ctx, model.MemberOf, func(r model.Relation) error {
		count(p.baseCounts, r.ToID)
		if p.removedMember(r.FromID, r.ToID) {
			count(p.removedInBase, r.ToID)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("read base run memberships: %w", err)
	}
	return nil
}

// count adds one to m[key]. A key read from a run may share its text with
// the batch it was decoded from: a new one is copied, so that the map does
// not keep every batch.
func count(m map[string]int64, key string) {
	if _, ok := m[key]; !ok {
		key = strings.Clone(key)
	}
	m[key]++
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
		if name, ok := before[strconv.FormatInt(r.ID, 10)]; !ok || name != r.Name {
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
	for {
		gs, next, err := src.OrgGroupsPage(ctx, cursor)
		if err != nil {
			return err
		}
		p.answers.keepOrgPage(cursor, gs, next)
		for _, g := range gs {
			if g.Counts == nil || g.Counts.Users == nil || !p.baseGroups[g.ID] {
				continue
			}
			if *g.Counts.Users != p.baseCounts[g.ID]-p.removedInBase[g.ID] {
				p.changedGroups[g.ID] = true
			}
		}
		if next == "" || next == cursor {
			return nil
		}
		cursor = next
	}
}
