package applycmd

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/apply"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/plan"
)

func TestDryRunWritesNothingAndSaysWhatWouldChange(t *testing.T) {
	s := startSite(t, sim.Config{Size: "small", Seed: 7})
	p, _ := everyOpPlan(t, s)
	before := s.state()
	s.srv.ResetStats()
	res, err := Apply(context.Background(), s.job(t, t.TempDir(), nil), p, Options{DryRun: true}, nil)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("dry-run: exit %d, %v", res.ExitCode, err)
	}
	if st := s.srv.Stats(); st.Writes != 0 || st.WriteRequests != 0 {
		t.Errorf("dry-run wrote: %d writes, %d write requests", st.Writes, st.WriteRequests)
	}
	for _, o := range res.Apply.Outcomes {
		if o.Status != apply.Skipped || o.Reason != apply.ReasonDryRun || !strings.HasPrefix(o.Message, "dry-run: would ") {
			t.Errorf("%s: %s %q", o.ID, o.Status, o.Message)
		}
	}
	checkRelations(t, s.state(), wantAfter(before, &plan.Plan{}))
	if !res.Manifest.DryRun || res.Manifest.Counts["skipped"] != len(p.Actions) || res.Journal != "" {
		t.Errorf("manifest dry_run %v counts %v journal %q", res.Manifest.DryRun, res.Manifest.Counts, res.Journal)
	}
	var sum strings.Builder
	WriteSummary(&sum, res)
	if !strings.Contains(sum.String(), "dry-run: 10 actions") || !strings.Contains(sum.String(), `"grant-member": dry-run: would add user`) {
		t.Errorf("summary:\n%s", sum.String())
	}
}

func TestMaxChangesRefusesTheWholePlan(t *testing.T) {
	s := startSite(t, sim.Config{Size: "small", Seed: 7})
	p, _ := everyOpPlan(t, s)
	s.srv.ResetStats()
	res, err := Apply(context.Background(), s.job(t, t.TempDir(), nil), p, Options{MaxChanges: len(p.Actions) - 1}, nil)
	if err != nil || res.ExitCode != apply.ExitPartial {
		t.Fatalf("exit %d, %v", res.ExitCode, err)
	}
	for _, o := range res.Apply.Outcomes {
		if o.Status != apply.Skipped || o.Reason != apply.ReasonMaxChanges {
			t.Errorf("%s: %s %s", o.ID, o.Status, o.Message)
		}
	}
	if st := s.srv.Stats(); st.WriteRequests != 0 {
		t.Errorf("%d write requests", st.WriteRequests)
	}
	if res.Manifest.Status != "partial" || len(res.Manifest.Warnings) != len(p.Actions) {
		t.Errorf("manifest status %s, %d warnings", res.Manifest.Status, len(res.Manifest.Warnings))
	}
}

// selfPlan takes access away from the job's own account: a membership and
// (when it has one) a project role it holds through a group.
func selfPlan(t *testing.T, s *site) *plan.Plan {
	st := s.state()
	var acts []plan.Action
	groups := map[string]bool{}
	for _, r := range st.rels {
		if r.Kind == model.MemberOf && r.FromID == s.self {
			groups[r.ToID] = true
			if len(acts) == 0 {
				acts = append(acts, actionOf("self-member", plan.Revoke, r))
			}
		}
	}
	for _, r := range st.rels {
		if r.Kind == model.HasRole && r.FromType == "group" && groups[r.FromID] && r.FromID != acts[0].ToID {
			acts = append(acts, actionOf("self-role-via-group", plan.Revoke, r))
			break
		}
	}
	acts = append(acts, userAction("self-suspend", plan.Suspend, s.self))
	if len(acts) < 3 {
		t.Fatalf("the site gives no self role through a group: %d actions", len(acts))
	}
	return &plan.Plan{Actions: acts}
}

