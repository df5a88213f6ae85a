package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/pluginserver"
	"github.com/govextract/jira-extractor/internal/progress"
)

// TestProgressCrossesTheProtocol: what the plugin's tracker knows (rows,
// rates, ETA and the phases with their done of total) reaches the runner's
// display unchanged.
func TestProgressCrossesTheProtocol(t *testing.T) {
	want := progress.Snapshot{
		Rows:     map[string]int64{"user": 1200, "member_of": 40_000},
		Requests: 700, Retries: 3, Throttled: 2, PlannedRequests: 6047,
		Elapsed: 12 * time.Second, RequestRate: 58.3, ETA: 90 * time.Second,
		Phases: []progress.Phase{
			{Name: "users", Done: 0, Total: 0, Finished: true},
			{Name: "groups", Done: 120, Total: 400},
			{Name: "projects", Done: 7, Total: 500},
		},
	}
	got := progressFromProto(pluginserver.ProgressToProto(want))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("progress after the protocol:\n got %+v\nwant %+v", got, want)
	}
	unknown := want
	unknown.ETA, unknown.Phases = -1, nil
	if got := progressFromProto(pluginserver.ProgressToProto(unknown)); got.ETA != -1 || got.Phases != nil {
		t.Fatalf("unknown ETA and no phases came back as ETA %s, phases %v", got.ETA, got.Phases)
	}
}
