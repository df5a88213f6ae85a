package access

import (
	"context"
	"fmt"

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

// Write resolves the index and streams effective_role rows, then
// effective_permission rows for perms (nil: every permission a scheme
// grants), to w in batches, project by project in id order.
func Write(ctx context.Context, ix *Index, perms []string, w RelationWriter) (Stats, error) {
	st := Stats{ByVia: map[string]int64{}}
	out := &batcher{ctx: ctx, w: w}

	out.kind = model.EffectiveRole
	for p := range ix.projects {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		pr := &ix.projects[p]
		for i := range pr.roles {
			r := &pr.roles[i]
			prID := ix.projectRoleID(int32(p), r)
			if len(r.users) > 0 {
				md := model.JSON(map[string]any{"via": ViaUser})
				for _, u := range r.users {
					if err := out.add(ix.users[u], string(model.ProjectRole), prID, md); err != nil {
						return st, err
					}
				}
			}
			for _, g := range r.groups {
				md := model.JSON(map[string]any{"via": ViaGroup + ix.groups[g]})
				for _, u := range ix.members[g] {
					if err := out.add(ix.users[u], string(model.ProjectRole), prID, md); err != nil {
						return st, err
					}
				}
			}
		}
	}
	if err := out.flush(); err != nil {
		return st, err
	}
	st.RoleRows, out.rows = out.rows, 0

	out.kind = model.EffectivePermission
	for p := range ix.projects {
		if err := ctx.Err(); err != nil {
			return st, err
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
						return st, err
					}
				}
				st.ByVia[viaKind(x.via)] += int64(len(us))
			}
		}
	}
	if err := out.flush(); err != nil {
		return st, err
	}
	st.PermissionRows = out.rows
	return st, nil
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
