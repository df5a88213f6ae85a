package host

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/plugin"
	"github.com/govextract/jira-extractor/plugin/extractorv1"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

// v1PluginPkg is the plugin as a build from before protocol version 2.
const v1PluginPkg = "github.com/govextract/jira-extractor/internal/pluginserver/v1plugin"

// TestHostV1OnlyAgainstNewPlugin: a host that offers only version 1 (an
// older runner) still describes and runs jobs with the new plugin, and
// apply is refused on the host side.
func TestHostV1OnlyAgainstNewPlugin(t *testing.T) {
	_, url := startSim(t, sim.Faults{})
	h := startHostConfig(t, nil, Config{Path: pluginBin, Versions: []int{1}})
	if h.ProtocolVersion() != 1 {
		t.Fatalf("negotiated version %d, want 1", h.ProtocolVersion())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, err := h.Describe(ctx)
	if err != nil || d.GetProtocolVersion() != 1 {
		t.Fatalf("describe: %v, %v", d, err)
	}
	dest := t.TempDir()
	job := &extractorv1.Job{JobJson: simtest.Job(t, url, dest, nil)}
	res, err := h.Extract(ctx, &extractorv1.ExtractRequest{Job: job, RunId: "01V1"}, nil)
	if err != nil || res.GetStatus() != manifest.StatusComplete || res.GetLocation() != filepath.Join(dest, "01V1") {
		t.Fatalf("extract over version 1: %v, %v", res, err)
	}
	if _, err := h.Apply(ctx, &extractorv2.ApplyRequest{Job: job}, nil); !errors.Is(err, plugin.ErrNeedsProtocolV2) {
		t.Errorf("apply over version 1: %v, want ErrNeedsProtocolV2", err)
	}
	// The other calls of version 2 are refused too, each naming its command.
	for name, call := range map[string]func() error{
		"run --since": func() error {
			_, err := h.ExtractSince(ctx, &extractorv2.ExtractSinceRequest{Extract: &extractorv1.ExtractRequest{Job: job}, Since: "auto"}, nil)
			return err
		},
		"tickets": func() error { _, err := h.Tickets(ctx, &extractorv2.TicketsRequest{Job: job}); return err },
		"diff":    func() error { _, err := h.Diff(ctx, &extractorv2.DiffRequest{}); return err },
		"access":  func() error { _, err := h.Access(ctx, &extractorv2.AccessRequest{}, nil); return err },
	} {
		if err := call(); !errors.Is(err, plugin.ErrNeedsProtocolV2) || !strings.Contains(err.Error(), name+" needs plugin protocol version 2") {
			t.Errorf("%s over version 1: %v, want ErrNeedsProtocolV2 naming the command", name, err)
		}
	}
}

// TestHostAgainstV1OnlyPlugin: the new host negotiates version 1 with an
// older plugin, runs its version 1 calls, and says clearly that apply needs
// version 2.
func TestHostAgainstV1OnlyPlugin(t *testing.T) {
	bin, cleanup, err := simtest.BuildBinary(v1PluginPkg)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	h := startHostConfig(t, nil, Config{Path: bin})
	if h.ProtocolVersion() != 1 {
		t.Fatalf("negotiated version %d, want 1", h.ProtocolVersion())
	}
	ctx := context.Background()
	if d, err := h.Describe(ctx); err != nil || d.GetProtocolVersion() != 1 {
		t.Fatalf("describe: %v, %v", d, err)
	}
	_, err = h.Apply(ctx, &extractorv2.ApplyRequest{}, nil)
	if !errors.Is(err, plugin.ErrNeedsProtocolV2) || !strings.Contains(err.Error(), "protocol version 1") || !strings.Contains(err.Error(), bin) {
		t.Errorf("apply: %v; want it to name the plugin, its version 1 and that apply needs version 2", err)
	}
	if _, err := h.ValidatePlan(ctx, &extractorv2.ValidatePlanRequest{}); !errors.Is(err, plugin.ErrNeedsProtocolV2) {
		t.Errorf("validate plan: %v", err)
	}
}

// TestHostValidatePlan: the default host negotiates version 2 with the new
// plugin, and ValidatePlan names each bad action's id and field.
func TestHostValidatePlan(t *testing.T) {
	h := startHost(t, nil)
	if h.ProtocolVersion() != 2 {
		t.Fatalf("negotiated version %d, want 2", h.ProtocolVersion())
	}
	resp, err := h.ValidatePlan(context.Background(), &extractorv2.ValidatePlanRequest{
		Job:        &extractorv1.Job{JobJson: simtest.Job(t, "http://127.0.0.1:1", t.TempDir(), nil)},
		Plan:       []byte("id,op,relation,from_type,from_id,to_type,to_id\nx1,grant,member_of,user,u1,group,\n"),
		PlanFormat: plugin.PlanCSV,
	})
	if err != nil || len(resp.GetJobProblems()) != 0 || len(resp.GetPlanProblems()) != 1 {
		t.Fatalf("validate plan: %v, %v", resp, err)
	}
	if p := resp.GetPlanProblems()[0]; p.GetActionId() != "x1" || p.GetField() != "to_id" || p.GetWhere() != "line 2" {
		t.Errorf("problem %v, want action x1, field to_id, line 2", p)
	}
}
