// Package incremental makes a complete run while reading only what may have
// changed since an earlier run of the same site (the base run).
//
// Prepare chooses the base run, checks it can be built on (complete, same
// site, same scope, young enough), reads the audit log since the base run
// started (less a safety margin) and, with an org key, the Admin API group
// member counts, and decides: a full read with its reason, or an
// incremental read with the set of groups and projects to re-read. The
// pipeline then asks the Plan which scopes to skip; everything cheap and
// complete (users, the group and project lists, global roles, application
// roles, permission schemes) is always read. CarryForward finally copies
// the base run's rows of the skipped scopes into the new run.
package incremental

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/manifest"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/output/store"
	"github.com/govextract/jira-extractor/internal/pipeline"
)

// SinceAuto picks the latest complete run of the same site in the
// destination as the base run.
const SinceAuto = "auto"

// Defaults of Config.
const (
	DefaultMaxAge        = 7 * 24 * time.Hour
	DefaultMargin        = 10 * time.Minute
	DefaultMaxScopeShare = 0.5
	DefaultMaxRecords    = 200_000
)

// Config configures an incremental run (job-file incremental.* and
// --since).
type Config struct {
	// Since is SinceAuto or the base run's location (DEST/RUN_ID, file://
	// or s3://).
	Since string
	// MaxAge is the oldest base run built on (0: DefaultMaxAge).
	MaxAge time.Duration
	// FullEvery forces a full read every N runs (0: never).
	FullEvery int
	// Margin is how far before the base run's start the audit log is
	// read (0: DefaultMargin).
	Margin time.Duration
	// MaxScopeShare: when the groups and projects to re-read are more than
	// this share of all of them, a full read is about as cheap (0:
	// DefaultMaxScopeShare).
	MaxScopeShare float64
	// MaxRecords: more audit records than this since the base run make a
	// full read (0: DefaultMaxRecords).
	MaxRecords int
}

func (c Config) withDefaults() Config {
	if c.MaxAge <= 0 {
		c.MaxAge = DefaultMaxAge
	}
	if c.Margin <= 0 {
		c.Margin = DefaultMargin
	}
	if c.MaxScopeShare <= 0 {
		c.MaxScopeShare = DefaultMaxScopeShare
	}
	if c.MaxRecords <= 0 {
		c.MaxRecords = DefaultMaxRecords
	}
	return c
}

// Scope fingerprints what a job's filter keeps: an incremental run only
// builds on a base run of the same scope.
func Scope(f pipeline.Filter) string {
	norm := func(xs []string) []string {
		out := append([]string(nil), xs...)
		sort.Strings(out)
		return out
	}
	b, _ := json.Marshal(map[string]any{
		"projectKeys": norm(f.ProjectKeys), "accountTypes": norm(f.AccountTypes), "entityKinds": norm(f.EntityKinds),
		"relationKinds": norm(f.RelationKinds), "excludeInactive": f.ExcludeInactive,
	})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// errNoBase says that no base run could be used; its text is the reason of
// the full read.
type errNoBase struct{ reason string }

func (e *errNoBase) Error() string { return e.reason }

// openBase opens the base run named by since (a location or SinceAuto).
func openBase(ctx context.Context, since string, dest location.Location, site string, s3 *store.S3Options) (*output.RunReader, error) {
	if since == SinceAuto {
		return latestRun(ctx, dest, site, s3)
	}
	loc, err := location.Parse(since)
	if err != nil {
		return nil, fmt.Errorf("--since %q: %w", since, err)
	}
	rr, err := output.OpenRun(ctx, loc, s3)
	if err != nil {
		if errors.Is(err, output.ErrIncomplete) {
			return nil, &errNoBase{reason: "the base run " + loc.String() + " is incomplete (no manifest.json)"}
		}
		return nil, &errNoBase{reason: "the base run cannot be read: " + err.Error()}
	}
	return rr, nil
}

// latestRun finds the newest complete run of site in dest: run ids sort by
// time, so the greatest id with a complete manifest of the site wins.
func latestRun(ctx context.Context, dest location.Location, site string, s3 *store.S3Options) (*output.RunReader, error) {
	ids, err := runIDs(ctx, dest, s3)
	if err != nil {
		return nil, &errNoBase{reason: "cannot list earlier runs in " + dest.String() + ": " + err.Error()}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	for _, id := range ids {
		rr, err := output.OpenRun(ctx, dest.Join(id), s3)
		if err != nil {
			continue
		}
		m := rr.Manifest()
		if m.Site == site && m.Status == manifest.StatusComplete && len(m.Tables) > 0 {
			return rr, nil
		}
	}
	return nil, &errNoBase{reason: "no complete run of site " + site + " in " + dest.String()}
}

// runIDs lists the folders of dest that hold a manifest.json.
func runIDs(ctx context.Context, dest location.Location, s3 *store.S3Options) ([]string, error) {
	if dest.IsS3() {
		var so store.S3Options
		if s3 != nil {
			so = *s3
		}
		st, err := store.NewS3(ctx, dest.Bucket(), dest.Prefix(), so)
		if err != nil {
			return nil, err
		}
		names, err := st.List(ctx)
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, n := range names {
			if id, rest, ok := strings.Cut(n, "/"); ok && rest == manifest.FileName {
				ids = append(ids, id)
			}
		}
		return ids, nil
	}
	ents, err := os.ReadDir(dest.Path())
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var ids []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}
