package applyscim_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/applyscim"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/plan"
	"github.com/govextract/jira-extractor/internal/retry"
	"github.com/govextract/jira-extractor/internal/retry/retrytest"
	"github.com/govextract/jira-extractor/internal/scim"
	"github.com/govextract/jira-extractor/internal/secret"
)

// picks are the directory's users and groups a lifecycle plan acts on.
type picks struct {
	active, inactive, removed, joiner, leaver, group string
}

func pick(t *testing.T, tr sim.Truth) picks {
	t.Helper()
	var p picks
	members := map[string]map[string]bool{}
	for _, r := range tr.Relations {
		if members[r.ToID] == nil {
			members[r.ToID] = map[string]bool{}
		}
		members[r.ToID][r.FromID] = true
	}
	for g, ms := range members {
		if len(ms) >= 2 && (p.group == "" || g < p.group) {
			p.group = g
		}
	}
	for l := range members[p.group] {
		if p.leaver == "" || l < p.leaver {
			p.leaver = l
		}
	}
	for _, e := range tr.Entities {
		if e.SourceType != model.User || members[p.group][e.SourceID] {
			continue
		}
		switch {
		case e.Attrs["active"] == true && p.active == "":
			p.active = e.SourceID
		case e.Attrs["active"] == true && p.joiner == "":
			p.joiner = e.SourceID
		case e.Attrs["active"] == true && p.removed == "":
			p.removed = e.SourceID
		case e.Attrs["active"] == false && p.inactive == "":
			p.inactive = e.SourceID
		}
	}
	if p.active == "" || p.inactive == "" || p.removed == "" || p.joiner == "" || p.leaver == "" || p.group == "" {
		t.Fatalf("not enough variety: %+v", p)
	}
	return p
}

func lifecyclePlan(t *testing.T, p picks) *plan.Plan {
	t.Helper()
	doc := `{"actions":[
 {"id":"deact","op":"deactivate","entity":"user","to_id":"` + p.active + `"},
 {"id":"react","op":"activate","entity":"user","to_id":"` + p.inactive + `"},
 {"id":"join","op":"grant","relation":"member_of","from_type":"user","from_id":"` + p.joiner + `","to_type":"group","to_id":"` + p.group + `"},
 {"id":"leave","op":"revoke","relation":"member_of","from_type":"user","from_id":"` + p.leaver + `","to_type":"group","to_id":"` + p.group + `"},
 {"id":"hire","op":"create","entity":"user","email":"new.hire+scim@example.com"},
 {"id":"gone","op":"remove","entity":"user","to_id":"` + p.removed + `"},
 {"id":"nogroup","op":"grant","relation":"member_of","from_type":"user","from_id":"` + p.joiner + `","to_type":"group","to_id":"no-such-group"}
]}`
	pl, err := plan.Parse(strings.NewReader(doc), plan.JSON)
	if err != nil {
		t.Fatal(err)
	}
	if err := applyscim.Check(pl); err != nil {
		t.Fatal(err)
	}
	return pl
}

