package incremental

import (
	"context"
	"fmt"
	"sync"

	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/pipeline"
)

// carryBatch is how many carried rows go to the sink at once.
const carryBatch = 1000

// Tracker passes rows on to a sink and remembers the users and groups the
// new run holds, so rows carried forward never name a user or group that
// is gone.
type Tracker struct {
	next   pipeline.Sink
	mu     sync.Mutex
	users  map[string]struct{}
	groups map[string]struct{}
}

// Track wraps sink.
func Track(sink pipeline.Sink) *Tracker {
	return &Tracker{next: sink, users: map[string]struct{}{}, groups: map[string]struct{}{}}
}

// WriteEntities implements pipeline.Sink.
func (t *Tracker) WriteEntities(ctx context.Context, kind model.SourceType, batch []model.Entity) error {
	if kind == model.User || kind == model.Group {
		t.mu.Lock()
		set := t.users
		if kind == model.Group {
			set = t.groups
		}
		for _, e := range batch {
			set[e.SourceID] = struct{}{}
		}
		t.mu.Unlock()
	}
	return t.next.WriteEntities(ctx, kind, batch)
}

// WriteRelations implements pipeline.Sink.
func (t *Tracker) WriteRelations(ctx context.Context, kind model.RelationKind, batch []model.Relation) error {
	return t.next.WriteRelations(ctx, kind, batch)
}

func (t *Tracker) has(set map[string]struct{}, id string) bool {
	_, ok := set[id]
	return ok
}

// holderKept reports whether a relation's user or group end is in the new run.
func (t *Tracker) holderKept(typ, id string) bool {
	switch typ {
	case string(model.User):
		return t.has(t.users, id)
	case string(model.Group):
		return t.has(t.groups, id)
	}
	return true
}

// CarryStats counts the rows carried forward, by table.
type CarryStats map[string]int64

// CarryForward copies the base run's rows of the scopes the pipeline
// skipped into sink (through t, after the pipeline finished): members of
// reused groups (less their audited removals), and project roles, role
// actors and scheme of reused projects. Rows naming a user or group the
// new run does not hold are dropped.
func (p *Plan) CarryForward(ctx context.Context, t *Tracker) (CarryStats, error) {
	stats := CarryStats{}
	if !p.Incremental() {
		return stats, nil
	}
	base := p.Base
	projectOf := func(prID string) string { id, _, _ := model.SplitProjectRoleID(prID); return id }
	if base.Manifest().Table(string(model.ProjectRole)) != nil {
		n, err := carry(ctx, func(fn func(model.Entity) error) error { return base.ScanEntities(ctx, model.ProjectRole, fn) },
			func(e model.Entity) bool { return p.reusedProjects[projectOf(e.SourceID)] },
			func(b []model.Entity) error { return t.WriteEntities(ctx, model.ProjectRole, b) })
		stats[string(model.ProjectRole)] = n
		if err != nil {
			return stats, fmt.Errorf("carry forward project roles: %w", err)
		}
	}
	keep := map[model.RelationKind]func(model.Relation) bool{
		model.MemberOf: func(r model.Relation) bool {
			return p.reusedGroups[r.ToID] && !p.removedMember(r.FromID, r.ToID) && t.holderKept(r.FromType, r.FromID)
		},
		model.HasRole: func(r model.Relation) bool {
			return p.reusedProjects[projectOf(r.ToID)] && t.holderKept(r.FromType, r.FromID)
		},
		model.RoleIn:     func(r model.Relation) bool { return p.reusedProjects[r.ToID] },
		model.InstanceOf: func(r model.Relation) bool { return p.reusedProjects[projectOf(r.FromID)] },
		model.UsesScheme: func(r model.Relation) bool { return p.reusedProjects[r.FromID] },
	}
	for _, kind := range []model.RelationKind{model.MemberOf, model.HasRole, model.RoleIn, model.InstanceOf, model.UsesScheme} {
		if base.Manifest().Table(string(kind)) == nil {
			continue
		}
		n, err := carry(ctx, func(fn func(model.Relation) error) error { return base.ScanRelations(ctx, kind, fn) },
			keep[kind], func(b []model.Relation) error { return t.WriteRelations(ctx, kind, b) })
		stats[string(kind)] = n
		if err != nil {
			return stats, fmt.Errorf("carry forward %s: %w", kind, err)
		}
	}
	return stats, nil
}

// Reread says how many groups and projects the pipeline read again, and
// how many groups it carried forward less their audited member removals.
func (p *Plan) Reread() (groups, projects, lessRemoved int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reread.groups, p.reread.projects, p.reread.lessRemoved
}

// carry streams the rows scan yields that keep accepts to write, in
// batches, and counts them.
func carry[T any](ctx context.Context, scan func(func(T) error) error, keep func(T) bool, write func([]T) error) (int64, error) {
	var n int64
	batch := make([]T, 0, carryBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n += int64(len(batch))
		err := write(batch)
		batch = make([]T, 0, carryBatch) // the sink owns the batch it was given
		return err
	}
	err := scan(func(row T) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !keep(row) {
			return nil
		}
		batch = append(batch, row)
		if len(batch) >= carryBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return n, err
}
