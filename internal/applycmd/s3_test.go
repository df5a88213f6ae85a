package applycmd

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
	"github.com/govextract/jira-extractor/internal/output/s3test"
)

// TestApplyToS3KeepsTheJournalInTheStateFolder: an apply to S3 writes its
// actions table and manifest as objects, and journals in
// $XDG_STATE_HOME/jira-extractor/apply-journal while it runs.
func TestApplyToS3KeepsTheJournalInTheStateFolder(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	srv.CreateBucket(t, "runs")
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	s := startSite(t, sim.Config{Size: "small", Seed: 7})
	p, _ := everyOpPlan(t, s)
	job := s.job(t, "s3://runs/apply", map[string]any{"output.s3": map[string]any{"endpoint": srv.Endpoint, "usePathStyle": true}})

	res, err := Apply(context.Background(), job, p, Options{}, nil)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("exit %d, %v", res.ExitCode, err)
	}
	if dir := filepath.Join(state, "jira-extractor", "apply-journal"); filepath.Dir(res.Journal) != dir {
		t.Errorf("journal %s, want it in %s", res.Journal, dir)
	}
	if _, err := os.Stat(res.Journal); !os.IsNotExist(err) {
		t.Errorf("journal left after a complete apply: %v", err)
	}
	key := "apply/" + res.Manifest.RunID + "/manifest.json"
	obj, err := srv.Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("runs"), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("manifest object %s: %v", key, err)
	}
	raw, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.Kind != "apply" || m.Counts["applied"] != len(p.Actions) || len(m.Tables) != 1 || m.Tables[0].Files[0].Path != "actions/part-00000.parquet" {
		t.Errorf("manifest: %s", raw)
	}
	if _, err := srv.Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("runs"),
		Key: aws.String("apply/" + res.Manifest.RunID + "/actions/part-00000.parquet")}); err != nil {
		t.Errorf("actions object: %v", err)
	}
	if res.Location != "s3://runs/apply/"+res.Manifest.RunID {
		t.Errorf("location %s", res.Location)
	}
}
