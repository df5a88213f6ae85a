package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/secret"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/progress"
)

func boolp(b bool) *bool { return &b }

// runFake runs the pipeline against f with app and returns the sink.
func runFake(t *testing.T, ctx context.Context, f *fakeSite, app testApp, batch int) (*memSink, Result, error) {
	t.Helper()
	s := newMemSink(t, batch)
	res, err := Run(ctx, Options{Filter: app.options().Filter, Concurrency: app.Concurrency, OrgAccess: app.options().OrgAccess, Source: f, Sink: s, BatchRows: batch,
		IsNotFound: isStatus(404), IsForbidden: isStatus(403), Tracker: progress.NewTracker(nil)})
	return s, res, err
}

func TestMatchesTruth(t *testing.T) {
	for _, conc := range []int{1, 3, 8} {
		t.Run(fmt.Sprint("concurrency=", conc), func(t *testing.T) {
			f := newFakeSite(2345, 60, 130)
			app := testApp{Concurrency: conc}
			s, res, err := runFake(t, context.Background(), f, app, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Warnings) != 0 {
				t.Errorf("warnings on a clean site: %v", res.Warnings)
			}
			wantE, wantR := expected(f, app, false)
			compare(t, s, wantE, wantR)
			if s.biggest > 100 {
				t.Errorf("a batch of %d rows, want at most 100", s.biggest)
			}
			if p := f.peak.Load(); p > int64(conc) {
				t.Errorf("%d requests in flight, want at most %d", p, conc)
			}
			// 2 full pages, a short one, the empty end; at most window-1 reads past the end.
			if n := f.count("users"); n < 4 || n > 4+int64(min(conc, 4)-1) {
				t.Errorf("users/search: %d requests", n)
			}
			// One member page per group up to 50 members, parallel pages after.
			var wantMembers int64
			for _, g := range f.groups {
				wantMembers += int64(max(1, (len(g.members)+49)/50))
			}
			if n := f.count("members"); n != wantMembers {
				t.Errorf("group/member: %d requests, want %d", n, wantMembers)
			}
			if n := f.count("projects"); n != 2 {
				t.Errorf("project/search: %d requests, want 2", n)
			}
		})
	}
}

func TestSmallSiteNoWastedUserReads(t *testing.T) {
	f := newFakeSite(200, 3, 2)
	if _, _, err := runFake(t, context.Background(), f, testApp{Concurrency: 8}, 1000); err != nil {
		t.Fatal(err)
	}
	if n := f.count("users"); n != 2 {
		t.Errorf("users/search: %d requests for 200 users, want 2 (a short page, then the empty end)", n)
	}
}

func TestShortPagesAndMissingTotals(t *testing.T) {
	f := newFakeSite(1234, 70, 120)
	f.shortUsers, f.omitTotals = true, true
	app := testApp{Concurrency: 4}
	s, _, err := runFake(t, context.Background(), f, app, 1000)
	if err != nil {
		t.Fatal(err)
	}
	wantE, wantR := expected(f, app, false)
	compare(t, s, wantE, wantR)
}

// A total that lags behind the data (members added while the run reads)
// must not lose the rows past it: the last page does not say isLast.
func TestStaleTotalsLoseNothing(t *testing.T) {
	f := newFakeSite(1234, 70, 250)
	f.staleTotals = 3
	app := testApp{Concurrency: 4}
	s, _, err := runFake(t, context.Background(), f, app, 1000)
	if err != nil {
		t.Fatal(err)
	}
	wantE, wantR := expected(f, app, false)
	compare(t, s, wantE, wantR)
}

