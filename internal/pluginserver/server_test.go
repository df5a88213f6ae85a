package pluginserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/govextract/jira-extractor/extractor"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/output/store"
	"github.com/govextract/jira-extractor/internal/progress"
	"github.com/govextract/jira-extractor/internal/upload"
	"github.com/govextract/jira-extractor/plugin"
	"github.com/govextract/jira-extractor/plugin/extractorv1"
)

// serveInProcess serves a Server with run on 127.0.0.1 and returns a client.
// fakeRun is a run function returning f's manifest and the run folder
// under the job's destination, as extractor.Run does.
type fakeRun func(ctx context.Context, job extractor.Job, opts extractor.RunOptions) (*manifest.Manifest, error)

// runFunc turns f into a RunFunc.
func (f fakeRun) runFunc() RunFunc {
	return func(ctx context.Context, job extractor.Job, opts extractor.RunOptions) (*extractor.Result, error) {
		m, err := f(ctx, job, opts)
		return &extractor.Result{Manifest: m, Location: job.Output.Destination.Join(opts.RunID)}, err
	}
}

func serveInProcess(t *testing.T, run fakeRun, logOut io.Writer) extractorv1.ExtractorServiceClient {
	t.Helper()
	if logOut == nil {
		logOut = io.Discard
	}
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: logOut, JSONFormat: true})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(plugin.ServerOptions(logger)...)
	extractorv1.RegisterExtractorServiceServer(gs, plugin.NewGRPCServer(context.Background(), New(Options{Logger: logger, Run: run.runFunc()}), ""))
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return extractorv1.NewExtractorServiceClient(conn)
}

