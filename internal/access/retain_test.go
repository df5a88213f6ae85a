package access

import (
	"testing"
	"unsafe"

	"github.com/govextract/jira-extractor/internal/model"
)

// The index keeps copies of the ids it is given, never the batch's text: a
// row read back from a run shares its text with the whole decoded batch,
// and keeping one id would keep the batch (an incremental run carrying 2M
// memberships forward kept 130 MB so).
func TestBuilderCopiesIDs(t *testing.T) {
	text := string([]byte("u1g1p1:10p2s1")) // one allocation, as a decoded batch
	r := func(kind model.RelationKind, from, to string) model.Relation {
		return model.Relation{Kind: kind, FromType: "user", FromID: from, ToType: "x", ToID: to}
	}
	b := NewBuilder(BuildOptions{})
	b.AddRelations(model.MemberOf, []model.Relation{r(model.MemberOf, text[0:2], text[2:4])})
	b.AddRelations(model.HasRole, []model.Relation{r(model.HasRole, text[0:2], text[4:9])})
	b.AddRelations(model.UsesScheme, []model.Relation{r(model.UsesScheme, text[9:11], text[11:13])})
	ix := b.Index()
	kept := []string{ix.users[0], ix.groups[0], ix.projects[0].id, ix.projects[0].roles[0].id, ix.projects[1].scheme}
	if len(ix.projects) != 2 || kept[3] != "10" || kept[4] != "s1" {
		t.Fatalf("index: users %q groups %q projects %+v", ix.users, ix.groups, ix.projects)
	}
	lo, hi := uintptr(unsafe.Pointer(unsafe.StringData(text))), uintptr(unsafe.Pointer(unsafe.StringData(text)))+uintptr(len(text))
	for _, s := range kept {
		if p := uintptr(unsafe.Pointer(unsafe.StringData(s))); p >= lo && p < hi {
			t.Errorf("the index keeps %q inside the batch's text", s)
		}
	}
}
