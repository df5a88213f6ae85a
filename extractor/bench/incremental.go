package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/access"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/output"
)

// IncScenario is a row of the incremental table: a full run of the site,
// one seeded churn step, then `run --since` with the full run as base and
// `diff` of the two runs.
type IncScenario struct {
	// Scenario is the site and the extractor's settings of both runs.
	Scenario
	// Churn is the step applied between the runs.
	Churn sim.Churn
	// Org configures an org key (orgId, orgApiKey) in the job.
	Org bool
	// MaxFloorShare, if set, is a target: the incremental run's requests
	// are at most this share of the full run's request floor.
	MaxFloorShare float64
	// MaxFloorRatio is a target: the incremental run's requests are at most
	// this many times the simulator's incremental floor.
	MaxFloorRatio float64
	// MaxDiffRSSMiB is the target peak RSS of the diff of the two runs.
	MaxDiffRSSMiB float64
}

// IncResult is the measured outcome of an IncScenario.
type IncResult struct {
	Scenario  string `json:"scenario"`
	Condition string `json:"condition"`
	// Churned counts the changes the step made, by kind.
	Churned map[string]int `json:"churned"`
	// The full run: requests, floor (FloorOrg with an org key), wall time
	// and peak RSS.
	FullRequests   int64   `json:"full_requests"`
	FullFloor      int64   `json:"full_floor"`
	FullWallSecs   float64 `json:"full_wall_seconds"`
	FullPeakRSSMiB float64 `json:"full_peak_rss_mib"`
	// The incremental run: requests, the simulator's incremental floor,
	// requests as a share of the full floor and against its own floor,
	// wall time and its share of the full run's, peak RSS.
	Requests     int64            `json:"requests"`
	Floor        int64            `json:"floor"`
	FloorShare   float64          `json:"full_floor_share"`
	RequestRatio float64          `json:"request_ratio"`
	WallSeconds  float64          `json:"wall_seconds"`
	WallShare    float64          `json:"full_wall_share"`
	PeakRSSMiB   float64          `json:"peak_rss_mib"`
	ByEndpoint   map[string]int64 `json:"by_endpoint"`
	// GroupsReread and ProjectsReread are the scopes the run read again
	// (from its log).
	GroupsReread   int    `json:"groups_reread"`
	ProjectsReread int    `json:"projects_reread"`
	Mode           string `json:"mode"`
	// ChangeRows counts the change set's rows (checked row by row against
	// the diff of the truths before and after the churn).
	ChangeRows int `json:"change_rows"`
	// DiffSeconds and DiffPeakRSSMiB measure `diff FULL INCREMENTAL`.
	DiffSeconds    float64 `json:"diff_seconds"`
	DiffPeakRSSMiB float64 `json:"diff_peak_rss_mib"`
	// TruthMatches: both runs equal the truth and both change sets equal
	// the expected one.
	TruthMatches bool `json:"truth_matches"`
}

// Incremental lists the rows of the incremental table: the large site at
// 10 ms latency and concurrency 16 (as large-lat10ms) with 1% churn,
// without and with an org key (then a tenth of the membership changes are
// made without an audit record). Without an org key the run is held to 3%
// of the full floor; with one, its own floor is above that (every Admin API
// account is read again: 2,000 pages of 100 on the large site, 2.4% of the
// full floor alone), so it is held to that floor only.
func Incremental() []IncScenario {
	large := Scenario{Site: "large", Faults: sim.Faults{Latency: 10 * time.Millisecond}, Concurrency: 16, RequestsPerSecond: 100000, Burst: 1000}
	plain, org := large, large
	plain.Name, plain.Condition = "large-lat10ms-churn1", "1% churn, all audited"
	org.Name, org.Condition = "large-lat10ms-churn1-org", "org key; 1% churn, 10% of membership changes unaudited"
	return []IncScenario{
		{Scenario: plain, Churn: sim.Churn{Rate: 0.01, Seed: 11}, MaxFloorShare: 0.03, MaxFloorRatio: 1.1, MaxDiffRSSMiB: 300},
		{Scenario: org, Churn: sim.Churn{Rate: 0.01, Unaudited: 0.1, Seed: 12}, Org: true, MaxFloorRatio: 1.1, MaxDiffRSSMiB: 300},
	}
}

