package access

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/govextract/jira-extractor/internal/model"
)

// batchRows is how many rows go to the writer in one call.
const batchRows = 8192

// RelationWriter receives derived rows; output.Writer satisfies it. It must
// not expect the caller to touch a batch after passing it.
type RelationWriter interface {
	WriteRelations(ctx context.Context, kind model.RelationKind, batch []model.Relation) error
}

// Stats count what Write produced.
type Stats struct {
	RoleRows       int64
	PermissionRows int64
	// ByVia counts effective_permission rows by path kind (user, group,
	// project_role, project_role_group, project_lead, application_role,
	// anyone).
	ByVia map[string]int64
}

// Write resolves the index and streams effective_role rows and
// effective_permission rows for perms (nil: every permission a scheme
// grants) to w in batches, each table project by project in id order. The
// two tables are resolved side by side (the index is read-only), so w must
// accept concurrent calls for different kinds, as output.Writer does.
func Write(ctx context.Context, ix *Index, perms []string, w RelationWriter) (Stats, error) {
	st := Stats{ByVia: map[string]int64{}}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		n, err := writeRoles(gctx, ix, w)
		st.RoleRows = n
		return err
	})
	g.Go(func() error {
		n, err := writePermissions(gctx, ix, perms, w, st.ByVia)
		st.PermissionRows = n
		return err
	})
	return st, g.Wait()
}

// writeRoles streams the effective_role rows and returns how many.
func writeRoles(ctx context.Context, ix *Index, w RelationWriter) (int64, error) {
	out := &batcher{ctx: ctx, w: w, kind: model.EffectiveRole}
	for p := range ix.projects {
		if err := ctx.Err(); err != nil {
			return out.rows, err
		}
		pr := &ix.projects[p]
		for i := range pr.roles {
			r := &pr.roles[i]
			prID := ix.projectRoleID(int32(p), r)
			if len(r.users) > 0 {
				md := model.JSON(map[string]any{"via": ViaUser})
				for _, u := range r.users {
					if err := out.add(ix.users[u], string(model.ProjectRole), prID, md); err != nil {
						return out.rows, err
					}
				}
			}
			for _, g := range r.groups {
				md := model.JSON(map[string]any{"via": ViaGroup + ix.groups[g]})
				for _, u := range ix.members[g] {
					if err := out.add(ix.users[u], string(model.ProjectRole), prID, md); err != nil {
						return out.rows, err
					}
				}
			}
		}
	}
	return out.rows, out.flush()
}

// writePermissions streams the effective_permission rows of perms, counts
// them by path kind into byVia, and returns how many.
func writePermissions(ctx context.Context, ix *Index, perms []string, w RelationWriter, byVia map[string]int64) (int64, error) {
	out := &batcher{ctx: ctx, w: w, kind: model.EffectivePermission}
	for p := range ix.projects {
		if err := ctx.Err(); err != nil {
			return out.rows, err
		}
		pid := ix.projects[p].id
		keys := perms
		if keys == nil {
			keys = ix.permissions(int32(p))
		}
		for _, perm := range keys {
			for _, x := range ix.paths(int32(p), perm) {
				md := model.JSON(map[string]any{"permission": perm, "via": x.via})
				us := ix.pathUsers(x)
				for _, u := range us {
					if err := out.add(ix.users[u], string(model.Project), pid, md); err != nil {
						return out.rows, err
					}
				}
				byVia[viaKind(x.via)] += int64(len(us))
			}
		}
	}
	return out.rows, out.flush()
}

// batcher fills batches of one kind and hands them to w.
type batcher struct {
	ctx  context.Context
	w    RelationWriter
	kind model.RelationKind
	buf  []model.Relation
	rows int64
}

func (b *batcher) add(userID, toType, toID, md string) error {
	if b.buf == nil {
		b.buf = make([]model.Relation, 0, batchRows)
	}
	b.buf = append(b.buf, model.Relation{Kind: b.kind, FromType: string(model.User), FromID: userID, ToType: toType, ToID: toID, Metadata: md})
	b.rows++
	if len(b.buf) == batchRows {
		return b.flush()
	}
	return nil
}

func (b *batcher) flush() error {
	if len(b.buf) == 0 {
		return nil
	}
	batch := b.buf
	b.buf = nil
	if err := b.w.WriteRelations(b.ctx, b.kind, batch); err != nil {
		return fmt.Errorf("write %s: %w", b.kind, err)
	}
	return nil
}
