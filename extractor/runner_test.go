package extractor_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
)

func TestRunSmallEqualsTruth(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1})
	dest := t.TempDir()
	job := newJob(t, url, dest, nil)

	var inEvent atomic.Bool
	var mu sync.Mutex
	var evs []extractor.Event
	m, err := runJob(context.Background(), job, extractor.RunOptions{RunID: "run-small", OnEvent: func(e extractor.Event) {
		if !inEvent.CompareAndSwap(false, true) {
			t.Error("events delivered concurrently")
		}
		mu.Lock()
		evs = append(evs, e)
		mu.Unlock()
		inEvent.Store(false)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != manifest.StatusComplete || extractor.ExitCode(m, err) != extractor.ExitComplete {
		t.Fatalf("status %s, warnings %v", m.Status, m.Warnings)
	}
	if m.RunID != "run-small" || m.SchemaVersion != manifest.SchemaVersion || m.Extractor.Name != extractor.Name || m.Site != "sim" ||
		m.StartedAt.IsZero() || m.FinishedAt.Before(m.StartedAt) || m.StartedAt.Location() != time.UTC {
		t.Errorf("manifest header: %+v", m)
	}
	got := readRun(t, runDir(dest, "run-small"))
	diff(t, got, truthRows(srv.Truth(sim.TruthOptions{})))

	st := srv.Stats()
	if limit := float64(st.Floor) * 1.02; float64(st.Requests) > limit {
		t.Errorf("%d requests for a floor of %d (limit %.0f): %v", st.Requests, st.Floor, limit, st.ByEndpoint)
	}
	if m.Requests.Total != st.Requests {
		t.Errorf("manifest counts %d requests, the simulator %d", m.Requests.Total, st.Requests)
	}

	// Events: tables after commit, a final progress whose rows add up.
	mu.Lock()
	defer mu.Unlock()
	var tables int
	for _, e := range evs {
		if e.Type == extractor.EventTable {
			tables++
		}
		if e.Type == extractor.EventWarning {
			t.Errorf("warning on a clean run: %v", e.Warning)
		}
	}
	if tables != len(model.SourceTypes)+len(model.AllRelationKinds()) {
		t.Errorf("%d table events, want %d", tables, len(model.SourceTypes)+len(model.AllRelationKinds()))
	}
	last := evs[len(evs)-1]
	if last.Type != extractor.EventProgress {
		t.Fatalf("last event is %v, want the final progress", last.Type)
	}
	var want, have int64
	for _, tb := range m.Tables {
		want += tb.Rows
	}
	for _, n := range last.Progress.Rows {
		have += n
	}
	if have != want || last.Progress.Requests != st.Requests {
		t.Errorf("final progress: %d rows, %d requests; manifest %d rows, simulator %d requests", have, last.Progress.Requests, want, st.Requests)
	}
	if last.Progress.PlannedRequests < st.Floor*9/10 {
		t.Errorf("planned requests %d, floor %d: the plan does not follow page totals", last.Progress.PlannedRequests, st.Floor)
	}
}

func TestRunMediumishWithinFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	srv, url := simtest.StartSim(t, sim.Config{Seed: 7, Users: 3500, Groups: 120, Projects: 130, MeanMembersPerGroup: 40})
	dest := t.TempDir()
	m, err := runJob(context.Background(), newJob(t, url, dest, nil), extractor.RunOptions{RunID: "r"})
	if err != nil || m.Status != manifest.StatusComplete {
		t.Fatalf("status %v, err %v", m.Status, err)
	}
	diff(t, readRun(t, runDir(dest, "r")), truthRows(srv.Truth(sim.TruthOptions{})))
	st := srv.Stats()
	if limit := float64(st.Floor) * 1.02; float64(st.Requests) > limit {
		t.Errorf("%d requests for a floor of %d (limit %.0f): %v", st.Requests, st.Floor, limit, st.ByEndpoint)
	}
}

func TestRunWithFaultsEqualsTruth(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 3, Users: 2600, MeanMembersPerGroup: 40})
	srv.SetFaults(sim.Faults{Rate500: 0.03, Rate503: 0.03, RateReset: 0.02, RateTruncated: 0.03, Rate409UserSearch: 0.2,
		ShortUserPages: true, Rate429: 0.03})
	dest := t.TempDir()
	m, err := runJob(context.Background(), newJob(t, url, dest, map[string]any{"maxRetries": 10}), extractor.RunOptions{RunID: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != manifest.StatusComplete {
		t.Fatalf("status %s: %v", m.Status, m.Warnings)
	}
	diff(t, readRun(t, runDir(dest, "r")), truthRows(srv.Truth(sim.TruthOptions{})))
	st := srv.Stats()
	t.Logf("%d requests (floor %d), %d retries, %d throttled, %d faults, took %s", st.Requests, st.Floor, m.Requests.Retries, m.Requests.Throttled, st.Faults, m.FinishedAt.Sub(m.StartedAt))
	if st.Faults == 0 || m.Requests.Retries == 0 {
		t.Errorf("no faults were injected (faults %d, retries %d): the test proves nothing", st.Faults, m.Requests.Retries)
	}
}

func TestRunPartial(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 5, MeanMembersPerGroup: 60})
	tr := srv.Truth(sim.TruthOptions{})
	// Two projects, and the largest group (more than one member page).
	var projects []string
	members := map[string]int{}
	for _, e := range tr.Entities {
		if e.SourceType == model.Project && len(projects) < 2 {
			projects = append(projects, e.SourceID)
		}
	}
	for _, r := range tr.Relations {
		if r.Kind == model.MemberOf {
			members[r.ToID]++
		}
	}
	big := ""
	for g, n := range members {
		if n > members[big] {
			big = g
		}
	}
	if members[big] <= 50 {
		t.Fatalf("largest group has %d members: need more than one page", members[big])
	}
	srv.SetFaults(sim.Faults{ForbiddenProjects: projects[:1], NotFoundProjects: projects[1:], VanishingGroups: []string{big}})
	dest := t.TempDir()
	var mu sync.Mutex
	var warned []string
	m, err := runJob(context.Background(), newJob(t, url, dest, nil), extractor.RunOptions{RunID: "r", OnEvent: func(e extractor.Event) {
		if e.Type == extractor.EventWarning {
			mu.Lock()
			warned = append(warned, e.Warning.Scope)
			mu.Unlock()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != manifest.StatusPartial || extractor.ExitCode(m, err) != extractor.ExitPartial {
		t.Fatalf("status %s, want partial", m.Status)
	}
	var scopes []string
	for _, w := range m.Warnings {
		scopes = append(scopes, w.Scope)
	}
	want := []string{"group " + big + " members", "project " + projects[0] + " roles", "project " + projects[1] + " roles"}
	if strings.Join(scopes, ",") != strings.Join(want, ",") {
		t.Errorf("warnings %v, want scopes %v", m.Warnings, want)
	}
	mu.Lock()
	if len(warned) != len(want) {
		t.Errorf("warning events %v, want %d", warned, len(want))
	}
	mu.Unlock()

	// Everything else is there: the truth minus the two projects' roles, and
	// the vanished group has exactly its first page of members.
	got := readRun(t, runDir(dest, "r"))
	var exp sim.Truth
	gone := func(prID string) bool {
		p := strings.SplitN(prID, ":", 2)[0]
		return p == projects[0] || p == projects[1]
	}
	for _, e := range tr.Entities {
		if !(e.SourceType == model.ProjectRole && gone(e.SourceID)) {
			exp.Entities = append(exp.Entities, e)
		}
	}
	for _, r := range tr.Relations {
		switch {
		case r.FromType == string(model.ProjectRole) && gone(r.FromID), r.ToType == string(model.ProjectRole) && gone(r.ToID):
		case r.Kind == model.MemberOf && r.ToID == big:
			if got.rels[r.Key()] {
				exp.Relations = append(exp.Relations, r)
			}
		default:
			exp.Relations = append(exp.Relations, r)
		}
	}
	diff(t, got, truthRows(exp))
	n := 0
	for _, r := range exp.Relations {
		if r.Kind == model.MemberOf && r.ToID == big {
			n++
		}
	}
	if n != 50 {
		t.Errorf("vanished group: %d members read, want its first page of 50", n)
	}
}

func TestRunOrgEqualsTruth(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 2})
	dest := t.TempDir()
	job := newJob(t, url, dest, map[string]any{"orgId": sim.DefaultOrgID, "orgApiKey": sim.DefaultOrgAPIKey})
	m, err := runJob(context.Background(), job, extractor.RunOptions{RunID: "r"})
	if err != nil || m.Status != manifest.StatusComplete {
		t.Fatalf("status %v err %v", m.Status, err)
	}
	diff(t, readRun(t, runDir(dest, "r")), truthRows(srv.Truth(sim.TruthOptions{Org: true})))
	st := srv.Stats()
	if limit := float64(st.FloorOrg) * 1.02; float64(st.Requests) > limit {
		t.Errorf("%d requests for an org floor of %d", st.Requests, st.FloorOrg)
	}
}

func TestRunFilters(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 4})
	tr := srv.Truth(sim.TruthOptions{})
	var keys []string
	for _, e := range tr.Entities {
		if e.SourceType == model.Project && len(keys) < 3 {
			keys = append(keys, e.Attrs["key"].(string))
		}
	}
	cases := map[string]map[string]any{
		"no customers":   {"accountTypes": []string{"atlassian", "app"}},
		"active only":    {"includeInactiveUsers": false},
		"project keys":   {"projectKeys": keys},
		"entity kinds":   {"entityKinds": []string{"user", "project", "project_role"}},
		"relation kinds": {"relationKinds": []string{"member_of", "holds_permission"}, "accountTypes": []string{"atlassian"}},
	}
	for name, extra := range cases {
		t.Run(name, func(t *testing.T) {
			dest := t.TempDir()
			job := newJob(t, url, dest, extra)
			m, err := runJob(context.Background(), job, extractor.RunOptions{RunID: "r"})
			if err != nil || m.Status != manifest.StatusComplete {
				t.Fatalf("status %v err %v", m.Status, err)
			}
			diff(t, readRun(t, runDir(dest, "r")), truthRows(filterTruth(tr, job)))
		})
	}
}

