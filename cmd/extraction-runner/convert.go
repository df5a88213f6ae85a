package main

import (
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/progress"
	"github.com/govextract/jira-extractor/plugin/extractorv1"
)

// progressFromProto converts a progress event back into a snapshot.
func progressFromProto(p *extractorv1.Progress) progress.Snapshot {
	s := progress.Snapshot{
		Rows:            make(map[string]int64, len(p.GetRows())),
		Requests:        p.GetRequests(),
		Retries:         p.GetRetries(),
		Throttled:       p.GetThrottled(),
		PlannedRequests: p.GetPlannedRequests(),
		Elapsed:         p.GetElapsed().AsDuration(),
		RequestRate:     p.GetRequestRate(),
		ETA:             -1,
	}
	for k, v := range p.GetRows() {
		s.Rows[k] = v
	}
	if p.GetEta() != nil {
		s.ETA = p.GetEta().AsDuration()
	}
	for _, ph := range p.GetPhases() {
		s.Phases = append(s.Phases, progress.Phase{Name: ph.GetName(), Done: ph.GetDone(), Total: ph.GetTotal(), Finished: ph.GetFinished()})
	}
	return s
}

// tableFromProto converts a table event back.
func tableFromProto(t *extractorv1.Table) manifest.Table {
	out := manifest.Table{Name: t.GetName(), Kind: t.GetKind(), Rows: t.GetRows(), Files: make([]manifest.File, len(t.GetFiles()))}
	for i, f := range t.GetFiles() {
		out.Files[i] = manifest.File{Path: f.GetPath(), Rows: f.GetRows(), Bytes: f.GetBytes(), SHA256: f.GetSha256()}
	}
	return out
}

// warningFromProto converts a warning back.
func warningFromProto(w *extractorv1.Warning) manifest.Warning {
	return manifest.Warning{Scope: w.GetScope(), Message: w.GetMessage()}
}

// manifestFromResult rebuilds the run's manifest from a Result's fields (for
// hosts that do not read manifest_json).
func manifestFromResult(r *extractorv1.Result) *manifest.Manifest {
	m := &manifest.Manifest{
		SchemaVersion: manifest.SchemaVersion,
		RunID:         r.GetRunId(),
		Status:        r.GetStatus(),
		Requests: manifest.Requests{
			Total:      r.GetRequests().GetTotal(),
			ByEndpoint: r.GetRequests().GetByEndpoint(),
			Retries:    r.GetRequests().GetRetries(),
			Throttled:  r.GetRequests().GetThrottled(),
		},
	}
	if r.GetStartedAt() != nil {
		m.StartedAt = r.GetStartedAt().AsTime()
	}
	if r.GetFinishedAt() != nil {
		m.FinishedAt = r.GetFinishedAt().AsTime()
	}
	for _, t := range r.GetTables() {
		m.Tables = append(m.Tables, tableFromProto(t))
	}
	for _, w := range r.GetWarnings() {
		m.Warnings = append(m.Warnings, warningFromProto(w))
	}
	return m
}
