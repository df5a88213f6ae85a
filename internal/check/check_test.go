package check

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/secret"

	"github.com/govextract/jira-extractor/internal/jira"
)

// fake answers every probe; errs maps a kind to the error its probe gets.
type fake struct {
	kind      jira.TokenKind
	detectErr error
	errs      map[string]error
	noGroups  bool
	calls     []string
}

func (f *fake) err(k string) error { f.calls = append(f.calls, k); return f.errs[k] }

func (f *fake) Detect(context.Context) (jira.Identity, error) {
	if f.detectErr != nil {
		return jira.Identity{}, f.detectErr
	}
	return jira.Identity{Kind: f.kind, CloudID: "cloud-1", Myself: jira.Myself{AccountID: "acc-1", DisplayName: "Sim Admin", EmailAddress: "sim@example.com"}}, nil
}
func (f *fake) UsersPage(context.Context, int, int) ([]jira.User, error) {
	return []jira.User{{AccountID: "u1"}}, f.err("user")
}
func (f *fake) GroupsPage(context.Context, int, int) (jira.Page[jira.Group], error) {
	if f.noGroups {
		return jira.Page[jira.Group]{}, f.err("group")
	}
	return jira.Page[jira.Group]{Values: []jira.Group{{GroupID: "g1", Name: "jira-users"}}}, f.err("group")
}
func (f *fake) GroupMembersPage(_ context.Context, id string, _ bool, _, _ int) (jira.Page[jira.User], error) {
	if id != "g1" {
		return jira.Page[jira.User]{}, errors.New("wrong group " + id)
	}
	return jira.Page[jira.User]{}, f.err("member_of")
}
func (f *fake) ProjectsPage(context.Context, int, int) (jira.Page[jira.Project], error) {
	if err := f.err("project"); err != nil {
		return jira.Page[jira.Project]{}, err
	}
	return jira.Page[jira.Project]{Values: []jira.Project{{ID: "10000", Key: "ABC"}}}, nil
}
func (f *fake) ProjectRoleDetails(_ context.Context, id string) ([]jira.RoleDetail, error) {
	if id != "10000" {
		return nil, errors.New("wrong project " + id)
	}
	return nil, f.err("project_role")
}
func (f *fake) GlobalRoles(context.Context) ([]jira.ProjectRole, error) { return nil, f.err("role") }
func (f *fake) ApplicationRoles(context.Context) ([]jira.ApplicationRole, error) {
	return nil, f.err("application_role")
}
func (f *fake) PermissionSchemes(context.Context) ([]jira.PermissionScheme, error) {
	return nil, f.err("permission_scheme")
}
func (f *fake) ProjectPermissionScheme(context.Context, string) (jira.PermissionScheme, error) {
	return jira.PermissionScheme{}, f.err("uses_scheme")
}
func (f *fake) OrgUsersPage(context.Context, string) ([]jira.OrgUser, string, error) {
	return nil, "", f.err("org users")
}
func (f *fake) OrgGroupsPage(context.Context, string) ([]jira.OrgGroup, string, error) {
	return nil, "", f.err("org groups")
}

var app = jira.Options{SiteURL: "https://acme.atlassian.net", SiteName: "acme"}

func run(t *testing.T, f *fake, a jira.Options) (*Report, string) {
	t.Helper()
	rep, err := Run(context.Background(), f, a)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	rep.Print(&buf)
	return rep, buf.String()
}

func result(t *testing.T, rep *Report, kind string) Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.Kind == kind {
			return r
		}
	}
	t.Fatalf("no result for %s", kind)
	return Result{}
}