func TestRunCancelled(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1})
	srv.SetFaults(sim.Faults{Latency: 100 * time.Millisecond})
	dest := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelledAt atomic.Int64
	m, err := runJob(ctx, newJob(t, url, dest, nil), extractor.RunOptions{RunID: "r", OnEvent: func(e extractor.Event) {
		if e.Type == extractor.EventProgress && e.Progress.Requests >= 5 && cancelledAt.Load() == 0 {
			cancelledAt.Store(time.Now().UnixNano())
			cancel()
		}
	}})
	if cancelledAt.Load() == 0 {
		t.Fatalf("the run finished before it could be cancelled (err %v)", err)
	}
	if d := time.Since(time.Unix(0, cancelledAt.Load())); d > 3*time.Second {
		t.Errorf("took %s to stop after cancel", d)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if m == nil || m.Status != manifest.StatusCancelled {
		t.Fatalf("manifest %+v, want status cancelled", m)
	}
	if _, err := os.Stat(filepath.Join(dest, "r", manifest.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("manifest.json written for a cancelled run (stat: %v)", err)
	}
}

func TestRunRetriesExhausted(t *testing.T) {
	srv, _ := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1})
	url := serveWrapped(t, srv, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/permissionscheme") && !strings.Contains(r.URL.Path, "/project/") {
				http.Error(w, `{"errorMessages":["boom"]}`, http.StatusInternalServerError)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	dest := t.TempDir()
	m, err := runJob(context.Background(), newJob(t, url, dest, map[string]any{"maxRetries": 1}), extractor.RunOptions{RunID: "r"})
	if err == nil || !strings.Contains(err.Error(), "permissionscheme") {
		t.Fatalf("error %v, want one naming the permissionscheme endpoint", err)
	}
	if m.Status != manifest.StatusFailed || extractor.ExitCode(m, err) != extractor.ExitFailed {
		t.Errorf("status %s, want failed", m.Status)
	}
	if _, err := os.Stat(filepath.Join(dest, "r", manifest.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("manifest.json written for a failed run (stat: %v)", err)
	}
}

func TestRunBadToken(t *testing.T) {
	_, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 1})
	dest := t.TempDir()
	job := newJob(t, url, dest, map[string]any{"token": "sim@example.com:wrong-token"})
	m, err := runJob(context.Background(), job, extractor.RunOptions{RunID: "r"})
	if err == nil || strings.Contains(err.Error(), "wrong-token") {
		t.Fatalf("error %v: want a failure that does not echo the token", err)
	}
	if extractor.ExitCode(m, err) != extractor.ExitFailed {
		t.Errorf("exit code %d", extractor.ExitCode(m, err))
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 0 {
		t.Errorf("a run that could not authenticate wrote %d entries", len(entries))
	}
}

