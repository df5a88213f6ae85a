package pluginserver

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/applycmd"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/plan"
	"github.com/govextract/jira-extractor/plugin"
	"github.com/govextract/jira-extractor/plugin/extractorv1"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

// serveV2 serves a Server with opts as protocol version 2 on 127.0.0.1.
func serveV2(t *testing.T, opts Options) *plugin.GRPCClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(plugin.ServerOptions(hclog.NewNullLogger())...)
	extractorv2.RegisterExtractorServiceServer(gs, plugin.NewGRPCServer(context.Background(), New(opts), "").V2())
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return plugin.NewGRPCClientV2(extractorv2.NewExtractorServiceClient(conn))
}

const threeGrants = `{"actions": [
 {"id": "g1", "op": "grant", "relation": "member_of", "from_type": "user", "from_id": "u1", "to_type": "group", "to_id": "grp1"},
 {"id": "g2", "op": "grant", "relation": "member_of", "from_type": "user", "from_id": "u2", "to_type": "group", "to_id": "grp1"},
 {"id": "g3", "op": "revoke", "relation": "member_of", "from_type": "user", "from_id": "u3", "to_type": "group", "to_id": "grp2"}
]}`

// TestApplyReportsEveryProblemAtOnce: a bad job and a bad plan give one
// result with exit code 2 that names every job key and every action id and
// field, and the engine is never called.
func TestApplyReportsEveryProblemAtOnce(t *testing.T) {
	called := false
	c := serveV2(t, Options{Apply: func(context.Context, *config.Job, *plan.Plan, applycmd.Options, func(apply.Progress)) (applycmd.Result, error) {
		called = true
		return applycmd.Result{}, nil
	}})
	badPlan := `{"actions": [
 {"id": "a1", "op": "grant", "relation": "member_of", "from_type": "user", "from_id": "u1", "to_type": "group"},
 {"id": "a2", "op": "explode", "relation": "member_of", "from_type": "user", "from_id": "u1", "to_type": "group", "to_id": "g"}
]}`
	res, err := c.Apply(context.Background(), &extractorv2.ApplyRequest{
		Job:  &extractorv1.Job{JobJson: []byte(`{"appConfig": {"siteName": "Not A Label"}}`)},
		Plan: []byte(badPlan), PlanFormat: plugin.PlanJSON,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.GetExitCode() != plugin.ExitUsage || called {
		t.Fatalf("exit %d, engine called %v; want 2 without calling it", res.GetExitCode(), called)
	}
	var keys, ids []string
	for _, p := range res.GetJobProblems() {
		keys = append(keys, p.GetKey())
	}
	for _, p := range res.GetPlanProblems() {
		ids = append(ids, p.GetActionId()+"."+p.GetField())
	}
	if !slices.Contains(keys, "appConfig.token") || !slices.Contains(keys, "appConfig.siteName") {
		t.Errorf("job problems name %v", keys)
	}
	if !slices.Contains(ids, "a1.to_id") || !slices.Contains(ids, "a2.op") {
		t.Errorf("plan problems name %v", ids)
	}

	// ValidatePlan says the same, and a format it does not know is named.
	vp, err := c.ValidatePlan(context.Background(), &extractorv2.ValidatePlanRequest{Job: &extractorv1.Job{JobJson: testJob(t, t.TempDir())}, Plan: []byte(threeGrants), PlanFormat: "xml"})
	if err != nil || len(vp.GetJobProblems()) != 0 || len(vp.GetPlanProblems()) != 1 || vp.GetPlanProblems()[0].GetField() != "plan_format" {
		t.Errorf("ValidatePlan(xml) = %v, %v", vp, err)
	}
	vp, err = c.ValidatePlan(context.Background(), &extractorv2.ValidatePlanRequest{Job: &extractorv1.Job{JobJson: testJob(t, t.TempDir())}, Plan: []byte(threeGrants), PlanFormat: plugin.PlanJSON})
	if err != nil || len(vp.GetJobProblems())+len(vp.GetPlanProblems()) != 0 || vp.GetActions() != 3 || vp.GetSite() != "acme" {
		t.Errorf("ValidatePlan(valid) = %v, %v", vp, err)
	}
}

// TestApplyStreamsEveryOutcome: each outcome the engine finishes (in any
// order) reaches the host as an ActionResult with its plan index, the last
// progress event says all done, the request's options reach the engine,
// and the summary carries the run folder, counts and exit code.
func TestApplyStreamsEveryOutcome(t *testing.T) {
	dest := t.TempDir()
	var gotOpts applycmd.Options
	c := serveV2(t, Options{Apply: func(_ context.Context, job *config.Job, p *plan.Plan, o applycmd.Options, onProgress func(apply.Progress)) (applycmd.Result, error) {
		gotOpts = o
		now := time.Now().UTC()
		statuses := []apply.Status{apply.Failed, apply.Applied, apply.Skipped}
		var r apply.Result
		r.Summary.Total = len(p.Actions)
		r.Summary.Counts = map[apply.Status]int{}
		for k, i := range []int{2, 0, 1} { // finish order differs from plan order
			a := p.Actions[i]
			out := apply.Outcome{ID: a.ID, Op: string(a.Op), Relation: a.Relation, FromType: a.FromType, FromID: a.FromID, ToType: a.ToType, ToID: a.ToID,
				Status: statuses[k], HTTPStatus: 204, Message: "m-" + a.ID, Attempts: 1, StartedAt: now, FinishedAt: now}
			r.Summary.Counts[out.Status]++
			r.Outcomes = append(r.Outcomes, out)
			onProgress(apply.Progress{Done: k + 1, Total: len(p.Actions), Counts: r.Summary.Counts, Last: out})
		}
		loc := filepath.Join(job.Output.Destination, o.RunID)
		m := &applycmd.Manifest{Kind: applycmd.Kind, Manifest: manifest.Manifest{RunID: o.RunID, Status: manifest.StatusPartial}}
		return applycmd.Result{Apply: r, Location: loc, Manifest: m, ExitCode: apply.ExitPartial}, nil
	}})
	var actions []*extractorv2.ActionResult
	var last *extractorv2.ApplyProgress
	res, err := c.Apply(context.Background(), &extractorv2.ApplyRequest{
		Job:  &extractorv1.Job{JobJson: testJob(t, filepath.Join(dest, "ignored")), Overrides: &extractorv1.Overrides{OutputDestination: dest}},
		Plan: []byte(threeGrants), PlanFormat: plugin.PlanJSON, RunId: "RUN1", MaxChanges: 7, AllowSelf: true, DryRun: true,
	}, func(ev *extractorv2.ApplyResponse) error {
		if a := ev.GetAction(); a != nil {
			actions = append(actions, a)
		}
		if p := ev.GetProgress(); p != nil {
			last = p
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if gotOpts.RunID != "RUN1" || gotOpts.MaxChanges != 7 || !gotOpts.AllowSelf || !gotOpts.DryRun {
		t.Errorf("engine options = %+v", gotOpts)
	}
	var order []string
	for _, a := range actions {
		order = append(order, a.GetId()+"@"+string(rune('0'+a.GetIndex()))+":"+a.GetStatus())
		if a.GetMessage() != "m-"+a.GetId() || a.GetHttpStatus() != 204 || a.GetStartedAt() == nil || a.GetRelation() != "member_of" {
			t.Errorf("action %v lost fields", a)
		}
	}
	if got := strings.Join(order, " "); got != "g3@2:failed g1@0:applied g2@1:skipped" {
		t.Errorf("actions = %s", got)
	}
	if last.GetDone() != 3 || last.GetTotal() != 3 || last.GetCounts()["failed"] != 1 || last.GetCounts()["ticketed"] != 0 {
		t.Errorf("last progress = %v", last)
	}
	want := filepath.Join(dest, "RUN1")
	if res.GetLocation() != want || res.GetManifestLocation() != filepath.Join(want, "manifest.json") || res.GetExitCode() != plugin.ExitPartial ||
		res.GetStatus() != manifest.StatusPartial || res.GetCounts()["applied"] != 1 || res.GetTotal() != 3 || !res.GetDryRun() {
		t.Errorf("result = %v", res)
	}
}

// TestApplyEngineErrorIsReported: an apply that could not run (exit 1)
// reports the engine's error and no run folder.
func TestApplyEngineErrorIsReported(t *testing.T) {
	c := serveV2(t, Options{Apply: func(context.Context, *config.Job, *plan.Plan, applycmd.Options, func(apply.Progress)) (applycmd.Result, error) {
		return applycmd.Result{ExitCode: apply.ExitNoRun}, errors.New("apply: connect to the site: 401 Unauthorized")
	}})
	res, err := c.Apply(context.Background(), &extractorv2.ApplyRequest{Job: &extractorv1.Job{JobJson: testJob(t, t.TempDir())}, Plan: []byte(threeGrants), PlanFormat: plugin.PlanJSON}, nil)
	if err != nil || res.GetExitCode() != plugin.ExitFailed || res.GetStatus() != manifest.StatusFailed || res.GetLocation() != "" ||
		!strings.Contains(res.GetError(), "401") || res.GetRunId() == "" {
		t.Errorf("Apply = %v, %v", res, err)
	}
}

// TestProtocolConstantsMatchTheEngine: the protocol's list of statuses and
// its plan size limit are the engine's.
func TestProtocolConstantsMatchTheEngine(t *testing.T) {
	var statuses []string
	for _, s := range apply.Statuses {
		statuses = append(statuses, string(s))
	}
	if !slices.Equal(statuses, plugin.ActionStatuses) {
		t.Errorf("plugin.ActionStatuses %v, engine %v", plugin.ActionStatuses, statuses)
	}
	if plugin.MaxPlanBytes != plan.MaxBytes {
		t.Errorf("plugin.MaxPlanBytes %d, plan.MaxBytes %d", plugin.MaxPlanBytes, plan.MaxBytes)
	}
	if string(plan.JSON) != plugin.PlanJSON || string(plan.CSV) != plugin.PlanCSV {
		t.Error("plan format names differ")
	}
}