func run(t *testing.T, c *scim.Client, pl *plan.Plan) map[string]apply.Outcome {
	t.Helper()
	res, err := apply.Run(context.Background(), pl, applyscim.New(c), apply.Config{AllowSelf: true, Workers: 3,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }, Backoff: func(int) time.Duration { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]apply.Outcome{}
	for _, o := range res.Outcomes {
		out[o.ID] = o
	}
	return out
}

// A lifecycle plan through SCIM, end to end against the simulator: users
// deactivated and reactivated (PATCH active, or PUT where the server has
// no PATCH, or a SCIM 1.1 partial PATCH), a member added and one removed,
// a user created and one deleted; the read-back and the directory's truth
// agree, a second run of the same plan changes nothing, and a write whose
// answer is lost (a 500 after the change) is re-read, never sent again.
func TestLifecycleEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version int
		cfg     sim.SCIMConfig
		faults  sim.Faults
	}{
		{"v2 patch", 2, sim.SCIMConfig{}, sim.Faults{}},
		{"v2 without patch", 2, sim.SCIMConfig{NoPatch: true}, sim.Faults{}},
		{"v1.1", 1, sim.SCIMConfig{}, sim.Faults{}},
		{"v2 answers lost after the write", 2, sim.SCIMConfig{}, sim.Faults{AfterWrite500: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, url := simtest.StartSim(t, sim.Config{Seed: 9, SCIM: tc.cfg})
			p := pick(t, srv.SCIMTruth())
			pl := lifecyclePlan(t, p)
			srv.SetFaults(tc.faults)
			c, err := scim.New(scim.Options{BaseURL: srv.SCIMBaseURL(url, tc.version), Version: tc.version, ReadSchema: true,
				Auth:  scim.Auth{Kind: scim.AuthBearer, Token: secret.New(sim.DefaultSCIMToken)},
				Clock: retrytest.NewFake(retrytest.Epoch), Backoff: &retry.Backoff{Base: 1, Cap: 1}, MaxRetries: 2, RequestsPerSecond: 1000, Burst: 100})
			if err != nil {
				t.Fatal(err)
			}
			first := run(t, c, pl)
			for _, id := range []string{"deact", "react", "join", "leave", "hire", "gone"} {
				if o := first[id]; o.Status != apply.Applied || o.Attempts != 1 {
					t.Fatalf("%s: %s after %d attempts: %s", id, o.Status, o.Attempts, o.Message)
				}
			}
			if o := first["nogroup"]; o.Status != apply.Failed || !strings.Contains(o.Message, "not found") {
				t.Fatalf("nogroup: %s %s", o.Status, o.Message)
			}
			if w := srv.Stats().Writes; w != 6 {
				t.Fatalf("%d changes made, want 6", w)
			}
			srv.SetFaults(sim.Faults{})
			tr := srv.SCIMTruth()
			users := map[string]model.Entity{}
			hired := false
			for _, e := range tr.Entities {
				users[e.SourceID] = e
				if strings.Contains(e.Metadata, "new.hire+scim@example.com") && e.Attrs["active"] == true && e.Attrs["account_id"] != nil {
					hired = true
				}
			}
			inGroup := map[string]bool{}
			for _, r := range tr.Relations {
				if r.ToID == p.group {
					inGroup[r.FromID] = true
				}
			}
			switch {
			case users[p.active].Attrs["active"] != false, users[p.inactive].Attrs["active"] != true:
				t.Fatal("active flags not changed in the directory")
			case !inGroup[p.joiner] || inGroup[p.leaver]:
				t.Fatal("memberships not changed in the directory")
			case !hired:
				t.Fatal("the new user is not in the directory")
			}
			if _, ok := users[p.removed]; ok {
				t.Fatal("the removed user is still in the directory")
			}
			again := run(t, c, pl)
			for id, o := range again {
				if id != "nogroup" && o.Status != apply.Unchanged {
					t.Fatalf("second run: %s is %s: %s", id, o.Status, o.Message)
				}
			}
			if w := srv.Stats().Writes; w != 6 {
				t.Fatalf("the second run changed something: %d changes in all", w)
			}
		})
	}
}

// Actions SCIM cannot carry out are refused before anything is read.
func TestCheckRefusesUnsupported(t *testing.T) {
	doc := `{"actions":[{"id":"s","op":"suspend","entity":"user","to_id":"u1"},
 {"id":"r","op":"grant","relation":"has_role","from_type":"user","from_id":"u1","to_type":"project_role","to_id":"10000:10002"}]}`
	pl, err := plan.Parse(strings.NewReader(doc), plan.JSON)
	if err != nil {
		t.Fatal(err)
	}
	err = applyscim.Check(pl)
	if err == nil || !strings.Contains(err.Error(), "suspend") || !strings.Contains(err.Error(), "has_role") {
		t.Fatalf("Check: %v", err)
	}
}
