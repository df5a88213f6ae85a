package applyjira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/govextract/jira-extractor/internal/jira"
)

// directories are the organization's directories (read once, every page)
// and the directory each account was found in.
type directories struct {
	mu    sync.Mutex
	ids   []string
	where map[string]string // account id → its directory
}

// list returns the directory ids, reading them on first use (a failed read
// is tried again by the next write).
func (d *directories) list(ctx context.Context, c *jira.Client) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ids != nil {
		return d.ids, nil
	}
	ds, err := c.Directories(ctx)
	if err != nil {
		return nil, err
	}
	ids := []string{}
	for _, dir := range ds {
		if id := strings.TrimSpace(dir.DirectoryID); id != "" && id != "-" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, errors.New("the organization lists no directory: the Admin API cannot suspend or restore users")
	}
	d.ids = ids
	return ids, nil
}

// order is the directories to try for an account: the one it was found
// in first.
func (d *directories) order(ids []string, accountID string) []string {
	d.mu.Lock()
	known := d.where[accountID]
	d.mu.Unlock()
	if known == "" {
		return ids
	}
	out := []string{known}
	for _, id := range ids {
		if id != known {
			out = append(out, id)
		}
	}
	return out
}

func (d *directories) found(accountID, dir string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.where == nil {
		d.where = map[string]string{}
	}
	d.where[accountID] = dir
}

// suspend suspends or restores an account in the directory that holds it:
// each directory in turn while the answer is a 404 (the account is not in
// that one; a 404 changes nothing, so the next try is safe).
func (t *Target) suspend(ctx context.Context, accountID string, suspend bool) (jira.WriteResult, error) {
	ids, err := t.dirs.list(ctx, t.c)
	if err != nil {
		return jira.WriteResult{}, err
	}
	var r jira.WriteResult
	for _, dir := range t.dirs.order(ids, accountID) {
		r = t.c.SuspendUser(ctx, dir, accountID, suspend)
		if r.Class != jira.WriteRejected || r.Status != http.StatusNotFound {
			if r.Class == jira.WriteDone || r.Class == jira.WriteAlready {
				t.dirs.found(accountID, dir)
			}
			return r, nil
		}
	}
	if len(ids) > 1 {
		r.Message = fmt.Sprintf("%s (the account is in none of the organization's %d directories)", r.Message, len(ids))
	}
	return r, nil
}
