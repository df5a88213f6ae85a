// Command jirasim is the Jira Cloud simulator: it serves a generated or
// fixed site (Jira REST API v3, the scoped-token gateway and the Atlassian
// Admin API) on one local base URL, with rate limits and injected faults,
// and prints the ground truth a correct extraction must produce.
//
//	jirasim serve   [flags]   serve a site until SIGINT/SIGTERM
//	jirasim truth   [flags]   write the ground truth as JSON lines
//	jirasim dataset [flags]   write the generated site as a dataset file
//
// Run "jirasim help COMMAND" or "jirasim COMMAND --help" for a command's
// flags. serve listens on 127.0.0.1:8080 unless --addr says otherwise (the
// port of testdata/jobs/simulator.json).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/govextract/jira-extractor/cmd/jirasim/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// DefaultAddr is where serve listens without --addr: the address the
// example job file testdata/jobs/simulator.json reads.
const DefaultAddr = "127.0.0.1:8080"

const usage = `jirasim: a Jira Cloud simulator.

Usage:
  jirasim serve   [flags]   serve a site (Jira REST v3 + gateway + Admin API) until SIGINT/SIGTERM
  jirasim truth   [flags]   write the ground truth (JSON lines: one entity or relation per line)
  jirasim dataset [flags]   write the generated site as a dataset JSON file
  jirasim help [COMMAND]    this text, or a command's flags

Run "jirasim help COMMAND" or "jirasim COMMAND --help" for a command's flags.
`

// run executes one command; serve stops when ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "truth":
		return truth(args[1:], stdout, stderr)
	case "dataset":
		return dataset(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[0] == "help" {
			switch args[1] {
			case "serve", "truth", "dataset":
				return run(ctx, []string{args[1], "--help"}, stdout, stderr)
			}
			fmt.Fprintf(stderr, "jirasim help: unknown command %q\n\n%s", args[1], usage)
			return 2
		}
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "jirasim: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// siteFlags are the flags that choose the site's data.
func siteFlags(fs *flag.FlagSet, c *sim.Config) {
	fs.StringVar(&c.Size, "size", "small", "preset: small (~200 users), medium (~20k), large (~200k)")
	fs.Int64Var(&c.Seed, "seed", 1, "generation seed (same seed, same site)")
	fs.IntVar(&c.Users, "users", 0, "number of users (overrides the preset)")
	fs.IntVar(&c.Groups, "groups", 0, "number of groups (overrides the preset)")
	fs.IntVar(&c.Projects, "projects", 0, "number of projects (overrides the preset)")
	fs.Float64Var(&c.MeanMembersPerGroup, "mean-members", 0, "mean group size (overrides the preset)")
	fs.IntVar(&c.Schemes, "schemes", 0, "number of permission schemes (default from the project count)")
	fs.StringVar(&c.DatasetFile, "dataset", "", "load a fixed site from this dataset JSON file instead of generating one")
}

// cmdFlags is a command's flag set and the first line of its help.
type cmdFlags struct {
	*flag.FlagSet
	synopsis string
	stdout   io.Writer
	// epilogue, if set, closes the help (after the flags).
	epilogue string
}

// newFlagSet makes a command's flag set: --help prints the command's own
// help to stdout; a bad flag prints the error and where to find the help to
// stderr.
func newFlagSet(name, synopsis string, stdout, stderr io.Writer) *cmdFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, "Run 'jirasim %s --help' for its flags.\n", name) }
	return &cmdFlags{FlagSet: fs, synopsis: synopsis, stdout: stdout}
}

// help writes the command's usage line and every flag.
func (c *cmdFlags) help() {
	fmt.Fprintf(c.stdout, "Usage: jirasim %s\n\nFlags:\n", c.synopsis)
	c.SetOutput(c.stdout)
	c.PrintDefaults()
	fmt.Fprint(c.stdout, c.epilogue)
}

func parse(fs *cmdFlags, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.help()
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "jirasim %s: unexpected arguments %q\n", fs.Name(), fs.Args())
		return 2, false
	}
	return 0, true
}