// CheckTarget holds res to sc's targets.
func (sc IncScenario) CheckTarget(res IncResult) error {
	var errs []string
	if sc.MaxFloorShare > 0 && res.FloorShare > sc.MaxFloorShare {
		errs = append(errs, fmt.Sprintf("the incremental run made %d requests, %.2f%% of the full floor %d: the target is at most %.0f%%",
			res.Requests, 100*res.FloorShare, res.FullFloor, 100*sc.MaxFloorShare))
	}
	if sc.MaxFloorRatio > 0 && res.RequestRatio > sc.MaxFloorRatio {
		errs = append(errs, fmt.Sprintf("the incremental run made %d requests, %.3f× its floor %d: the target is at most %.2f×",
			res.Requests, res.RequestRatio, res.Floor, sc.MaxFloorRatio))
	}
	if res.DiffPeakRSSMiB > sc.MaxDiffRSSMiB {
		errs = append(errs, fmt.Sprintf("diff peaked at %.0f MiB RSS: the target is under %.0f MiB", res.DiffPeakRSSMiB, sc.MaxDiffRSSMiB))
	}
	if len(errs) > 0 {
		return fmt.Errorf("scenario %s: %s", sc.Name, strings.Join(errs, "; "))
	}
	return nil
}

// RunIncremental executes sc with the extractor binary at bin, writing into
// workDir. It fails when a run fails, a run differs from the truth, the
// second run is not incremental, or a change set differs from the diff of
// the truths before and after the churn.
func RunIncremental(ctx context.Context, bin, workDir string, sc IncScenario) (IncResult, error) {
	res := IncResult{Scenario: sc.Name, Condition: sc.Condition}
	srv, url, err := startSim(sc.Scenario)
	if err != nil {
		return res, err
	}
	defer srv.Close()
	dir := filepath.Join(workDir, sc.Name)
	var extra map[string]any
	if sc.Org {
		extra = map[string]any{"appConfig.orgId": sim.DefaultOrgID, "appConfig.orgApiKey": sim.DefaultOrgAPIKey}
	}
	jobPath, err := writeJob(dir, url, sc.Scenario, extra)
	if err != nil {
		return res, err
	}
	run := []string{"run", "--config", jobPath, "--no-progress", "--log-level", "info", "--log-format", "json"}
	truthOpts := sim.TruthOptions{Org: sc.Org}

	full, fullRun, err := runChecked(ctx, bin, srv, truthOpts, run)
	if err != nil {
		return res, fmt.Errorf("full run: %w", err)
	}
	st := srv.Stats()
	res.FullRequests, res.FullFloor = st.Requests, st.Floor
	if sc.Org {
		res.FullFloor = st.FloorOrg
	}
	res.FullWallSecs, res.FullPeakRSSMiB = full.wall.Seconds(), full.peakRSS

	before := srv.Truth(truthOpts)
	rep := srv.Churn(sc.Churn)
	res.Churned = rep.Changes
	srv.ResetStats()
	inc, incRun, err := runChecked(ctx, bin, srv, truthOpts, append(run, "--since", fullRun.Location().String()))
	if err != nil {
		return res, fmt.Errorf("incremental run: %w", err)
	}
	st = srv.Stats()
	res.Requests, res.ByEndpoint = st.Requests, st.ByEndpoint
	floor, floorOrg := srv.IncrementalFloor(fullRun.Manifest().StartedAt, rep.Groups, rep.Projects)
	res.Floor = floor
	if sc.Org {
		res.Floor = floorOrg
	}
	res.FloorShare = float64(res.Requests) / float64(res.FullFloor)
	res.RequestRatio = float64(res.Requests) / float64(res.Floor)
	res.WallSeconds, res.PeakRSSMiB = inc.wall.Seconds(), inc.peakRSS
	res.WallShare = res.WallSeconds / res.FullWallSecs
	res.Mode = incRun.Manifest().Mode
	if res.Mode != manifest.ModeIncremental {
		return res, fmt.Errorf("the --since run read in full: %s", incRun.Manifest().Reason)
	}
	res.GroupsReread, res.ProjectsReread = rereadCounts(inc.stderr)

	want := expectChanges(before, srv.Truth(truthOpts), access.DefaultPermissions)
	before = sim.Truth{}
	if res.ChangeRows, err = want.check(ctx, incRun); err != nil {
		return res, fmt.Errorf("incremental run: %w", err)
	}
	if res.DiffSeconds, res.DiffPeakRSSMiB, err = runDiff(ctx, bin, dir, fullRun, incRun, want); err != nil {
		return res, err
	}
	res.TruthMatches = true
	return res, nil
}

