package bench

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output"
)

// expectedChanges is the change set from one truth to another, computed
// here from the two truths alone (no production diff or resolver code): the
// rows of the tables read as lines (changeLine), and the effective-access
// rows, millions on the large site, as 64-bit hashes of their keys.
type expectedChanges struct {
	lines               []string // sorted
	effAdded, effRemove map[uint64]bool
	seed                maphash.Seed
}

// rows counts the expected change rows.
func (e *expectedChanges) rows() int { return len(e.lines) + len(e.effAdded) + len(e.effRemove) }

// expectChanges computes the change set from before to after; it sorts
// both truths' relations in place. perms is the job's effective permission
// set.
func expectChanges(before, after sim.Truth, perms []string) *expectedChanges {
	e := &expectedChanges{seed: maphash.MakeSeed()}
	e.lines = append(entityChanges(before.Entities, after.Entities), relationChanges(before.Relations, after.Relations)...)
	slices.Sort(e.lines)
	old, cur := e.effective(before, perms), e.effective(after, perms)
	e.effAdded, e.effRemove = minus(cur, old), minus(old, cur)
	return e
}

// entityChanges diffs two truths' entities by kind and source id.
func entityChanges(before, after []model.Entity) []string {
	old := make(map[string]model.Entity, len(before))
	for _, x := range before {
		old[x.Key()] = x
	}
	var out []string
	for _, x := range after {
		b, ok := old[x.Key()]
		delete(old, x.Key())
		switch after := entityJSON(x); {
		case !ok:
			out = append(out, entityLine(output.ChangeAdded, x, "", after))
		case entityJSON(b) != after:
			out = append(out, entityLine(output.ChangeUpdated, x, entityJSON(b), after))
		}
	}
	for _, x := range old {
		out = append(out, entityLine(output.ChangeRemoved, x, entityJSON(x), ""))
	}
	return out
}

// entityJSON is an entity's documented change-set attributes (name,
// metadata, the kind's typed columns; times in UTC RFC 3339) in canonical
// form.
func entityJSON(x model.Entity) string {
	m := map[string]any{"name": x.Name, "metadata": x.Metadata}
	if json.Valid([]byte(x.Metadata)) {
		m["metadata"] = json.RawMessage(x.Metadata)
	}
	for _, c := range model.KindColumns[x.SourceType] {
		v := x.Attrs[c.Name]
		if t, ok := v.(time.Time); ok {
			v = t.UTC().Format(time.RFC3339Nano)
		}
		m[c.Name] = v
	}
	b, _ := json.Marshal(m)
	return canonJSON(string(b))
}

// canonJSON re-encodes a JSON object with sorted keys, numbers as written
// and null members left out; text that is not a JSON object stays as it is.
func canonJSON(s string) string {
	if s == "" {
		return ""
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return s
	}
	for k, v := range m {
		if v == nil {
			delete(m, k)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(m)
	return strings.TrimSpace(b.String())
}

func entityLine(change string, x model.Entity, before, after string) string {
	return strings.Join([]string{change, output.RecordEntity, string(x.SourceType), x.SourceID, "", "", "", "", before, after}, "\t")
}

func relationLine(change string, r model.Relation, before, after string) string {
	return strings.Join([]string{change, output.RecordRel, string(r.Kind), "", r.FromType, r.FromID, r.ToType, r.ToID, before, after}, "\t")
}

// relIdentity orders relations by what identifies them in a change set:
// kind and both ends, and the metadata of holds_permission (several rows
// between the same two ends).
func relIdentity(a, b model.Relation) int {
	c := cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.FromType, b.FromType), cmp.Compare(a.FromID, b.FromID),
		cmp.Compare(a.ToType, b.ToType), cmp.Compare(a.ToID, b.ToID))
	if c == 0 && a.Kind == model.HoldsPermission {
		c = cmp.Compare(a.Metadata, b.Metadata)
	}
	return c
}