func list(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var c sim.Config
	fs := newFlagSet("serve", "serve [--addr 127.0.0.1:PORT] [--size small|medium|large] [--seed N] [flags]", stdout, stderr)
	siteFlags(fs.FlagSet, &c)
	addr := fs.String("addr", DefaultAddr, "listen address (port 0 picks a free one; the default is the port of testdata/jobs/simulator.json)")
	ready := fs.String("ready-file", "", "write the base URL to this file once listening")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&c.SiteName, "site-name", "", `site name used in "self" links (default "sim" or the dataset's)`)
	fs.StringVar(&c.Email, "email", sim.DefaultEmail, "account email for Basic auth")
	fs.StringVar(&c.Token, "token", sim.DefaultToken, "unscoped API token (site only)")
	fs.StringVar(&c.ScopedToken, "scoped-token", sim.DefaultScopedToken, "scoped API token with every scope (gateway only)")
	fs.StringVar(&c.UnderScopedToken, "underscoped-token", sim.DefaultUnderScopedToken, "scoped token lacking read:jira-work and manage:jira-configuration")
	fs.Func("underscoped-scopes", "comma list of the classic scopes the under-scoped token has (default read:jira-user)", func(v string) error {
		c.UnderScopedScopes = list(v)
		return nil
	})
	fs.StringVar(&c.CloudID, "cloud-id", "", "gateway cloud id (default derived from the seed)")
	fs.StringVar(&c.OrgID, "org-id", sim.DefaultOrgID, "Admin API org id")
	fs.StringVar(&c.OrgAPIKey, "org-key", sim.DefaultOrgAPIKey, "Admin API key (Bearer)")
	deny := fs.String("deny", "", "comma list of permissions the account lacks: browse-users, administer-jira, browse-projects, administer-projects")
	fs.Float64Var(&c.RateLimit.PerSecond, "rate", 0, "token-bucket rate per route of GETs, requests/s (0: no limit); POST defaults to it, PUT/DELETE to half")
	fs.IntVar(&c.RateLimit.Burst, "burst", 0, "token-bucket size (default: the rate)")
	fs.Float64Var(&c.RateLimit.PostPerSecond, "post-rate", 0, "token-bucket rate per POST route (0: as --rate, -1: no limit)")
	fs.IntVar(&c.RateLimit.PostBurst, "post-burst", 0, "POST bucket size (default: the POST rate)")
	fs.Float64Var(&c.RateLimit.DeletePerSecond, "delete-rate", 0, "token-bucket rate per PUT/DELETE route (0: half --rate, -1: no limit)")
	fs.IntVar(&c.RateLimit.DeleteBurst, "delete-burst", 0, "PUT/DELETE bucket size (default: the PUT/DELETE rate)")
	fs.BoolVar(&c.RateLimit.NoRetryAfter, "no-retry-after", false, "send 429s without Retry-After")
	fs.StringVar(&c.RateLimit.Reason, "rate-reason", "jira-burst-based", "RateLimit-Reason header of 429s")
	fs.StringVar(&c.RateLimit.Headers, "rate-headers", "", `header set of 429s: "" (Retry-After, X-RateLimit-*), "structured" (only RateLimit/Beta-RateLimit and their policies) or "reset-minutes" (only X-RateLimit-Reset without seconds)`)
	f := &c.Faults
	fs.DurationVar(&f.Latency, "latency", 0, "latency added to every answer")
	fs.DurationVar(&f.Jitter, "jitter", 0, "random extra latency in [0, jitter)")
	fs.Float64Var(&f.Rate500, "fault-500", 0, "probability of a 500")
	fs.Float64Var(&f.Rate502, "fault-502", 0, "probability of a 502 (HTML body)")
	fs.Float64Var(&f.Rate503, "fault-503", 0, "probability of a 503 (half of them with Retry-After: 1)")
	fs.Float64Var(&f.Rate504, "fault-504", 0, "probability of a 504 (HTML body)")
	fs.Float64Var(&f.RateReset, "fault-reset", 0, "probability of closing the connection without an answer")
	fs.Float64Var(&f.RateTruncated, "fault-truncate", 0, "probability of a 200 whose JSON body is cut in half")
	fs.Float64Var(&f.Rate409UserSearch, "fault-409", 0, "probability of a 409 on users/search")
	fs.IntVar(&f.UserSearch409Above, "fault-409-above", 0, "users/search answers 409 to every request for more than this many users (0: never)")
	fs.Float64Var(&f.Rate429, "fault-429", 0, "probability of a 429 on top of the bucket's")
	fs.Float64Var(&f.AfterWrite500, "fault-after-write-500", 0, "probability that a successful write answers 500 (the change is made)")
	fs.Float64Var(&f.AfterWriteReset, "fault-after-write-reset", 0, "probability that a successful write drops the connection (the change is made)")
	c.RequiredIssueFields = map[string][]string{}
	fs.Func("issue-required-field", "PROJECTKEY=customfield_N[,customfield_M]: custom fields POST /issue requires in that project (repeatable)", func(v string) error {
		key, fields, ok := strings.Cut(v, "=")
		if !ok || key == "" || len(list(fields)) == 0 {
			return fmt.Errorf("want PROJECTKEY=customfield_N[,...], got %q", v)
		}
		c.RequiredIssueFields[key] = append(c.RequiredIssueFields[key], list(fields)...)
		return nil
	})
	fs.BoolVar(&f.ShortUserPages, "short-pages", false, "users/search returns short (never empty) pages before the end")
	fs.BoolVar(&f.OmitTotals, "omit-totals", false, `leave "total" out of every PageBean`)
	fs.BoolVar(&f.PlainText401, "plain-401", false, "answer bad credentials with a text/plain body")
	fs.BoolVar(&f.XML401, "xml-401", false, "answer bad credentials with an XML body")
	fs.BoolVar(&f.Password401, "password-401", false, `answer bad credentials with "Basic authentication with passwords is deprecated"`)
	fs.BoolVar(&f.NotFoundSchemes, "notfound-schemes", false, "--notfound-projects also covers their project/{id}/permissionscheme")
	fs.BoolVar(&f.EmptyProjectSearch404, "empty-project-page-404", false, "project/search answers 404 to a page past the end instead of an empty page")
	fs.IntVar(&f.OrgUsersV1Status, "org-users-v1-status", 0, "404 or 410: the retired Admin API v1 users listing answers it (v2 still answers)")
	forbidden := fs.String("forbidden-projects", "", "comma list of project ids/keys whose role endpoints answer 403")
	notFound := fs.String("notfound-projects", "", "comma list of project ids/keys whose role endpoints answer 404")
	vanishing := fs.String("vanishing-groups", "", "comma list of group ids that answer 404 on group/member after their first page")
	var churn sim.Churn
	fs.Float64Var(&churn.Rate, "churn", 0, "churn rate: every --churn-every, change this share of groups + projects (memberships, role actors, users, groups, projects; with audit records)")
	churnEvery := fs.Duration("churn-every", time.Minute, "how often --churn applies a step of change")
	fs.Float64Var(&churn.Unaudited, "churn-unaudited", 0, "share of churned membership changes made without an audit record, as an identity-provider sync (shown in the Admin API group counts)")
	fs.epilogue = serveEndpoints
	if code, ok := parse(fs, args); !ok {
		return code
	}
	f.ForbiddenProjects, f.NotFoundProjects, f.VanishingGroups = list(*forbidden), list(*notFound), list(*vanishing)
	if ds := list(*deny); len(ds) > 0 {
		p := sim.Permissions{BrowseUsers: true, AdministerJira: true, BrowseProjects: true, AdministerProjects: true}
		for _, d := range ds {
			switch d {
			case "administer-projects":
				p.AdministerProjects = false
			case "browse-users":
				p.BrowseUsers = false
			case "administer-jira":
				p.AdministerJira = false
			case "browse-projects":
				p.BrowseProjects = false
			default:
				fmt.Fprintf(stderr, "jirasim serve: unknown permission %q in --deny\n", d)
				return 2
			}
		}
		p.DenyAll = !p.BrowseUsers && !p.AdministerJira && !p.BrowseProjects && !p.AdministerProjects
		c.Permissions = p
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "jirasim serve: bad --log-level: %v\n", err)
		return 2
	}
	c.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if c.DatasetFile != "" {
		c.Size = ""
	}
	s, err := sim.New(c)
	if err != nil {
		fmt.Fprintf(stderr, "jirasim serve: %v\n", err)
		return 2
	}
	url, err := s.StartAddr(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "jirasim serve: %v\n", err)
		return 1
	}
	cfg := s.Config()
	users, groups, projects := s.Counts()
	fmt.Fprintf(stdout, "jirasim: serving site %q at %s (users=%d groups=%d projects=%d) email=%s token=%s scoped-token=%s cloud-id=%s org-id=%s org-key=%s\n",
		cfg.SiteName, url, users, groups, projects, cfg.Email, cfg.Token, cfg.ScopedToken, cfg.CloudID, cfg.OrgID, cfg.OrgAPIKey)
	if *ready != "" {
		if err := writeAtomic(*ready, []byte(url+"\n")); err != nil {
			fmt.Fprintf(stderr, "jirasim serve: ready file: %v\n", err)
			_ = s.Close()
			return 1
		}
	}
	if churn.Rate > 0 {
		go churnLoop(ctx, s, churn, *churnEvery, c.Logger)
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil {
		_ = s.Close()
	}
	st := s.Stats()
	c.Logger.Info("jirasim stopped", "requests", st.Requests, "throttled", st.Throttled, "faults", st.Faults, "floor", st.Floor)
	return 0
}

