package bench

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/cmd/jirasim/simtest"
	"github.com/govextract/jira-extractor/internal/manifest"
)

// Result is the measured outcome of one scenario.
type Result struct {
	Scenario        string  `json:"scenario"`
	Site            string  `json:"site"`
	Condition       string  `json:"condition"`
	Requests        int64   `json:"requests"`
	Floor           int64   `json:"floor"`
	RequestRatio    float64 `json:"request_ratio"`
	WallSeconds     float64 `json:"wall_seconds"`
	TimeFloorSecs   float64 `json:"time_floor_seconds"`
	TimeRatio       float64 `json:"time_ratio"`
	Throttled       int64   `json:"throttled"`
	Retried         int64   `json:"retried"`
	Entities        int64   `json:"entities"`
	Relations       int64   `json:"relations"`
	EntitiesPerSec  float64 `json:"entities_per_second"`
	RelationsPerSec float64 `json:"relations_per_second"`
	PeakRSSMiB      float64 `json:"peak_rss_mib"`
	// EffectiveRows and EffectiveSeconds are the derived effective-access
	// rows and the time spent resolving and writing them.
	EffectiveRows    int64   `json:"effective_rows"`
	EffectiveSeconds float64 `json:"effective_seconds"`
	Status           string  `json:"status"`
	TruthMatches     bool    `json:"truth_matches"`
}

// Run executes one scenario with the extractor binary at bin, writing into
// workDir. It returns an error when the run fails or its output differs from
// the simulator's ground truth: a fast wrong run cannot pass.
func Run(ctx context.Context, bin, workDir string, sc Scenario) (Result, error) {
	res := Result{Scenario: sc.Name, Site: sc.Site, Condition: sc.Condition}
	srv, url, err := startSim(sc)
	if err != nil {
		return res, err
	}
	defer srv.Close()

	dir := filepath.Join(workDir, sc.Name)
	jobPath, err := writeJob(dir, url, sc, nil)
	if err != nil {
		return res, err
	}
	level := cmp.Or(os.Getenv("BENCH_LOG_LEVEL"), "info")
	out, err := runExtractor(ctx, bin, peakRSS, "run", "--config", jobPath, "--no-progress", "--log-level", level, "--log-format", "json")
	if kerr := keepLog(sc.Name, out.stderr); kerr != nil {
		return res, kerr
	}
	if err != nil {
		return res, err
	}
	wall := out.wall
	res.PeakRSSMiB = out.peakRSS
	if !sc.NoEffectiveAccess {
		if res.EffectiveRows, res.EffectiveSeconds, err = effectiveStats(out.stderr); err != nil {
			return res, err
		}
	}

	m, location, err := findManifest(filepath.Join(dir, "out"))
	if err != nil {
		return res, err
	}
	st := srv.Stats()
	res.Requests, res.Floor, res.Throttled = st.Requests, st.Floor, st.Throttled
	res.Retried = m.Requests.Retries
	res.Status = m.Status
	res.WallSeconds = wall.Seconds()
	res.TimeFloorSecs = sc.TimeFloor(st.Floor).Seconds()
	if res.Floor > 0 {
		res.RequestRatio = float64(res.Requests) / float64(res.Floor)
	}
	if res.TimeFloorSecs > 0 {
		res.TimeRatio = res.WallSeconds / res.TimeFloorSecs
	}
	for _, t := range m.Tables {
		if t.Kind == manifest.KindEntity {
			res.Entities += t.Rows
		} else {
			res.Relations += t.Rows
		}
	}
	res.EntitiesPerSec = float64(res.Entities) / wall.Seconds()
	res.RelationsPerSec = float64(res.Relations) / wall.Seconds()

	truth := srv.Truth(sim.TruthOptions{})
	diff, err := simtest.Compare(ctx, location, truth.Entities, truth.Relations)
	if err != nil {
		return res, fmt.Errorf("compare with truth: %w", err)
	}
	if !diff.Empty() {
		return res, fmt.Errorf("scenario %s: %s", sc.Name, diff)
	}
	res.TruthMatches = true
	_ = os.RemoveAll(filepath.Join(dir, "out"))
	return res, nil
}

// startSim starts the simulator of sc (its site, seed 1, its rate limit
// and faults) with zeroed counters; the caller closes it.
func startSim(sc Scenario) (*sim.Server, string, error) {
	srv, err := sim.New(sim.Config{Size: sc.Site, Seed: 1, RateLimit: sc.RateLimit})
	if err != nil {
		return nil, "", fmt.Errorf("simulator %s: %w", sc.Site, err)
	}
	url, err := srv.Start()
	if err != nil {
		srv.Close()
		return nil, "", fmt.Errorf("start simulator: %w", err)
	}
	// Faults go on after the truth and the server are ready.
	srv.SetFaults(sc.Faults)
	srv.ResetStats()
	return srv, url, nil
}