func TestPartialFailures(t *testing.T) {
	f := newFakeSite(300, 12, 10)
	f.forbidden["10001"] = true
	f.notFound["10002"] = true
	var big string
	for _, g := range f.groups {
		if len(g.members) > 120 {
			big = g.GroupID
			break
		}
	}
	f.vanishing[big] = true
	var mu sync.Mutex
	var seen []manifest.Warning
	app := testApp{Concurrency: 4}
	s := newMemSink(t, 1000)
	res, err := Run(context.Background(), Options{Filter: app.options().Filter, Concurrency: app.Concurrency, OrgAccess: app.options().OrgAccess, Source: f, Sink: s, IsNotFound: isStatus(404), IsForbidden: isStatus(403),
		OnWarning: func(w manifest.Warning) { mu.Lock(); seen = append(seen, w); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	var scopes []string
	for _, w := range res.Warnings {
		scopes = append(scopes, w.Scope)
		if w.Message == "" {
			t.Errorf("warning %q has no message", w.Scope)
		}
	}
	want := []string{"group " + big + " members", "project 10001 roles", "project 10002 permission scheme", "project 10002 roles"}
	if strings.Join(scopes, ",") != strings.Join(want, ",") {
		t.Errorf("warning scopes %v, want %v", scopes, want)
	}
	if len(seen) != len(res.Warnings) {
		t.Errorf("OnWarning saw %d warnings, result has %d", len(seen), len(res.Warnings))
	}
	wantE, wantR := expected(f, app, false)
	compare(t, s, wantE, wantR)
}

func TestFatalErrorNamesEndpoint(t *testing.T) {
	for endpoint, want := range map[string]string{
		"role":          "/role/1000",
		"users":         "users/search startAt=0",
		"members":       "group/member groupId=",
		"projectscheme": "project/1000",
		"schemes":       "permissionscheme",
		"orgusers":      "admin org users",
	} {
		t.Run(endpoint, func(t *testing.T) {
			f := newFakeSite(50, 5, 3)
			f.failEndpoint = endpoint
			f.orgUsers = []jira.OrgUser{{AccountID: "acc-0001", AccountStatus: "active"}}
			app := testApp{Concurrency: 2, OrgID: "org", OrgAPIKey: secret.New("k")}
			_, _, err := runFake(t, context.Background(), f, app, 1000)
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "HTTP 500") {
				t.Fatalf("error %v, want one naming %q and the cause", err, want)
			}
		})
	}
}

func TestSinkFailureFails(t *testing.T) {
	f := newFakeSite(50, 5, 3)
	s := newMemSink(t, 10)
	s.failKind = model.User
	_, err := Run(context.Background(), Options{Concurrency: 2, Source: f, Sink: s, BatchRows: 10})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("error %v, want the sink's", err)
	}
}

func TestCancelStopsQuickly(t *testing.T) {
	f := newFakeSite(500, 30, 20)
	f.blockEndpoint = "members"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := runFake(t, ctx, f, testApp{Concurrency: 4}, 1000)
		done <- err
	}()
	<-f.blocked
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %s to stop", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("pipeline did not stop after cancel")
	}
}

func TestFilters(t *testing.T) {
	// Which kinds each filter keeps, written out by hand: a relation kind is
	// kept when relationKinds lets it through and the entity kinds at both
	// of its ends are kept (has_role needs only project_role, since its
	// "from" may be a user or a group; holds_permission only
	// permission_scheme).
	cases := map[string]struct {
		app  testApp
		keep kinds
	}{
		"no customers":   {testApp{AccountTypes: []string{"atlassian", "app"}}, allKinds},
		"atlassian only": {testApp{AccountTypes: []string{"atlassian"}}, allKinds},
		"active only":    {testApp{IncludeInactiveUsers: boolp(false)}, allKinds},
		"project keys":   {testApp{ProjectKeys: []string{"P1", "P4", "NOPE"}}, allKinds},
		"entity kinds": {testApp{EntityKinds: []string{"user", "group", "project"}},
			kinds{ents: "user,group,project", rels: "member_of,lead_of"}},
		"relation kinds": {testApp{RelationKinds: []string{"has_role", "holds_permission"}},
			kinds{ents: allKinds.ents, rels: "has_role,holds_permission"}},
		"roles without users": {testApp{EntityKinds: []string{"project_role", "role"}, AccountTypes: []string{"app"}},
			kinds{ents: "project_role,role", rels: "has_role,instance_of"}},
		"schemes only": {testApp{EntityKinds: []string{"permission_scheme"}},
			kinds{ents: "permission_scheme", rels: "holds_permission"}},
		"active org customers": {testApp{IncludeInactiveUsers: boolp(false), AccountTypes: []string{"customer", "atlassian"}}, allKinds},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeSite(400, 10, 8)
			addOrg(f)
			app := tc.app
			app.Concurrency = 4
			org := strings.Contains(name, "org")
			if org {
				app.OrgID, app.OrgAPIKey = "org", secret.New("key")
			}
			s, _, err := runFake(t, context.Background(), f, app, 1000)
			if err != nil {
				t.Fatal(err)
			}
			wantE, wantR := expectedKinds(f, app, org, tc.keep)
			compare(t, s, wantE, wantR)
			if !tc.keep.entity(model.User) && !tc.keep.relation(model.HasRole) && f.count("users") > 0 {
				t.Errorf("users/search read although nothing needs it")
			}
			if !tc.keep.entity(model.Group) && f.count("groups") > 0 {
				t.Errorf("group/bulk read although groups are not extracted")
			}
		})
	}
}