// serveEndpoints closes "jirasim serve --help".
const serveEndpoints = `
Endpoints (one base URL):
  /rest/api/3/...  and /ex/jira/{cloudId}/rest/api/3/...   Jira (Basic email:token)
    reads: myself, users/search, group/bulk, group/member, project/search,
      project/{id}[/role[/{roleId}]|/roledetails|/permissionscheme], role, applicationrole,
      permissionscheme, user/groups?accountId=, auditing/record?offset&limit&from&to&filter
    writes: POST/DELETE group/user, POST/DELETE project/{id}/role/{roleId}, POST/DELETE user
    tickets: POST issue, GET issue/{key}, GET search/jql?jql&fields&nextPageToken&maxResults,
      GET issue/createmeta/{project}/issuetypes[/{id}], GET issuetype/project?projectId=
      (JQL: clauses joined by AND with =, !=, in, not in, summary ~; ORDER BY key|id|created)
  /admin/v1/orgs/{orgId}/users, /admin/v2/orgs/{orgId}/directories[/{dir}/users|groups]   Admin API (Bearer org key)
    writes ({dir} must be a real directory id, not "-"): POST {dir}/users/{id}/suspend|restore,
      POST {dir}/groups/{groupId}/memberships, DELETE {dir}/groups/{groupId}/memberships/{id}
      (403 for groups synced from an identity provider)
  /users/{accountId}/manage/lifecycle/disable|enable   Admin API (Bearer org key)

Control (no auth):
  GET  /_sim/stats (requests, writes by endpoint, faults), /_sim/truth[?org=true][&format=jsonl]
  POST /_sim/faults, /_sim/ratelimit (JSON bodies), /_sim/reset-stats
  POST /_sim/issues/{key}/transition {"status":"Done"} (a status name or new|indeterminate|done)
  POST /_sim/issue-required-fields {"KEY":["customfield_10200"]}
  POST /_sim/churn {"rate":0.01,"unaudited":0.1,"seed":7,"auditForbidden":false}: one step of change, answers what changed
`

