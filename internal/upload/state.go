package upload

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// stateVersion is the format version of the state file.
const stateVersion = 1

// State is the content of the upload state file: which chunks of which
// upload the platform has accepted. The chunk bounds and app are part of it
// because they decide the chunk boundaries; a resumed upload must use the
// same ones.
type State struct {
	Version    int             `json:"version"`
	RunID      string          `json:"run_id"`
	API        string          `json:"api"`
	App        string          `json:"app"`
	ChunkRows  int             `json:"chunk_rows"`
	ChunkBytes int64           `json:"chunk_bytes"`
	Accepted   []AcceptedChunk `json:"accepted"`
	Complete   bool            `json:"complete"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

// AcceptedChunk is one chunk the platform accepted.
type AcceptedChunk struct {
	Phase      string    `json:"phase"`
	Index      int       `json:"index"`
	Rows       int       `json:"rows"`
	SHA256     string    `json:"sha256"`
	AcceptedAt time.Time `json:"accepted_at"`
}

// stateFile is a State bound to its path.
type stateFile struct {
	path  string
	state State
	// index maps "phase/index" to its position in state.Accepted.
	index map[string]int
}

func chunkID(phase string, index int) string { return fmt.Sprintf("%s/%d", phase, index) }

// loadState reads the state file at path, or starts a new one when it does
// not exist. A state file of another upload (run, API, app or chunk bounds)
// is refused: its chunk indexes would not mean the same chunks.
func loadState(path string, want State) (*stateFile, error) {
	sf := &stateFile{path: path, state: want, index: map[string]int{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return sf, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read upload state %s: %w", path, err)
	}
	var got State
	if err := json.Unmarshal(b, &got); err != nil {
		return nil, fmt.Errorf("read upload state %s: not a state file: %w (remove it to start the upload over)", path, err)
	}
	if got.Version != stateVersion {
		return nil, fmt.Errorf("upload state %s has version %d, this program writes %d (remove it to start the upload over)", path, got.Version, stateVersion)
	}
	var diffs []string
	if got.RunID != want.RunID {
		diffs = append(diffs, fmt.Sprintf("run %s, not %s", got.RunID, want.RunID))
	}
	if got.API != want.API {
		diffs = append(diffs, fmt.Sprintf("--api %s, not %s", got.API, want.API))
	}
	if got.App != want.App {
		diffs = append(diffs, fmt.Sprintf("--app %q, not %q", got.App, want.App))
	}
	if got.ChunkRows != want.ChunkRows || got.ChunkBytes != want.ChunkBytes {
		diffs = append(diffs, fmt.Sprintf("--chunk-rows %d --chunk-bytes %d, not %d and %d", got.ChunkRows, got.ChunkBytes, want.ChunkRows, want.ChunkBytes))
	}
	if len(diffs) > 0 {
		return nil, fmt.Errorf("upload state %s belongs to another upload (%v): rerun with the same options, pass another --state, or remove it to start over", path, diffs)
	}
	sf.state = got
	for i, a := range got.Accepted {
		sf.index[chunkID(a.Phase, a.Index)] = i
	}
	return sf, nil
}

// accepted reports whether the chunk was accepted before. A recorded chunk
// whose sha256 differs is an error: the run or the mapping changed since.
func (s *stateFile) accepted(ch Chunk) (bool, error) {
	i, ok := s.index[chunkID(ch.Phase, ch.Index)]
	if !ok {
		return false, nil
	}
	if a := s.state.Accepted[i]; a.SHA256 != ch.SHA256 {
		return false, fmt.Errorf("chunk %s differs from the one accepted before (sha256 %s, now %s): the run or the upload options changed; remove %s to start the upload over", ch.Name(), short(a.SHA256), short(ch.SHA256), s.path)
	}
	return true, nil
}

// record notes an accepted chunk and saves the file.
func (s *stateFile) record(ch Chunk, at time.Time) error {
	s.index[chunkID(ch.Phase, ch.Index)] = len(s.state.Accepted)
	s.state.Accepted = append(s.state.Accepted, AcceptedChunk{Phase: ch.Phase, Index: ch.Index, Rows: ch.Rows, SHA256: ch.SHA256, AcceptedAt: at.UTC()})
	return s.save(at)
}

// complete marks the whole upload done and saves the file.
func (s *stateFile) complete(at time.Time) error {
	s.state.Complete = true
	return s.save(at)
}

// save writes the state atomically: a temporary file, fsynced, renamed.
func (s *stateFile) save(at time.Time) error {
	s.state.Version = stateVersion
	s.state.UpdatedAt = at.UTC()
	b, err := json.MarshalIndent(s.state, "", "  ")
	if err != nil {
		return fmt.Errorf("encode upload state: %w", err)
	}
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save upload state %s: %w", s.path, err)
	}
	f, err := os.CreateTemp(dir, ".upload-state-*.tmp")
	if err != nil {
		return fmt.Errorf("save upload state %s: %w", s.path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(append(b, '\n'))
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, s.path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("save upload state %s: %w", s.path, werr)
	}
	return nil
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}
