package scim

import (
	"context"
	"fmt"

	"github.com/govextract/jira-extractor/internal/model"
)

// Sink receives the rows of an extraction (the output writer, or one
// source's view of it). A batch holds one kind.
type Sink interface {
	WriteEntities(ctx context.Context, kind model.SourceType, batch []model.Entity) error
	WriteRelations(ctx context.Context, kind model.RelationKind, batch []model.Relation) error
}

// ExtractOptions choose what Extract keeps.
type ExtractOptions struct {
	// ExcludeInactive drops inactive users and their memberships.
	ExcludeInactive bool
	// OnRows, if set, is told how many rows of a kind were written.
	OnRows func(kind string, n int)
}

// ExtractResult counts what Extract wrote.
type ExtractResult struct {
	Users, Groups, Memberships int
	Capabilities               Capabilities
}

// Extract reads every user and every group (with its members) of the
// directory and writes user and group entities and member_of relations
// to sink, page by page.
func Extract(ctx context.Context, c *Client, sink Sink, opts ExtractOptions) (ExtractResult, error) {
	var res ExtractResult
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return res, fmt.Errorf("scim discovery: %w", err)
	}
	res.Capabilities = caps
	inactive := map[string]bool{}
	note := func(kind string, n int) {
		if opts.OnRows != nil && n > 0 {
			opts.OnRows(kind, n)
		}
	}
	err = c.ListUsers(ctx, "", func(us []User) error {
		rows := make([]model.Entity, 0, len(us))
		for _, u := range us {
			if u.ID() == "" {
				return fmt.Errorf("scim: a user without an id (userName %q)", u.UserName())
			}
			if opts.ExcludeInactive && !u.Active() {
				inactive[u.ID()] = true
				continue
			}
			rows = append(rows, model.NewSCIMUser(u.Record()))
		}
		res.Users += len(rows)
		note(string(model.User), len(rows))
		return sink.WriteEntities(ctx, model.User, rows)
	})
	if err != nil {
		return res, fmt.Errorf("scim users: %w", err)
	}
	err = c.ListGroups(ctx, func(gs []Group) error {
		rows := make([]model.Entity, 0, len(gs))
		var rels []model.Relation
		for _, g := range gs {
			if g.ID() == "" {
				return fmt.Errorf("scim: a group without an id (displayName %q)", g.DisplayName())
			}
			rows = append(rows, g.Entity())
			for _, r := range g.Relations() {
				if !inactive[r.FromID] {
					rels = append(rels, r)
				}
			}
		}
		res.Groups += len(rows)
		res.Memberships += len(rels)
		note(string(model.Group), len(rows))
		note(string(model.MemberOf), len(rels))
		if err := sink.WriteEntities(ctx, model.Group, rows); err != nil {
			return err
		}
		return sink.WriteRelations(ctx, model.MemberOf, rels)
	})
	if err != nil {
		return res, fmt.Errorf("scim groups: %w", err)
	}
	return res, nil
}
