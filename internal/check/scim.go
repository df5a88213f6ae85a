package check

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/govextract/jira-extractor/internal/scim"
)

// SCIMClient is the part of the SCIM client the check uses; *scim.Client
// implements it.
type SCIMClient interface {
	BaseURL() string
	Version() int
	AuthKind() scim.AuthKind
	ReadsSchema() bool
	Capabilities(ctx context.Context) (scim.Capabilities, error)
	CountUsers(ctx context.Context) (int, error)
	CountGroups(ctx context.Context) (int, error)
}

// SCIMReport is the outcome of the check of a SCIM directory.
type SCIMReport struct {
	Base    string
	Version int
	Auth    scim.AuthKind
	// AuthErr is set when the credential was refused (or no answer came):
	// then Results holds the probes made before.
	AuthErr error
	// Caps is what discovery found (the defaults without readSchema).
	Caps    scim.Capabilities
	Results []Result
}

// OK reports whether the credential works and users and groups can be
// read.
func (r *SCIMReport) OK() bool {
	return r.AuthErr == nil && allReadable(r.Results)
}

// RunSCIM checks the SCIM credential and discovery, then reads one user
// and one group (their totals). A refused credential, an untrusted
// certificate or a refused redirect ends it in AuthErr; a context error
// is returned.
func RunSCIM(ctx context.Context, c SCIMClient) (*SCIMReport, error) {
	rep := &SCIMReport{Base: c.BaseURL(), Version: c.Version(), Auth: c.AuthKind()}
	stop := func(err error) bool {
		if err != nil && (scim.IsAuth(err) || scim.IsFinal(err)) {
			rep.AuthErr = err
			return true
		}
		return false
	}
	caps, err := c.Capabilities(ctx)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("check scim: %w", ctx.Err())
	}
	if stop(err) {
		return rep, nil
	}
	rep.Caps = caps
	rep.Results = append(rep.Results, discoveryResult(c, caps, err))
	if err != nil {
		for _, kind := range []string{"scim user", "scim group"} {
			rep.Results = append(rep.Results, Result{Kind: kind, State: Skipped, Detail: "discovery failed"})
		}
		return rep, nil
	}
	for _, p := range []struct {
		kind, path string
		count      func(context.Context) (int, error)
		noneOK     bool
	}{
		{"scim user", caps.UsersPath, c.CountUsers, false},
		{"scim group", caps.GroupsPath, c.CountGroups, true},
	} {
		n, err := p.count(ctx)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("check %s: %w", p.kind, ctx.Err())
		}
		if stop(err) {
			return rep, nil
		}
		rep.Results = append(rep.Results, countResult(p.kind, "GET "+p.path, n, p.noneOK, err))
	}
	return rep, nil
}

// discoveryResult describes what discovery found, or why it failed.
func discoveryResult(c SCIMClient, caps scim.Capabilities, err error) Result {
	spc := "/ServiceProviderConfig"
	if c.Version() == 1 {
		spc += "s"
	}
	r := Result{Kind: "scim discovery", Endpoint: "GET " + spc + ", /Schemas"}
	if c.Version() != 1 {
		r.Endpoint = "GET " + spc + ", /ResourceTypes, /Schemas"
	}
	yes := map[bool]string{true: "yes", false: "no"}
	switch {
	case err != nil:
		r.State, r.Detail = Failed, err.Error()
	case !c.ReadsSchema():
		r.State, r.Endpoint = Skipped, "-"
		r.Detail = fmt.Sprintf("scim.readSchema is false: page size %d, PATCH and filter assumed", caps.PageSize)
	default:
		r.State = OK
		r.Detail = fmt.Sprintf("page size %d, PATCH %s, filter %s, bulk %s, %d schemas, users at %s, groups at %s",
			caps.PageSize, yes[caps.Patch], yes[caps.Filter], yes[caps.Bulk], len(caps.Schemas), caps.UsersPath, caps.GroupsPath)
	}
	return r
}

// countResult classifies reading a resource's total.
func countResult(kind, endpoint string, n int, noneOK bool, err error) Result {
	r := Result{Kind: kind, Endpoint: endpoint}
	var se *scim.Error
	switch {
	case errors.As(err, &se) && (se.Status == http.StatusForbidden || se.Status == http.StatusNotFound):
		r.State, r.Missing, r.Detail = Denied, "read access of the SCIM credential to "+endpoint[len("GET "):], err.Error()
	case err != nil:
		r.State, r.Detail = Failed, err.Error()
	case n == 0 && !noneOK:
		r.State, r.Missing = Empty, "users visible to the SCIM credential (is the base URL the right directory?)"
		r.Detail = "the request succeeded but the directory lists no user"
	default:
		r.State, r.Detail = OK, fmt.Sprintf("%d in the directory", n)
	}
	return r
}