func TestRunHostileDataset(t *testing.T) {
	ds := filepath.Join("..", "testdata", "sites", "hostile.json")
	if _, err := os.Stat(ds); err != nil {
		t.Fatalf("checked-in dataset testdata/sites/hostile.json is missing: %v", err)
	}
	for _, tc := range []struct {
		name   string
		org    bool
		faults sim.Faults
	}{
		{name: "clean"},
		{name: "org", org: true},
		{name: "faults", faults: sim.Faults{Rate500: 0.03, Rate503: 0.02, RateReset: 0.02, RateTruncated: 0.03, Rate409UserSearch: 0.2, ShortUserPages: true, Rate429: 0.02}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, url := simtest.StartSim(t, sim.Config{DatasetFile: ds, Seed: 11, Faults: tc.faults})
			dest := t.TempDir()
			extra := map[string]any{"maxRetries": 10}
			if tc.org {
				extra["orgId"], extra["orgApiKey"] = sim.DefaultOrgID, sim.DefaultOrgAPIKey
			}
			m, err := runJob(context.Background(), newJob(t, url, dest, extra), extractor.RunOptions{RunID: "r"})
			if err != nil || m.Status != manifest.StatusComplete {
				t.Fatalf("status %v err %v warnings %v", m.Status, err, m.Warnings)
			}
			diff(t, readRun(t, runDir(dest, "r")), truthRows(srv.Truth(sim.TruthOptions{Org: tc.org})))
		})
	}
}

// TestRunSmallBatchesEqualsTruth: with tiny batches every table is flushed
// many times, and the last flush happens after every phase has returned.
// The last flush must run on the run's context, not on the phases' group
// context (cancelled once the group is done).
func TestRunSmallBatchesEqualsTruth(t *testing.T) {
	srv, url := simtest.StartSim(t, sim.Config{Size: "small", Seed: 2})
	dest := t.TempDir()
	job, err := config.Parse(simtest.Job(t, url, dest, map[string]any{
		"appConfig.requestsPerSecond": 2000, "appConfig.burst": 100, "output.batchRows": 5,
	}), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := runJob(context.Background(), job, extractor.RunOptions{RunID: "tiny-batches"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != manifest.StatusComplete {
		t.Fatalf("status %s: %v", m.Status, m.Warnings)
	}
	diff(t, readRun(t, runDir(dest, "tiny-batches")), truthRows(srv.Truth(sim.TruthOptions{})))
}