func TestEverythingReadable(t *testing.T) {
	f := &fake{kind: jira.Unscoped}
	rep, out := run(t, f, app)
	if !rep.OK() {
		t.Fatalf("not OK:\n%s", out)
	}
	for _, want := range []string{"https://acme.atlassian.net", "unscoped", "Sim Admin <sim@example.com> (accountId acc-1)", "Every kind can be read", "permission_scheme", "GET /rest/api/3/role"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, k := range f.calls {
		if strings.HasPrefix(k, "org") {
			t.Errorf("org probe ran without org access: %s", k)
		}
	}
	if len(rep.Results) != 9 {
		t.Errorf("want 9 probes, got %d", len(rep.Results))
	}
}

func TestUnscopedMissingAdminister(t *testing.T) {
	forbidden := &jira.APIError{Method: "GET", Endpoint: "/rest/api/3/role", Status: 403}
	notFound := &jira.APIError{Method: "GET", Endpoint: "/rest/api/3/permissionscheme", Status: 404}
	f := &fake{kind: jira.Unscoped, errs: map[string]error{"role": forbidden, "application_role": forbidden, "permission_scheme": notFound}}
	rep, out := run(t, f, app)
	if rep.OK() {
		t.Fatalf("OK despite denials:\n%s", out)
	}
	for _, k := range []string{"role", "application_role", "permission_scheme"} {
		r := result(t, rep, k)
		if r.State != Denied || !strings.Contains(r.Missing, PermAdminister) {
			t.Errorf("%s: %+v", k, r)
		}
	}
	if r := result(t, rep, "user"); r.State != OK {
		t.Errorf("user: %+v", r)
	}
	if !strings.Contains(out, `Jira permission "Administer Jira"`) || !strings.Contains(out, "3 kind(s) cannot be read: role, application_role, permission_scheme") {
		t.Errorf("output:\n%s", out)
	}
}

func TestScopedMissingScope(t *testing.T) {
	scope := func(s string) error {
		return &jira.AuthError{Status: 401, MissingScope: true, Scope: s, Message: "scope does not match"}
	}
	f := &fake{kind: jira.Scoped, errs: map[string]error{
		"project": scope("read:jira-work"), "role": scope(""), "application_role": scope("read:jira-user"),
	}}
	rep, out := run(t, f, app)
	if rep.OK() {
		t.Fatalf("OK despite scopes:\n%s", out)
	}
	if r := result(t, rep, "project"); r.Missing != "token scope read:jira-work" {
		t.Errorf("project: %+v", r)
	}
	// Unnamed by the client: the check's own table names it.
	if r := result(t, rep, "role"); r.Missing != "token scope "+ScopeReadWork {
		t.Errorf("role: %+v", r)
	}
	// The check's table wins over the client's.
	if r := result(t, rep, "application_role"); r.Missing != "token scope "+ScopeManageConf {
		t.Errorf("application_role: %+v", r)
	}
	// No project was visible: the project-scoped probes are skipped, not failed.
	if r := result(t, rep, "project_role"); r.State != Skipped {
		t.Errorf("project_role: %+v", r)
	}
	if !strings.Contains(out, "scoped API token") || !strings.Contains(out, "cloud-1") || !strings.Contains(out, "manage:jira-configuration") {
		t.Errorf("output:\n%s", out)
	}
}

func TestBadCredentials(t *testing.T) {
	f := &fake{detectErr: &jira.AuthError{Endpoint: "GET /rest/api/3/myself", Status: 401, Message: "token is invalid or expired: check appConfig.token"}}
	rep, out := run(t, f, app)
	if rep.OK() || rep.AuthErr == nil || len(rep.Results) != 0 {
		t.Fatalf("bad credentials not reported: %+v", rep)
	}
	if !strings.Contains(out, "refused") || !strings.Contains(out, "token is invalid or expired") {
		t.Errorf("output:\n%s", out)
	}
	if len(f.calls) != 0 {
		t.Errorf("probed after a refused login: %v", f.calls)
	}
}

func TestEmptyAndOtherErrors(t *testing.T) {
	f := &fake{kind: jira.Unscoped, noGroups: true, errs: map[string]error{"user": errors.New("connection reset")}}
	rep, out := run(t, f, app)
	if r := result(t, rep, "group"); r.State != Empty || !strings.Contains(r.Missing, PermBrowseUsers) {
		t.Errorf("group: %+v", r)
	}
	if r := result(t, rep, "member_of"); r.State != Skipped {
		t.Errorf("member_of: %+v", r)
	}
	if r := result(t, rep, "user"); r.State != Failed || !strings.Contains(r.Detail, "connection reset") {
		t.Errorf("user: %+v", r)
	}
	if rep.OK() {
		t.Fatalf("OK with failures:\n%s", out)
	}
}

func TestOrgProbes(t *testing.T) {
	a := app
	a.OrgID = "org-1"
	a.OrgAPIKey = secret.New("org-key")
	f := &fake{kind: jira.Unscoped, errs: map[string]error{"org groups": &jira.AuthError{Status: 401, Message: "the organization API key is invalid"}}}
	rep, out := run(t, f, a)
	if r := result(t, rep, "org users"); r.State != OK {
		t.Errorf("org users: %+v", r)
	}
	if r := result(t, rep, "org groups"); r.State != Denied || r.Missing != PermOrgKey {
		t.Errorf("org groups: %+v", r)
	}
	if strings.Contains(out, "org-key") {
		t.Fatal("org key printed")
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := &fake{kind: jira.Unscoped, detectErr: context.Canceled}
	if _, err := Run(ctx, f, app); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func (f *fake) OrgUsersV2Page(context.Context, string) ([]jira.OrgUser, string, error) {
	return nil, "", f.err("org users v2")
}