func testJob(t *testing.T, dest string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"appConfig": map[string]any{"token": "me@example.com:very-secret-token", "siteName": "acme"},
		"output":    map[string]any{"destination": dest},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDescribe(t *testing.T) {
	c := serveInProcess(t, nil, nil)
	d, err := c.Describe(context.Background(), &extractorv1.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// Served as version 1 here: Describe says the version of the service.
	if d.GetName() != extractor.Name || d.GetVersion() != extractor.Version || d.GetProtocolVersion() != 1 {
		t.Errorf("describe = %q %q %d", d.GetName(), d.GetVersion(), d.GetProtocolVersion())
	}
	if len(d.GetEntityKinds()) != len(model.SourceTypes) || d.GetEntityKinds()[0] != string(model.SourceTypes[0]) {
		t.Errorf("entity kinds %v", d.GetEntityKinds())
	}
	if len(d.GetRelationKinds()) != len(model.RelationKinds) || d.GetRelationKinds()[0] != string(model.RelationKinds[0]) {
		t.Errorf("relation kinds %v", d.GetRelationKinds())
	}
	var schema map[string]any
	if err := json.Unmarshal(d.GetJobSchemaJson(), &schema); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	if _, ok := schema["properties"]; !ok {
		t.Errorf("schema has no properties: %v", schema)
	}
}

func TestValidate(t *testing.T) {
	c := serveInProcess(t, nil, nil)
	ctx := context.Background()
	dir := t.TempDir()

	ok, err := c.Validate(ctx, &extractorv1.ValidateRequest{Job: &extractorv1.Job{JobJson: testJob(t, dir)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ok.GetProblems()) != 0 || ok.GetSite() != "acme" || ok.GetDestination() != dir || ok.GetFormat() != "parquet" {
		t.Errorf("valid job: %v", ok)
	}

	// --out replaces the destination.
	out := filepath.Join(dir, "other")
	ov, err := c.Validate(ctx, &extractorv1.ValidateRequest{Job: &extractorv1.Job{JobJson: testJob(t, dir), Overrides: &extractorv1.Overrides{OutputDestination: out}}})
	if err != nil {
		t.Fatal(err)
	}
	if ov.GetDestination() != out {
		t.Errorf("destination %q, want %q", ov.GetDestination(), out)
	}

	// A bad --out is reported under its flag's name.
	bad, err := c.Validate(ctx, &extractorv1.ValidateRequest{Job: &extractorv1.Job{JobJson: testJob(t, dir), Overrides: &extractorv1.Overrides{OutputDestination: "ftp://x/y"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad.GetProblems()) != 1 || bad.GetProblems()[0].GetKey() != "--out" || bad.GetProblems()[0].GetFix() == "" {
		t.Errorf("bad --out problems: %v", bad.GetProblems())
	}

	// Every problem names its key; the secret never shows.
	job := []byte(`{"appConfig":{"token":"nocolon-secret","siteNme":"x","insecureSkipVerify":true},"output":{"format":"xml"}}`)
	res, err := c.Validate(ctx, &extractorv1.ValidateRequest{Job: &extractorv1.Job{JobJson: job}})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, p := range res.GetProblems() {
		keys[p.GetKey()] = true
		if strings.Contains(p.String(), "nocolon-secret") {
			t.Errorf("problem shows the token: %v", p)
		}
	}
	if !keys["appConfig.siteNme"] {
		t.Errorf("problems %v do not name appConfig.siteNme", res.GetProblems())
	}

	// insecureSkipVerify needs allow_insecure.
	insecureJob := []byte(`{"appConfig":{"token":"a@b.example:tok-long-enough","siteName":"acme","insecureSkipVerify":true}}`)
	refused, err := c.Validate(ctx, &extractorv1.ValidateRequest{Job: &extractorv1.Job{JobJson: insecureJob}})
	if err != nil {
		t.Fatal(err)
	}
	if len(refused.GetProblems()) != 1 || refused.GetProblems()[0].GetKey() != "appConfig.insecureSkipVerify" {
		t.Errorf("insecure problems: %v", refused.GetProblems())
	}
	allowed, err := c.Validate(ctx, &extractorv1.ValidateRequest{Job: &extractorv1.Job{JobJson: insecureJob, Overrides: &extractorv1.Overrides{AllowInsecure: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(allowed.GetProblems()) != 0 {
		t.Errorf("allow_insecure still refused: %v", allowed.GetProblems())
	}
}

// collect reads an Extract stream to its end.
func collect(t *testing.T, stream extractorv1.ExtractorService_ExtractClient) ([]*extractorv1.ExtractResponse, *extractorv1.Result) {
	t.Helper()
	var evs []*extractorv1.ExtractResponse
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			t.Fatal("stream ended without a result")
		}
		if err != nil {
			t.Fatalf("recv: %v", err)
		}
		if r := ev.GetResult(); r != nil {
			if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
				t.Errorf("after the result: %v, want EOF", err)
			}
			return evs, r
		}
		evs = append(evs, ev)
	}
}

func TestExtractStreamsEventsAndResult(t *testing.T) {
	dir := t.TempDir()
	var gotJob *extractor.Job
	run := func(ctx context.Context, job extractor.Job, opts extractor.RunOptions) (*manifest.Manifest, error) {
		gotJob = &job
		opts.Logger.Warn("scope slow", "token", job.Jira.APIToken, slog2Group())
		opts.Logger.Debug("not streamed at info")
		opts.OnEvent(extractor.Event{Type: extractor.EventProgress, Progress: progress.Snapshot{Rows: map[string]int64{"user": 7}, Requests: 3, Elapsed: time.Second, ETA: -1}})
		opts.OnEvent(extractor.Event{Type: extractor.EventWarning, Warning: manifest.Warning{Scope: "project:ABC", Message: "forbidden"}})
		tbl := manifest.Table{Name: "user", Kind: manifest.KindEntity, Rows: 7, Files: []manifest.File{{Path: "entities/source_type=user/part-00000.parquet", Rows: 7, Bytes: 10, SHA256: "ab"}}}
		opts.OnEvent(extractor.Event{Type: extractor.EventTable, Table: tbl})
		now := time.Now().UTC()
		return &manifest.Manifest{RunID: opts.RunID, Status: manifest.StatusPartial, StartedAt: now.Add(-time.Second), FinishedAt: now,
			Tables: []manifest.Table{tbl}, Warnings: []manifest.Warning{{Scope: "project:ABC", Message: "forbidden"}},
			Requests: manifest.Requests{Total: 3, Throttled: 1}}, nil
	}
	var logs bytes.Buffer
	c := serveInProcess(t, run, &logs)
	stream, err := c.Extract(context.Background(), &extractorv1.ExtractRequest{
		Job:      &extractorv1.Job{JobJson: testJob(t, dir)},
		RunId:    "01RUN",
		LogLevel: "info",
	})
	if err != nil {
		t.Fatal(err)
	}
	evs, res := collect(t, stream)
	if gotJob == nil || gotJob.Output.Destination.String() != dir {
		t.Fatalf("run got job %+v", gotJob)
	}
	var kinds []string
	for _, ev := range evs {
		switch e := ev.GetEvent().(type) {
		case *extractorv1.ExtractResponse_Progress:
			kinds = append(kinds, "progress")
			if e.Progress.GetRows()["user"] != 7 || e.Progress.GetEta() != nil {
				t.Errorf("progress %v", e.Progress)
			}
		case *extractorv1.ExtractResponse_Warning:
			kinds = append(kinds, "warning:"+e.Warning.GetScope())
		case *extractorv1.ExtractResponse_Table:
			kinds = append(kinds, "table:"+e.Table.GetName())
		case *extractorv1.ExtractResponse_Log:
			kinds = append(kinds, "log:"+e.Log.GetLevel()+":"+e.Log.GetMessage())
			if strings.Contains(e.Log.String(), "very-secret-token") {
				t.Errorf("log line shows the token: %v", e.Log)
			}
		}
		if ev.GetTime() == nil {
			t.Errorf("event without time: %v", ev)
		}
	}
	want := []string{"log:info:extraction started", "log:warn:scope slow", "progress", "warning:project:ABC", "table:user", "log:info:extraction finished"}
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Errorf("events %v, want %v", kinds, want)
	}
	if res.GetRunId() != "01RUN" || res.GetStatus() != manifest.StatusPartial || res.GetExitCode() != extractor.ExitPartial {
		t.Errorf("result %v", res)
	}
	if res.GetLocation() != filepath.Join(dir, "01RUN") || res.GetManifestLocation() != filepath.Join(dir, "01RUN", manifest.FileName) {
		t.Errorf("locations %q %q", res.GetLocation(), res.GetManifestLocation())
	}
	if res.GetRows()["user"] != 7 || res.GetRequests().GetThrottled() != 1 || len(res.GetWarnings()) != 1 || len(res.GetTables()) != 1 {
		t.Errorf("result counts %v", res)
	}
	var m manifest.Manifest
	if err := json.Unmarshal(res.GetManifestJson(), &m); err != nil || m.RunID != "01RUN" {
		t.Errorf("manifest json %s: %v", res.GetManifestJson(), err)
	}
	// Records below the stream level went to the hclog side instead.
	if !strings.Contains(logs.String(), "not streamed at info") || strings.Contains(logs.String(), "scope slow") {
		t.Errorf("plugin stderr log:\n%s", logs.String())
	}
}

func TestExtractInvalidJobIsExitCode2(t *testing.T) {
	called := false
	c := serveInProcess(t, func(context.Context, extractor.Job, extractor.RunOptions) (*manifest.Manifest, error) {
		called = true
		return nil, nil
	}, nil)
	stream, err := c.Extract(context.Background(), &extractorv1.ExtractRequest{Job: &extractorv1.Job{JobJson: []byte(`{"appConfig":{}}`)}})
	if err != nil {
		t.Fatal(err)
	}
	_, res := collect(t, stream)
	if called {
		t.Error("run was called for an invalid job")
	}
	if res.GetExitCode() != extractor.ExitUsage || len(res.GetProblems()) == 0 || res.GetManifestLocation() != "" {
		t.Errorf("result %v", res)
	}
}

func TestExtractFailedRunHasNoManifestLocation(t *testing.T) {
	c := serveInProcess(t, func(_ context.Context, _ extractor.Job, o extractor.RunOptions) (*manifest.Manifest, error) {
		return &manifest.Manifest{RunID: o.RunID, Status: manifest.StatusFailed}, errors.New("run failed: boom")
	}, nil)
	stream, err := c.Extract(context.Background(), &extractorv1.ExtractRequest{Job: &extractorv1.Job{JobJson: testJob(t, t.TempDir())}})
	if err != nil {
		t.Fatal(err)
	}
	_, res := collect(t, stream)
	if res.GetStatus() != manifest.StatusFailed || res.GetExitCode() != extractor.ExitFailed || res.GetManifestLocation() != "" || res.GetError() != "run failed: boom" || res.GetRunId() == "" {
		t.Errorf("result %v", res)
	}
}

func TestExtractCancelReachesRun(t *testing.T) {
	cancelled := make(chan struct{})
	run := func(ctx context.Context, _ extractor.Job, o extractor.RunOptions) (*manifest.Manifest, error) {
		o.OnEvent(extractor.Event{Type: extractor.EventProgress, Progress: progress.Snapshot{ETA: -1}})
		<-ctx.Done()
		close(cancelled)
		return &manifest.Manifest{RunID: o.RunID, Status: manifest.StatusCancelled}, ctx.Err()
	}
	c := serveInProcess(t, run, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := c.Extract(ctx, &extractorv1.ExtractRequest{Job: &extractorv1.Job{JobJson: testJob(t, t.TempDir())}})
	if err != nil {
		t.Fatal(err)
	}
	if ev, err := stream.Recv(); err != nil || ev.GetProgress() == nil {
		t.Fatalf("first event %v, %v", ev, err)
	}
	cancel()
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("cancelling the call did not cancel the run")
	}
	if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
		t.Errorf("recv after cancel: %v", err)
	}
}

func TestPanicInRPCIsRecovered(t *testing.T) {
	var logs bytes.Buffer
	c := serveInProcess(t, func(context.Context, extractor.Job, extractor.RunOptions) (*manifest.Manifest, error) {
		panic("kaboom")
	}, &logs)
	stream, err := c.Extract(context.Background(), &extractorv1.ExtractRequest{Job: &extractorv1.Job{JobJson: testJob(t, t.TempDir())}})
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, err = stream.Recv()
		if err != nil {
			break
		}
	}
	if status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "plugin panic") || !strings.Contains(err.Error(), "kaboom") {
		t.Fatalf("err = %v, want Internal plugin panic", err)
	}
	if !strings.Contains(logs.String(), "panic in plugin RPC") {
		t.Errorf("panic not logged:\n%s", logs.String())
	}
	// The server still answers.
	if _, err := c.Describe(context.Background(), &extractorv1.DescribeRequest{}); err != nil {
		t.Errorf("describe after panic: %v", err)
	}
}

// serveWith serves a Server with opts on 127.0.0.1 and returns a client.
func serveWith(t *testing.T, opts Options) extractorv1.ExtractorServiceClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	extractorv1.RegisterExtractorServiceServer(gs, plugin.NewGRPCServer(context.Background(), New(opts), ""))
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return extractorv1.NewExtractorServiceClient(conn)
}

// TestExtractReportsRemovedFiles: what the run's abort removed reaches the
// Result.
func TestExtractReportsRemovedFiles(t *testing.T) {
	dir := t.TempDir()
	c := serveWith(t, Options{Run: fakeRun(func(ctx context.Context, _ extractor.Job, o extractor.RunOptions) (*manifest.Manifest, error) {
		o.OnEvent(extractor.Event{Type: extractor.EventAborted, Cleanup: extractor.Cleanup{Location: filepath.Join(dir, o.RunID), Removed: 16}})
		return &manifest.Manifest{RunID: o.RunID, Status: manifest.StatusCancelled}, fmt.Errorf("run cancelled: %w", context.Canceled)
	}).runFunc()})
	stream, err := c.Extract(context.Background(), &extractorv1.ExtractRequest{Job: &extractorv1.Job{JobJson: testJob(t, dir)}, RunId: "01R"})
	if err != nil {
		t.Fatal(err)
	}
	_, res := collect(t, stream)
	if res.GetStatus() != manifest.StatusCancelled || res.GetRemovedFiles() != 16 || res.GetCleanupError() != "" || res.GetManifestLocation() != "" {
		t.Errorf("result %v", res)
	}
}

// TestExtractUploadsAfterRun: with upload.afterRun the plugin uploads a
// complete run, announces it, and reports the outcome; a failed upload is
// exit code 1 with the run still complete; a partial run is not uploaded.
func TestExtractUploadsAfterRun(t *testing.T) {
	for _, c := range []struct {
		name      string
		afterRun  bool
		status    string
		uploadErr error
		want      string // Result.upload.status, "" for none
		exit      int32
	}{
		{"uploaded", true, manifest.StatusComplete, nil, "uploaded", extractor.ExitComplete},
		{"failed", true, manifest.StatusComplete, errors.New("platform said no"), "failed", extractor.ExitFailed},
		{"partial", true, manifest.StatusPartial, nil, "skipped", extractor.ExitPartial},
		{"not asked", false, manifest.StatusComplete, nil, "", extractor.ExitComplete},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			var uploaded []string
			srv := serveWith(t, Options{
				Run: fakeRun(func(_ context.Context, _ extractor.Job, o extractor.RunOptions) (*manifest.Manifest, error) {
					m := &manifest.Manifest{RunID: o.RunID, Status: c.status}
					if c.status == manifest.StatusPartial {
						m.Warnings = []manifest.Warning{{Scope: "project:1", Message: "forbidden"}}
					}
					return m, nil
				}).runFunc(),
				Upload: func(_ context.Context, u *upload.Options, _ *store.S3Options, loc location.Location, _ *slog.Logger) error {
					if u == nil || u.App != "jira" {
						t.Errorf("upload got %+v", u)
					}
					uploaded = append(uploaded, loc.String())
					return c.uploadErr
				},
			})
			var job map[string]any
			if err := json.Unmarshal(testJob(t, dir), &job); err != nil {
				t.Fatal(err)
			}
			job["upload"] = map[string]any{"api": "http://127.0.0.1:1", "app": "jira", "keyId": "kid-123456", "keySecret": "ksecret-123456", "afterRun": c.afterRun}
			b, _ := json.Marshal(job)
			stream, err := srv.Extract(context.Background(), &extractorv1.ExtractRequest{Job: &extractorv1.Job{JobJson: b}, RunId: "01U"})
			if err != nil {
				t.Fatal(err)
			}
			evs, res := collect(t, stream)
			loc := filepath.Join(dir, "01U")
			if got := res.GetUpload().GetStatus(); got != c.want || res.GetExitCode() != c.exit || res.GetStatus() != c.status {
				t.Fatalf("upload %q exit %d status %q; want %q %d %q", got, res.GetExitCode(), res.GetStatus(), c.want, c.exit, c.status)
			}
			announced := false
			for _, ev := range evs {
				if u := ev.GetUpload(); u != nil && u.GetStatus() == "started" && u.GetLocation() == loc {
					announced = true
				}
			}
			wantCalled := c.want == "uploaded" || c.want == "failed"
			if wantCalled != (len(uploaded) == 1) || wantCalled != announced || (wantCalled && uploaded[0] != loc) {
				t.Errorf("upload calls %v, announced %v", uploaded, announced)
			}
			if c.want == "failed" && !strings.Contains(res.GetUpload().GetError(), "platform said no") {
				t.Errorf("upload error %q", res.GetUpload().GetError())
			}
			if c.want == "skipped" && !strings.Contains(res.GetUpload().GetError(), "jira-extractor upload --from "+loc) {
				t.Errorf("skip reason %q", res.GetUpload().GetError())
			}
		})
	}
}

// TestExitCodesMatchTheProtocol: Result.exit_code carries the extractor's
// codes, which hosts read as plugin.Exit*.
func TestExitCodesMatchTheProtocol(t *testing.T) {
	if extractor.ExitComplete != plugin.ExitComplete || extractor.ExitFailed != plugin.ExitFailed || extractor.ExitUsage != plugin.ExitUsage || extractor.ExitPartial != plugin.ExitPartial {
		t.Error("extractor and plugin exit codes differ")
	}
}