// relationChanges diffs two truths' relations by merging them in identity
// order (both slices are sorted in place).
func relationChanges(before, after []model.Relation) []string {
	slices.SortFunc(before, relIdentity)
	slices.SortFunc(after, relIdentity)
	var out []string
	i, j := 0, 0
	for i < len(before) || j < len(after) {
		c := 0
		switch {
		case i == len(before):
			c = 1
		case j == len(after):
			c = -1
		default:
			c = relIdentity(before[i], after[j])
		}
		switch {
		case c < 0:
			out = append(out, relationLine(output.ChangeRemoved, before[i], before[i].Metadata, ""))
			i++
		case c > 0:
			out = append(out, relationLine(output.ChangeAdded, after[j], "", after[j].Metadata))
			j++
		default:
			if before[i].Metadata != after[j].Metadata {
				out = append(out, relationLine(output.ChangeUpdated, after[j], before[i].Metadata, after[j].Metadata))
			}
			i, j = i+1, j+1
		}
	}
	return out
}

// effective hashes the effective-access rows of tr, sorted and unique.
func (e *expectedChanges) effective(tr sim.Truth, perms []string) []uint64 {
	var hs []uint64
	simtest.ExpectedAccess(tr, perms, func(r model.Relation) { hs = append(hs, maphash.String(e.seed, r.Key())) })
	slices.Sort(hs)
	return slices.Compact(hs)
}

// minus is the set of hashes in a (sorted) but not in b (sorted).
func minus(a, b []uint64) map[uint64]bool {
	out := map[uint64]bool{}
	for _, h := range a {
		if _, found := slices.BinarySearch(b, h); !found {
			out[h] = true
		}
	}
	return out
}

// check compares the change set of the run (or diff output) rr with e, row
// by row; it returns the rows read and an error naming the first
// differences.
func (e *expectedChanges) check(ctx context.Context, rr *output.RunReader) (int, error) {
	var lines []string
	added, removed := map[uint64]bool{}, map[uint64]bool{}
	var bad []string
	n := 0
	err := rr.ScanChanges(ctx, func(c output.Change) error {
		n++
		if c.Kind != string(model.EffectiveRole) && c.Kind != string(model.EffectivePermission) {
			lines = append(lines, changeLine(c))
			return nil
		}
		r := model.Relation{Kind: model.RelationKind(c.Kind), FromType: c.FromType, FromID: c.FromID, ToType: c.ToType, ToID: c.ToID, Metadata: c.After}
		set, want := added, e.effAdded
		if c.Change == output.ChangeRemoved {
			r.Metadata, set, want = c.Before, removed, e.effRemove
		}
		h := maphash.String(e.seed, r.Key())
		if c.Change == output.ChangeUpdated || set[h] || !want[h] {
			bad = append(bad, changeLine(c))
		}
		set[h] = true
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("read change set: %w", err)
	}
	slices.Sort(lines)
	missing, extra := lineDiff(e.lines, lines)
	extra = append(extra, bad...)
	effMissing := len(e.effAdded) - countIn(added, e.effAdded) + len(e.effRemove) - countIn(removed, e.effRemove)
	if len(missing)+len(extra)+effMissing == 0 {
		return n, nil
	}
	return n, fmt.Errorf("change set differs from the truths' diff: %d rows missing, %d unexpected or duplicated, %d effective-access rows missing%s",
		len(missing), len(extra), effMissing, examples("missing", missing)+examples("unexpected", extra))
}

// changeLine is a change row as a line comparable with the expected ones.
func changeLine(c output.Change) string {
	before, after := c.Before, c.After
	if c.Record == output.RecordEntity {
		before, after = canonJSON(before), canonJSON(after)
	}
	return strings.Join([]string{c.Change, c.Record, c.Kind, c.SourceID, c.FromType, c.FromID, c.ToType, c.ToID, before, after}, "\t")
}

// lineDiff returns the lines of want not in got and of got not in want
// (both sorted; a repeated line counts each time).
func lineDiff(want, got []string) (missing, extra []string) {
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || (i < len(want) && want[i] < got[j]):
			missing = append(missing, want[i])
			i++
		case i == len(want) || got[j] < want[i]:
			extra = append(extra, got[j])
			j++
		default:
			i, j = i+1, j+1
		}
	}
	return missing, extra
}

func countIn(got, want map[uint64]bool) int {
	n := 0
	for h := range got {
		if want[h] {
			n++
		}
	}
	return n
}

func examples(what string, lines []string) string {
	var b strings.Builder
	for i, l := range lines {
		if i == 5 {
			fmt.Fprintf(&b, "\n  %s: ... and %d more", what, len(lines)-5)
			break
		}
		fmt.Fprintf(&b, "\n  %s: %q", what, l)
	}
	return b.String()
}
