package pipeline

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/model"
	"github.com/govextract/jira-extractor/internal/progress"
	"github.com/govextract/jira-extractor/internal/secret"
)

// v1Retired is a site whose Admin API v1 users listing answers status
// (404 or 410) from page failAt on.
type v1Retired struct {
	*fakeSite
	status, failAt int
}

func (v v1Retired) OrgUsersPage(ctx context.Context, cursor string) ([]jira.OrgUser, string, error) {
	if n, _ := strconv.Atoi(cursor); n/7 >= v.failAt {
		return nil, "", &statusErr{v.status, "orgusers"}
	}
	return v.fakeSite.OrgUsersPage(ctx, cursor)
}

// A v1 users listing that is gone (404 or 410, on its first page or later)
// degrades to the v2 listing with one warning naming the v1 endpoint, its
// status and what is lost; the output is the full truth minus exactly the
// v1-only fields (last active dates, product access).
func TestAdminV1UsersGoneDegradesToV2WithAWarning(t *testing.T) {
	for _, tc := range []struct{ status, failAt int }{{404, 0}, {410, 0}, {410, 2}} {
		f := newFakeSite(50, 4, 2)
		addOrg(f)
		app := testApp{Concurrency: 2, OrgID: "org", OrgAPIKey: secret.New("key")}
		s := newMemSink(t, 100)
		gone := func(err error) bool { return isStatus(404)(err) || isStatus(410)(err) }
		res, err := Run(context.Background(), Options{Filter: app.options().Filter, Concurrency: 2, OrgAccess: true,
			Source: v1Retired{f, tc.status, tc.failAt}, Sink: s,
			IsNotFound: isStatus(404), IsForbidden: isStatus(403), IsGone: gone, Tracker: progress.NewTracker(nil)})
		if err != nil {
			t.Fatalf("v1 users %d at page %d: the run failed instead of degrading to v2: %v", tc.status, tc.failAt, err)
		}
		if len(res.Warnings) != 1 || res.Warnings[0].Scope != orgUsersScope {
			t.Fatalf("v1 users %d: warnings %v, want one on %q", tc.status, res.Warnings, orgUsersScope)
		}
		msg := res.Warnings[0].Message
		for _, want := range []string{jira.OrgUsersV1Endpoint, strconv.Itoa(tc.status), jira.OrgUsersV2Endpoint, "last active", "product access"} {
			if !strings.Contains(msg, want) {
				t.Errorf("v1 users %d: warning %q does not say %q", tc.status, msg, want)
			}
		}
		wantE, wantR := expected(f, app, true)
		for k, e := range wantE {
			if e.SourceType == model.User {
				delete(e.Attrs, "last_active")
				delete(e.Attrs, "product_access")
				wantE[k] = e
			}
		}
		compare(t, s, wantE, wantR)
	}
}

// Any other v1 error still fails the run, and a v2 listing that fails too
// fails it.
func TestAdminV1UsersOtherErrorsStillFail(t *testing.T) {
	f := newFakeSite(20, 2, 1)
	addOrg(f)
	gone := func(err error) bool { return isStatus(404)(err) || isStatus(410)(err) }
	for _, src := range []Source{v1Retired{f, 500, 0}, v2Broken{v1Retired{f, 410, 0}}} {
		_, err := Run(context.Background(), Options{Concurrency: 2, OrgAccess: true, Source: src, Sink: newMemSink(t, 100),
			IsNotFound: isStatus(404), IsForbidden: isStatus(403), IsGone: gone})
		var se *statusErr
		if !errors.As(err, &se) || se.status != 500 {
			t.Errorf("%T: err %v, want the 500", src, err)
		}
	}
}

type v2Broken struct{ v1Retired }

func (v2Broken) OrgUsersV2Page(context.Context, string) ([]jira.OrgUser, string, error) {
	return nil, "", &statusErr{500, "orgusers-v2"}
}