// writeJob writes the job file of sc against the simulator at url into
// dir (output in dir/out); extra adds or replaces keys as simtest.JobMap
// does.
func writeJob(dir, url string, sc Scenario, extra map[string]any) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	keys := map[string]any{
		"appConfig.concurrency": sc.Concurrency, "appConfig.requestsPerSecond": sc.RequestsPerSecond, "appConfig.burst": sc.Burst,
		"appConfig.maxRetries": 10, "appConfig.maxConnections": max(10, sc.Concurrency),
		"output.effectiveAccess": !sc.NoEffectiveAccess,
	}
	for k, v := range extra {
		keys[k] = v
	}
	b, err := json.Marshal(simtest.JobMap(url, filepath.Join(dir, "out"), keys))
	if err != nil {
		return "", err
	}
	jobPath := filepath.Join(dir, "job.json")
	return jobPath, os.WriteFile(jobPath, b, 0o600)
}

// runOutput is what one extractor run printed, how long it took and its
// peak RSS.
type runOutput struct {
	stdout, stderr []byte
	wall           time.Duration
	peakRSS        float64
}

// runExtractor runs the extractor binary with args and reads its peak RSS
// from its stderr with peak (peakRSS for a run with --log-format json).
// getrusage's maxrss would include this (large) test process, whose
// address space the child shares until exec; the extractor reports its own
// high-water mark instead.
func runExtractor(ctx context.Context, bin string, peak func([]byte) (float64, error), args ...string) (runOutput, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	out := runOutput{stdout: stdout.Bytes(), stderr: stderr.Bytes(), wall: time.Since(start)}
	if err != nil {
		return out, fmt.Errorf("extractor %s: %v\n%s", args[0], err, tail(out.stderr, 2000))
	}
	out.peakRSS, err = peak(out.stderr)
	return out, err
}

// peakRSS reads peak_rss_mib from the extractor's "run finished" JSON log line.
func peakRSS(logs []byte) (float64, error) {
	for _, line := range bytes.Split(logs, []byte("\n")) {
		var rec struct {
			Msg  string   `json:"msg"`
			Peak *float64 `json:"peak_rss_mib"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "run finished" && rec.Peak != nil {
			return *rec.Peak, nil
		}
	}
	return 0, fmt.Errorf("no peak_rss_mib in the extractor's \"run finished\" log line")
}

// jsonLine decodes one JSON log line into v, reporting whether it was one.
func jsonLine(line string, v any) bool { return json.Unmarshal([]byte(line), v) == nil }

// effectiveStats reads the rows and duration of the extractor's "effective
// access resolved" JSON log line.
func effectiveStats(logs []byte) (int64, float64, error) {
	for _, line := range bytes.Split(logs, []byte("\n")) {
		var rec struct {
			Msg      string `json:"msg"`
			Role     int64  `json:"role_rows"`
			Perm     int64  `json:"permission_rows"`
			Duration string `json:"duration"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "effective access resolved" {
			d, err := time.ParseDuration(rec.Duration)
			if err != nil {
				return 0, 0, fmt.Errorf("effective access duration %q: %w", rec.Duration, err)
			}
			return rec.Role + rec.Perm, d.Seconds(), nil
		}
	}
	return 0, 0, fmt.Errorf("no \"effective access resolved\" log line from the extractor")
}

// findManifest finds the single run folder under dest and reads its manifest.
func findManifest(dest string) (*manifest.Manifest, string, error) {
	matches, err := filepath.Glob(filepath.Join(dest, "*", manifest.FileName))
	if err != nil || len(matches) != 1 {
		return nil, "", fmt.Errorf("want exactly one complete run under %s, found %d", dest, len(matches))
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		return nil, "", err
	}
	var m manifest.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, "", fmt.Errorf("read manifest: %w", err)
	}
	return &m, filepath.Dir(matches[0]), nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// keepLog copies the extractor's log of scenario name into the folder
// BENCH_LOGS names, if set, for a look at where the time went.
func keepLog(name string, log []byte) error {
	dir := os.Getenv("BENCH_LOGS")
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("BENCH_LOGS: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".log"), log, 0o600); err != nil {
		return fmt.Errorf("BENCH_LOGS: %w", err)
	}
	return nil
}
