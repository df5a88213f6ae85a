package plugin

import (
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/progress"
	"github.com/govextract/jira-extractor/plugin/extractorv1"
)

// ProgressToProto converts a progress snapshot.
func ProgressToProto(s progress.Snapshot) *extractorv1.Progress {
	p := &extractorv1.Progress{
		Rows:            make(map[string]int64, len(s.Rows)),
		Requests:        s.Requests,
		Retries:         s.Retries,
		Throttled:       s.Throttled,
		PlannedRequests: s.PlannedRequests,
		Elapsed:         durationpb.New(s.Elapsed),
		RequestRate:     s.RequestRate,
	}
	for k, v := range s.Rows {
		p.Rows[k] = v
	}
	if s.ETA >= 0 {
		p.Eta = durationpb.New(s.ETA)
	}
	return p
}

// ProgressFromProto converts a progress event back into a snapshot.
func ProgressFromProto(p *extractorv1.Progress) progress.Snapshot {
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
	return s
}

// TableToProto converts a finished table.
func TableToProto(t manifest.Table) *extractorv1.Table {
	out := &extractorv1.Table{Name: t.Name, Kind: t.Kind, Rows: t.Rows, Files: make([]*extractorv1.File, len(t.Files))}
	for i, f := range t.Files {
		out.Files[i] = &extractorv1.File{Path: f.Path, Rows: f.Rows, Bytes: f.Bytes, Sha256: f.SHA256}
	}
	return out
}

// TableFromProto converts a table event back.
func TableFromProto(t *extractorv1.Table) manifest.Table {
	out := manifest.Table{Name: t.GetName(), Kind: t.GetKind(), Rows: t.GetRows(), Files: make([]manifest.File, len(t.GetFiles()))}
	for i, f := range t.GetFiles() {
		out.Files[i] = manifest.File{Path: f.GetPath(), Rows: f.GetRows(), Bytes: f.GetBytes(), SHA256: f.GetSha256()}
	}
	return out
}

// WarningToProto converts a warning.
func WarningToProto(w manifest.Warning) *extractorv1.Warning {
	return &extractorv1.Warning{Scope: w.Scope, Message: w.Message}
}

// WarningFromProto converts a warning back.
func WarningFromProto(w *extractorv1.Warning) manifest.Warning {
	return manifest.Warning{Scope: w.GetScope(), Message: w.GetMessage()}
}

// ManifestFromResult rebuilds the run's manifest from a Result's fields (for
// hosts that do not read manifest_json).
func ManifestFromResult(r *extractorv1.Result) *manifest.Manifest {
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
		m.Tables = append(m.Tables, TableFromProto(t))
	}
	for _, w := range r.GetWarnings() {
		m.Warnings = append(m.Warnings, WarningFromProto(w))
	}
	return m
}
