// Package accesscmd answers the effective-access questions of a finished
// run: "access who" (the users who hold a permission in a project) and
// "access what" (the project roles and permissions a user holds), rendered
// as a table, JSON lines or CSV. The CLI (jira-extractor access) and the
// plugin protocol (Access) both call it, so their output is the same bytes.
package accesscmd

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/govextract/jira-extractor/internal/access"
	"github.com/govextract/jira-extractor/internal/location"
	"github.com/govextract/jira-extractor/internal/output"
	"github.com/govextract/jira-extractor/internal/output/store"
	"github.com/govextract/jira-extractor/internal/usageerr"
)

// The questions.
const (
	Who  = "who"
	What = "what"
)

// Query is one question, as its command-line flags give it.
type Query struct {
	// Run is the run folder DEST/RUN_ID.
	Run string
	// Question is Who or What.
	Question string
	// Project (who) by key or id; User (what) by account id or email.
	Project, User string
	// Permission is a permission key or "*".
	Permission string
	// Format is "table", "json" or "csv".
	Format string
	// S3 reaches an S3 run; nil uses the AWS SDK's default chain.
	S3 *store.S3Options
}

// Validate checks the query without reading the run; its messages name the
// command-line flags.
func (q Query) Validate() error {
	_, err := q.runLocation()
	return err
}

// runLocation checks q and returns its parsed --run.
func (q Query) runLocation() (location.Location, error) {
	switch {
	case q.Question != Who && q.Question != What:
		return location.Location{}, usageerr.New(fmt.Sprintf("unknown question %q: use access who or access what", q.Question))
	case q.Run == "":
		return location.Location{}, usageerr.New("--run DEST/RUN_ID is required: the folder of a finished run")
	case q.Question == Who && q.Project == "":
		return location.Location{}, usageerr.New("--project KEY|ID is required")
	case q.Question == What && q.User == "":
		return location.Location{}, usageerr.New("--user ACCOUNTID|EMAIL is required")
	case q.Format != "table" && q.Format != "json" && q.Format != "csv":
		return location.Location{}, usageerr.New(fmt.Sprintf("unknown --format %q: use table, json or csv", q.Format))
	case q.Permission == "":
		return location.Location{}, usageerr.New(`--permission is empty: give a key such as ADMINISTER_PROJECTS, or "*"`)
	}
	run, err := location.Parse(q.Run)
	if err != nil {
		return run, usageerr.New("--run: " + err.Error())
	}
	return run, nil
}

// Answer validates q, reads the run and writes the answer to out as it is
// resolved; note gets each note of the run's manifest (scope, message)
// before the answer. It returns the rows written. A bad query or unknown
// name is a bad request (IsUsage); a run that cannot be read, or an answer that
// cannot be written, another error.
func Answer(ctx context.Context, q Query, out io.Writer, note func(scope, message string)) (int, error) {
	run, err := q.runLocation()
	if err != nil {
		return 0, err
	}
	rr, err := output.OpenRun(ctx, run, q.S3)
	if err != nil {
		return 0, err
	}
	ix, err := access.Load(ctx, rr)
	if err != nil {
		return 0, err
	}
	if err := ix.CheckPermission(q.Permission); err != nil {
		return 0, notFound(err)
	}
	var perms []string
	if q.Permission != "*" {
		perms = []string{q.Permission}
	}
	for _, n := range rr.Manifest().Notes {
		note(n.Scope, n.Message)
	}
	aw := newWriter(out, q.Format, q.Question)
	if q.Question == Who {
		p, err := ix.FindProject(q.Project)
		if err != nil {
			return 0, notFound(err)
		}
		aw.title(fmt.Sprintf("Project %s (id %s, %s): %s", p.Key, p.ID, clean(quote(p.Name)), q.Permission))
		err = ix.Who(p, perms, aw.row)
	} else {
		u, err := ix.FindUser(q.User)
		if err != nil {
			return 0, notFound(err)
		}
		aw.title(fmt.Sprintf("User %s (%s)", u.AccountID, clean(describeUser(u))))
		err = ix.What(u, perms, aw.row)
	}
	if err == nil {
		err = aw.close()
	}
	if err != nil {
		return aw.all, fmt.Errorf("write answer: %w", err)
	}
	return aw.all, nil
}

// notFound makes an unknown name a bad request.
func notFound(err error) error {
	var nf *access.NotFoundError
	if errors.As(err, &nf) {
		return usageerr.New(err.Error())
	}
	return err
}
