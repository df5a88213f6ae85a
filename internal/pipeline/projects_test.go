package pipeline

import (
	"context"
	"strings"
	"testing"
)

// projectsOnly is a copy of f whose truth holds only the projects in keep
// (indexes into f.projects): what a run that lost the others must produce.
func projectsOnly(f *fakeSite, keep func(i int) bool) *fakeSite {
	g := &fakeSite{users: f.users, groups: f.groups, roles: f.roles, apps: f.apps, schemes: f.schemes, schemeOf: f.schemeOf,
		orgUsers: f.orgUsers, orgGrps: f.orgGrps, forbidden: f.forbidden, notFound: f.notFound, vanishing: f.vanishing}
	for i, p := range f.projects {
		if keep(i) {
			g.projects = append(g.projects, p)
		}
	}
	return g
}

func warningScopes(res Result) []string {
	var out []string
	for _, w := range res.Warnings {
		out = append(out, w.Scope)
	}
	return out
}

// A 404 that project/search answers once (a node or proxy fault) loses
// nothing, on the first page or on a later one, with or without totals.
func TestProjects404OnceLosesNothing(t *testing.T) {
	for _, tc := range []struct {
		name      string
		startAt   int
		omitTotal bool
	}{
		{"first page", 0, false},
		{"startAt=200", 200, false},
		{"startAt=200 without totals", 200, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSite(300, 6, 350)
			f.omitTotals = tc.omitTotal
			f.projects404[tc.startAt] = 1
			app := testApp{Concurrency: 4}
			s, res, err := runFake(t, context.Background(), f, app, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Warnings) != 0 {
				t.Errorf("warnings %v after a 404 that went away on the second ask", res.Warnings)
			}
			wantE, wantR := expected(f, app, false)
			compare(t, s, wantE, wantR)
		})
	}
}

// A 404 that persists after the first page is never the end of the list:
// the run finishes partial, with a warning naming the projects scope, and
// with a total the pages after the missing one are still read.
func TestProjects404AfterFirstPageIsPartial(t *testing.T) {
	for _, tc := range []struct {
		name      string
		omitTotal bool
		keep      func(i int) bool
	}{
		{"with totals", false, func(i int) bool { return i < 200 || i >= 300 }},
		{"without totals", true, func(i int) bool { return i < 200 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSite(300, 6, 350)
			f.omitTotals = tc.omitTotal
			f.projects404[200] = 1000
			app := testApp{Concurrency: 4}
			s, res, err := runFake(t, context.Background(), f, app, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(warningScopes(res), ","); got != projectsScope {
				t.Fatalf("warning scopes %q, want %q", got, projectsScope)
			}
			if msg := res.Warnings[0].Message; !strings.Contains(msg, "startAt=200") || !strings.Contains(msg, "HTTP 404") {
				t.Errorf("warning %q does not name the page and the cause", msg)
			}
			wantE, wantR := expected(projectsOnly(f, tc.keep), app, false)
			compare(t, s, wantE, wantR)
		})
	}
}

// A 404 on the first page of a site that has projects, asked twice, is
// contradicted by the plain project/search: a warning, not "no projects".
func TestProjects404OnFirstPageOfASiteWithProjectsIsPartial(t *testing.T) {
	f := newFakeSite(300, 6, 120)
	f.projects404[0] = 1000
	app := testApp{Concurrency: 4}
	s, res, err := runFake(t, context.Background(), f, app, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(warningScopes(res), ","); got != projectsScope {
		t.Fatalf("warning scopes %q, want %q", got, projectsScope)
	}
	if msg := res.Warnings[0].Message; !strings.Contains(msg, "sees 100 projects") {
		t.Errorf("warning %q does not say how many projects the probe saw (100 live of 120)", msg)
	}
	wantE, wantR := expected(projectsOnly(f, func(int) bool { return false }), app, false)
	compare(t, s, wantE, wantR)
}

// A site with truly no projects (project/search and the plain probe both
// answer 404) completes without a warning.
func TestNoProjects(t *testing.T) {
	f := newFakeSite(10, 2, 0)
	s, res, err := runFake(t, context.Background(), f, testApp{}, 1000)
	if err != nil {
		t.Fatalf("a site without projects (project/search 404) failed: %v", err)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings on a site without projects: %v", res.Warnings)
	}
	wantE, wantR := expected(f, testApp{}, false)
	compare(t, s, wantE, wantR)
	if n, p := f.count("projects"), f.count("projectsprobe"); n != 2 || p != 1 {
		t.Errorf("project/search asked %d times and probed %d times, want 2 and 1", n, p)
	}
}

// When the probe itself fails, the run cannot tell an empty site from a
// lost list: it fails, naming the cause.
func TestProjectsProbeFailureFails(t *testing.T) {
	f := newFakeSite(10, 2, 0)
	f.failEndpoint = "projectsprobe"
	_, _, err := runFake(t, context.Background(), f, testApp{}, 1000)
	if err == nil || !strings.Contains(err.Error(), "project/search") || !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("error %v, want one naming project/search and the probe's HTTP 500", err)
	}
}