// runChecked runs the extractor with args, opens the run and checks it
// against the simulator's truth now.
func runChecked(ctx context.Context, bin string, srv *sim.Server, opts sim.TruthOptions, args []string) (runOutput, *output.RunReader, error) {
	out, err := runExtractor(ctx, bin, peakRSS, args...)
	if err != nil {
		return out, nil, err
	}
	loc, err := location.Parse(strings.TrimSpace(string(out.stdout)))
	if err != nil {
		return out, nil, fmt.Errorf("run location on stdout: %w", err)
	}
	rr, err := output.OpenRun(ctx, loc, nil)
	if err != nil {
		return out, nil, err
	}
	truth := srv.Truth(opts)
	diff, err := simtest.CompareReader(ctx, rr, truth.Entities, truth.Relations)
	if err != nil {
		return out, nil, fmt.Errorf("compare with truth: %w", err)
	}
	if !diff.Empty() {
		return out, nil, fmt.Errorf("%s", diff)
	}
	return out, rr, nil
}

// runDiff runs `diff OLD NEW` in a subprocess and checks its change set.
func runDiff(ctx context.Context, bin, dir string, old, cur *output.RunReader, want *expectedChanges) (secs, peak float64, err error) {
	out, err := runExtractor(ctx, bin, diffPeakRSS, "diff", old.Location().String(), cur.Location().String(), "--out", filepath.Join(dir, "diff"))
	if err != nil {
		return 0, 0, err
	}
	rr, err := output.OpenRun(ctx, location.MustParse(strings.TrimSpace(string(out.stdout))), nil)
	if err != nil {
		return 0, 0, fmt.Errorf("open diff output: %w", err)
	}
	if _, err := want.check(ctx, rr); err != nil {
		return 0, 0, fmt.Errorf("diff: %w", err)
	}
	return out.wall.Seconds(), out.peakRSS, nil
}

var diffPeakRe = regexp.MustCompile(`peak RSS ([0-9.]+) MiB`)

// diffPeakRSS reads the peak RSS diff prints on stderr.
func diffPeakRSS(stderr []byte) (float64, error) {
	m := diffPeakRe.FindSubmatch(stderr)
	if m == nil {
		return 0, fmt.Errorf("no peak RSS on diff's stderr: %s", tail(stderr, 500))
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// rereadCounts reads groups_reread and projects_reread from the "rows
// carried forward" log line.
func rereadCounts(logs []byte) (groups, projects int) {
	for _, line := range strings.Split(string(logs), "\n") {
		var rec struct {
			Msg      string `json:"msg"`
			Groups   int    `json:"groups_reread"`
			Projects int    `json:"projects_reread"`
		}
		if jsonLine(line, &rec) && rec.Msg == "rows carried forward from the base run" {
			return rec.Groups, rec.Projects
		}
	}
	return -1, -1
}