// addOrg gives f an organization: accounts matching some Jira users (with
// emails Jira hides), accounts Jira does not list, and groups.
func addOrg(f *fakeSite) {
	for i := 0; i < len(f.users); i += 3 {
		u := f.users[i]
		status := "active"
		if !u.Active {
			status = "inactive"
		}
		ou := jira.OrgUser{AccountID: u.AccountID, AccountType: u.AccountType, AccountStatus: status, Name: u.DisplayName,
			Email: fmt.Sprintf("org%d@example.com", i), LastActive: "2024-05-06T07:08:09.123Z"}
		if i%2 == 0 {
			ou.ProductAccess = []jira.ProductAccess{{Key: "jira-software"}, {Key: "confluence"}}
		}
		f.orgUsers = append(f.orgUsers, ou)
	}
	for i := range 9 {
		status, typ := "active", "atlassian"
		if i%3 == 0 {
			status = "closed"
		}
		if i%4 == 0 {
			typ = "customer"
		}
		f.orgUsers = append(f.orgUsers, jira.OrgUser{AccountID: fmt.Sprintf("org-only-%d", i), AccountType: typ, AccountStatus: status, Name: fmt.Sprintf("Org %d", i)})
	}
	f.orgGrps = []jira.OrgGroup{{ID: "grp-001", Name: "group-1"}, {ID: "org-grp-1", Name: "org one", Description: "from the org"}, {ID: "org-grp-2", Name: "org two"}}
}

func TestOrgAccess(t *testing.T) {
	f := newFakeSite(1500, 10, 5)
	addOrg(f)
	app := testApp{Concurrency: 4, OrgID: "org", OrgAPIKey: secret.New("key")}
	s, _, err := runFake(t, context.Background(), f, app, 1000)
	if err != nil {
		t.Fatal(err)
	}
	wantE, wantR := expected(f, app, true)
	compare(t, s, wantE, wantR)
	u := s.ents["user\x00acc-0003"]
	if u.Attrs["email"] != "org3@example.com" || u.Attrs["account_status"] != "active" || u.Attrs["last_active"] == nil {
		t.Errorf("user not enriched: %v", u.Attrs)
	}
	if _, ok := s.ents["user\x00org-only-4"]; !ok {
		t.Error("an org account Jira does not list is missing")
	}
	if g := s.ents["group\x00org-grp-1"]; g.Attrs["description"] != "from the org" {
		t.Errorf("org group: %v", g)
	}
}

// selfBounded is a Source that bounds its own requests on the wire, as
// *jira.Client does.
type selfBounded struct{ *fakeSite }

func (selfBounded) InFlightLimit() int { return 1 }

// A Source that bounds its own requests (and releases its slot while a
// request waits to be retried) gets no second bound from the pipeline: a
// pipeline slot would be held across the Source's whole retry loop.
func TestSelfBoundedSourceIsNotBoundAgain(t *testing.T) {
	app := testApp{Concurrency: 2}
	if r := newRun(Options{Filter: app.options().Filter, Concurrency: app.Concurrency, OrgAccess: app.options().OrgAccess, Source: selfBounded{newFakeSite(10, 2, 2)}}); r.sem != nil {
		t.Fatal("the pipeline holds its own slots around a self-bounded Source")
	}
	if r := newRun(Options{Filter: app.options().Filter, Concurrency: app.Concurrency, OrgAccess: app.options().OrgAccess, Source: newFakeSite(10, 2, 2)}); cap(r.sem) != 2 {
		t.Fatalf("a plain Source is bound to %d in-flight requests, want 2", cap(r.sem))
	}
	// And a run through it is complete.
	f := newFakeSite(345, 20, 30)
	s := newMemSink(t, 50)
	if _, err := Run(context.Background(), Options{Filter: app.options().Filter, Concurrency: app.Concurrency, OrgAccess: app.options().OrgAccess, Source: selfBounded{f}, Sink: s, BatchRows: 50,
		IsNotFound: isStatus(404), IsForbidden: isStatus(403)}); err != nil {
		t.Fatal(err)
	}
	wantE, wantR := expected(f, app, false)
	compare(t, s, wantE, wantR)
}