func TestSelfLockoutGuardAndAllowSelf(t *testing.T) {
	s := startSite(t, sim.Config{Size: "small", Seed: 7})
	p := selfPlan(t, s)
	before := s.state()
	s.srv.ResetStats()
	job := s.job(t, t.TempDir(), nil)
	res, err := Apply(context.Background(), job, p, Options{}, nil)
	if err != nil || res.ExitCode != apply.ExitPartial {
		t.Fatalf("exit %d, %v", res.ExitCode, err)
	}
	for _, o := range res.Apply.Outcomes {
		if o.Status != apply.Skipped || o.Reason != apply.ReasonSelf || !strings.Contains(o.Message, "--allow-self") {
			t.Errorf("%s: %s %s", o.ID, o.Status, o.Message)
		}
	}
	if st := s.srv.Stats(); st.WriteRequests != 0 {
		t.Errorf("%d write requests under the guard", st.WriteRequests)
	}
	if _, err := os.Stat(res.Journal); res.JournalKept || !os.IsNotExist(err) {
		t.Errorf("an apply that went through every action kept its journal %s (%v)", res.Journal, err)
	}
	checkRelations(t, s.state(), wantAfter(before, &plan.Plan{}))

	res, err = Apply(context.Background(), job, p, Options{AllowSelf: true}, nil)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("--allow-self: exit %d, %v %+v", res.ExitCode, err, res.Apply.Outcomes)
	}
	for _, o := range res.Apply.Outcomes {
		if o.Status != apply.Applied {
			t.Errorf("--allow-self %s: %s %s", o.ID, o.Status, o.Message)
		}
	}
	checkRelations(t, s.state(), wantAfter(before, p))
}

func TestWriteFaultsNeverWriteTwice(t *testing.T) {
	for _, f := range []struct {
		name   string
		faults sim.Faults
	}{
		{"500 after the write", sim.Faults{AfterWrite500: 1}},
		{"connection dropped after the write", sim.Faults{AfterWriteReset: 1}},
	} {
		t.Run(f.name, func(t *testing.T) {
			s := startSite(t, sim.Config{Size: "small", Seed: 7})
			p, _ := everyOpPlan(t, s)
			before := s.state()
			s.srv.SetFaults(f.faults)
			s.srv.ResetStats()
			res, err := Apply(context.Background(), s.job(t, t.TempDir(), nil), p, Options{}, nil)
			if err != nil || res.ExitCode != 0 {
				t.Fatalf("exit %d, %v %+v", res.ExitCode, err, res.Apply.Outcomes)
			}
			for _, o := range res.Apply.Outcomes {
				if o.Status != apply.Applied || o.Attempts != 1 || !strings.Contains(o.Message, "took effect although") {
					t.Errorf("%s: %s after %d attempts: %s", o.ID, o.Status, o.Attempts, o.Message)
				}
			}
			st := s.srv.Stats()
			if st.Writes != int64(len(p.Actions)) || st.WriteRequests != int64(len(p.Actions)) {
				t.Errorf("writes %d, write requests %d; want %d each (no write sent twice)", st.Writes, st.WriteRequests, len(p.Actions))
			}
			checkRelations(t, s.state(), wantAfter(before, p))
		})
	}
}

func TestThrottledWritesWaitAndSucceed(t *testing.T) {
	s := startSite(t, sim.Config{Size: "small", Seed: 7})
	p, _ := everyOpPlan(t, s)
	before := s.state()
	s.srv.SetFaults(sim.Faults{Rate429: 0.2})
	s.srv.ResetStats()
	res, err := Apply(context.Background(), s.job(t, t.TempDir(), map[string]any{"appConfig.maxRetries": 20}), p,
		Options{Backoff: func(int) time.Duration { return time.Millisecond }}, nil)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("exit %d, %v %+v", res.ExitCode, err, res.Apply.Outcomes)
	}
	if st := s.srv.Stats(); st.Writes != int64(len(p.Actions)) || st.Throttled == 0 {
		t.Errorf("writes %d, want %d; throttled %d, want some", st.Writes, len(p.Actions), st.Throttled)
	}
	checkRelations(t, s.state(), wantAfter(before, p))
}