func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".jirasim-ready-*")
	if err != nil {
		return fmt.Errorf("create temp: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write temp: %w", err)
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("close temp: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	return nil
}

func truth(args []string, stdout, stderr io.Writer) int {
	var c sim.Config
	fs := newFlagSet("truth", "truth [--size small|medium|large] [--seed N] [--dataset FILE] [--org]", stdout, stderr)
	siteFlags(fs.FlagSet, &c)
	org := fs.Bool("org", false, "truth as seen with the Admin API (org API key) enrichment")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	s, err := sim.New(c)
	if err != nil {
		fmt.Fprintf(stderr, "jirasim truth: %v\n", err)
		return 2
	}
	w := bufio.NewWriterSize(stdout, 1<<20)
	if err := s.Truth(sim.TruthOptions{Org: *org}).WriteJSONL(w); err != nil {
		fmt.Fprintf(stderr, "jirasim truth: %v\n", err)
		return 1
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "jirasim truth: %v\n", err)
		return 1
	}
	return 0
}

func dataset(args []string, stdout, stderr io.Writer) int {
	var c sim.Config
	fs := newFlagSet("dataset", "dataset [--size ...] [--seed N] [--users N ...] [--out FILE]", stdout, stderr)
	siteFlags(fs.FlagSet, &c)
	out := fs.String("out", "", "output file (default stdout)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	var d *sim.Dataset
	var err error
	if c.DatasetFile != "" {
		d, err = sim.LoadDataset(c.DatasetFile)
	} else {
		d, err = sim.Generate(c)
	}
	if err != nil {
		fmt.Fprintf(stderr, "jirasim dataset: %v\n", err)
		return 2
	}
	b, err := json.MarshalIndent(d, "", " ")
	if err != nil {
		fmt.Fprintf(stderr, "jirasim dataset: encode: %v\n", err)
		return 1
	}
	b = append(b, '\n')
	if *out == "" {
		_, err = stdout.Write(b)
	} else {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "jirasim dataset: %v\n", err)
		return 1
	}
	return 0
}

// churnLoop applies a step of churn every interval until ctx ends.
func churnLoop(ctx context.Context, s *sim.Server, c sim.Churn, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(max(every, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rep := s.Churn(c)
			log.Info("churn applied", "changes", rep.Changes, "unaudited_groups", len(rep.UnauditedGroups))
		}
	}
}
