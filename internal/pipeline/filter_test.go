package pipeline

import "testing"

func TestWantsRelationFollowsEntityKinds(t *testing.T) {
	a := Filter{EntityKinds: []string{"user", "group"}}
	if !a.WantsRelation("member_of") || a.WantsRelation("has_role") || a.WantsRelation("lead_of") {
		t.Fatal("relation filter does not follow entity kinds")
	}
	b := Filter{RelationKinds: []string{"lead_of"}}
	if !b.WantsRelation("lead_of") || b.WantsRelation("member_of") {
		t.Fatal("relationKinds filter ignored")
	}
	if z := (Filter{}); !z.WantsEntity("user") || !z.WantsAccountType("customer") || !z.IncludeInactive() {
		t.Fatal("the zero Filter does not keep everything")
	}
}
