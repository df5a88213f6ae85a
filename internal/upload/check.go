package upload

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
)

// DanglingError lists relations whose ends are not among the run's
// entities. Nothing is sent when it is returned.
type DanglingError struct {
	Count    int
	ByKind   map[model.RelationKind]int
	Examples []string
}

func (e *DanglingError) Error() string {
	kinds := make([]string, 0, len(e.ByKind))
	for k, n := range e.ByKind {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	return fmt.Sprintf("%d relations refer to entities that are not in the run (%s), e.g. %s; nothing was sent (pass --allow-dangling to upload without them)",
		e.Count, strings.Join(kinds, ", "), strings.Join(e.Examples, "; "))
}

// maxExamples bounds the dangling examples kept.
const maxExamples = 5

// check collects the entity keys and role names, then checks that every
// relation's two ends are entities. Special holders do not count as
// dangling: they are left out of the upload and counted.
func (u *uploader) check(ctx context.Context) error {
	for _, kind := range u.tables(manifest.KindEntity) {
		err := u.run.ScanEntities(ctx, model.SourceType(kind), func(e model.Entity) error {
			u.entities[entityKey(string(e.SourceType), e.SourceID)] = struct{}{}
			if e.SourceType == model.Role {
				u.names.Roles[e.SourceID] = e.Name
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("read %s entities: %w", kind, err)
		}
	}
	dangling := &DanglingError{ByKind: map[model.RelationKind]int{}}
	for _, kind := range u.tables(manifest.KindRelation) {
		err := u.run.ScanRelations(ctx, model.RelationKind(kind), func(r model.Relation) error {
			switch u.classify(r) {
			case relSpecial:
				u.res.SpecialHolders[r.FromType]++
			case relDangling:
				dangling.Count++
				dangling.ByKind[r.Kind]++
				if len(dangling.Examples) < maxExamples {
					dangling.Examples = append(dangling.Examples, u.describeDangling(r))
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("read %s relations: %w", kind, err)
		}
	}
	if dangling.Count == 0 {
		return nil
	}
	if !u.opts.AllowDangling {
		return dangling
	}
	u.res.Dangling = dangling.Count
	u.log.Warn("leaving out dangling relations", "count", dangling.Count, "examples", strings.Join(dangling.Examples, "; "))
	return nil
}

type relClass int

const (
	relOK relClass = iota
	relSpecial
	relDangling
)

func (u *uploader) classify(r model.Relation) relClass {
	if model.SpecialHolder(r.FromType) {
		return relSpecial
	}
	if !u.has(r.FromType, r.FromID) || !u.has(r.ToType, r.ToID) {
		return relDangling
	}
	return relOK
}

func (u *uploader) has(typ, id string) bool {
	_, ok := u.entities[entityKey(typ, id)]
	return ok
}

func (u *uploader) describeDangling(r model.Relation) string {
	var missing []string
	if !u.has(r.FromType, r.FromID) {
		missing = append(missing, r.FromType+" "+r.FromID)
	}
	if !u.has(r.ToType, r.ToID) {
		missing = append(missing, r.ToType+" "+r.ToID)
	}
	return fmt.Sprintf("%s %s %s → %s %s (missing %s)", r.Kind, r.FromType, r.FromID, r.ToType, r.ToID, strings.Join(missing, " and "))
}
