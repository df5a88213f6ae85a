package apply

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/govextract/jira-extractor/internal/plan"
)

// journalVersion is written in every record; records of another version
// are refused so a future format is never misread.
const journalVersion = 1

// record is one line of the journal: an action's outcome and a fingerprint
// of the action, so a record is reused only for the same action.
type record struct {
	V       int     `json:"v"`
	Hash    string  `json:"hash"`
	Outcome Outcome `json:"outcome"`
}

// journal is an append-only JSON-lines file of action outcomes, synced to
// disk after every record, so an interrupted apply can resume without
// doing a finished action again.
type journal struct {
	mu sync.Mutex
	f  *os.File
}

// fingerprint identifies an action's content (every plan field).
func fingerprint(a plan.Action) string {
	b, _ := json.Marshal(a) // plain strings and a string slice: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// openJournal opens or creates the journal at path and returns the last
// record of each action id. A torn last line (a crash in mid-write) is cut
// off; any other damaged line is an error, since guessing could repeat or
// lose an action.
func openJournal(path string) (*journal, map[string]record, error) {
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, nil, fmt.Errorf("read journal: %w", err)
	}
	created := os.IsNotExist(err)
	recs := map[string]record{}
	good := 0 // bytes up to the end of the last whole line
	for line := 1; good < len(data); line++ {
		nl := bytes.IndexByte(data[good:], '\n')
		if nl < 0 {
			break // torn last line: cut off below
		}
		raw := data[good : good+nl]
		var r record
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil || r.V != journalVersion || r.Outcome.ID == "" {
			return nil, nil, fmt.Errorf("journal %s line %d is damaged: move the file away to start over (every action is read before it is written, so none is done twice)", path, line)
		}
		recs[r.Outcome.ID] = r
		good += nl + 1
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, fmt.Errorf("journal folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open journal: %w", err)
	}
	if good < len(data) {
		if err := f.Truncate(int64(good)); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("cut the torn last line of the journal: %w", err)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("sync journal: %w", err)
	}
	if created {
		syncDir(filepath.Dir(path))
	}
	return &journal{f: f}, recs, nil
}

// syncDir makes a new file's directory entry durable; best effort, since
// some filesystems do not support syncing a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// append writes one record and syncs it to disk before returning.
func (j *journal) append(a plan.Action, o Outcome) error {
	line, err := json.Marshal(record{V: journalVersion, Hash: fingerprint(a), Outcome: o})
	if err != nil {
		return fmt.Errorf("journal record %q: %w", o.ID, err)
	}
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(line); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("sync journal: %w", err)
	}
	return nil
}

func (j *journal) close() error {
	if err := j.f.Close(); err != nil {
		return fmt.Errorf("close journal: %w", err)
	}
	return nil
}
