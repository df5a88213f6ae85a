package pluginserver

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
	for _, ph := range s.Phases {
		p.Phases = append(p.Phases, &extractorv1.Phase{Name: ph.Name, Done: ph.Done, Total: ph.Total, Finished: ph.Finished})
	}
	return p
}

// TableToProto converts a finished table.
func TableToProto(t manifest.Table) *extractorv1.Table {
	out := &extractorv1.Table{Name: t.Name, Kind: t.Kind, Rows: t.Rows, Files: make([]*extractorv1.File, len(t.Files))}
	for i, f := range t.Files {
		out.Files[i] = &extractorv1.File{Path: f.Path, Rows: f.Rows, Bytes: f.Bytes, Sha256: f.SHA256}
	}
	return out
}

// WarningToProto converts a warning.
func WarningToProto(w manifest.Warning) *extractorv1.Warning {
	return &extractorv1.Warning{Scope: w.Scope, Message: w.Message}
}
