package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Route templates of the issue calls tickets make.
const (
	routeIssueCreate     = "POST /rest/api/3/issue"
	routeIssueGet        = "GET /rest/api/3/issue/{issueIdOrKey}"
	routeSearchJQL       = "GET /rest/api/3/search/jql"
	routeCreateMetaTypes = "GET /rest/api/3/issue/createmeta/{projectIdOrKey}/issuetypes"
)

// searchPageSize is the maxResults of a search page with fields (Jira's
// cap for a search that returns fields is 100).
const searchPageSize = 100

// maxSearchPages bounds one search, so a server that keeps answering a
// nextPageToken cannot keep the client paging forever.
const maxSearchPages = 10_000

// IssueRef is the answer to an issue create.
type IssueRef struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Self string `json:"self"`
}

// StatusCategory is a status's category: key new, indeterminate or done.
type StatusCategory struct {
	ID   int64  `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

// IssueStatus is an issue's workflow status.
type IssueStatus struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	StatusCategory StatusCategory `json:"statusCategory"`
}

// IssueFields are the issue fields tickets read.
type IssueFields struct {
	Summary string       `json:"summary"`
	Status  *IssueStatus `json:"status"`
	Labels  []string     `json:"labels"`
}

// Issue is an issue as search/jql and GET /issue answer it.
type Issue struct {
	ID     string      `json:"id"`
	Key    string      `json:"key"`
	Fields IssueFields `json:"fields"`
}

// IssueType is one issue type a project can create.
type IssueType struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Subtask bool   `json:"subtask"`
}

// CreateIssue creates an issue (POST /issue {"fields": fields}) once, never
// retried: after a WriteUnknown the caller searches before it creates
// again. The key is set only with WriteDone.
func (c *Client) CreateIssue(ctx context.Context, fields map[string]any) (IssueRef, WriteResult) {
	var ref IssueRef
	r := c.write(ctx, writeCall{method: http.MethodPost, route: routeIssueCreate, url: c.apiBase() + "/rest/api/3/issue",
		auth: authBasic, body: map[string]any{"fields": fields}, out: &ref})
	if r.Class == WriteDone && ref.Key == "" {
		r = WriteResult{Class: WriteUnknown, Status: r.Status, Message: "the answer names no issue key"}
	}
	return ref, r
}

// GetIssue reads one issue with the given fields (GET /issue/{key}). An
// issue that does not exist (or cannot be seen) is an error for which
// IsNotFound is true.
func (c *Client) GetIssue(ctx context.Context, key string, fields []string) (Issue, error) {
	q := url.Values{"fields": {strings.Join(fields, ",")}}
	is, err := getJSON[Issue](ctx, c, c.jiraCall(routeIssueGet, "/rest/api/3/issue/"+url.PathEscape(key), q))
	if err != nil {
		return is, fmt.Errorf("read issue %s: %w", key, err)
	}
	return is, nil
}

// IssueByKey reads one issue with the given fields. It asks GET
// /issue/{key} first: it is not among the published reads, but where it is
// served it shows an issue the moment it is created, when a search may
// still lag behind. Where it answers as an unknown endpoint (404, 405,
// 410) the published GET /search/jql is asked for key = KEY instead. An
// issue neither finds is an error for which IsNotFound is true.
func (c *Client) IssueByKey(ctx context.Context, key string, fields []string) (Issue, error) {
	is, err := c.GetIssue(ctx, key, fields)
	if !unknownEndpoint(err) {
		return is, err
	}
	var found *Issue
	serr := c.SearchIssues(ctx, "key = "+QuoteJQL(key), fields, func(is Issue) error {
		if strings.EqualFold(is.Key, key) && found == nil {
			found = &is
		}
		return nil
	})
	switch {
	case serr != nil:
		return Issue{}, fmt.Errorf("read issue %s: %w (and %w)", key, serr, err)
	case found == nil:
		return Issue{}, fmt.Errorf("read issue %s: %w", key, &APIError{Method: http.MethodGet, Endpoint: routeSearchJQL,
			Status: http.StatusNotFound, Messages: []string{"no issue with this key, or the account cannot see it"}})
	}
	return *found, nil
}

// QuoteJQL writes s as a quoted JQL string.
func QuoteJQL(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

type searchPage struct {
	Issues        *[]Issue `json:"issues"`
	NextPageToken string   `json:"nextPageToken"`
	IsLast        *bool    `json:"isLast"`
}

func (p *searchPage) check() error {
	if p.Issues == nil {
		return errors.New(`the search answer has no "issues" list`)
	}
	return nil
}

// SearchIssues calls fn for every issue the JQL query matches, page by page
// (GET /search/jql, following nextPageToken until there is none).
func (c *Client) SearchIssues(ctx context.Context, jql string, fields []string, fn func(Issue) error) error {
	token := ""
	seen := map[string]bool{}
	for range maxSearchPages {
		q := url.Values{"jql": {jql}, "fields": {strings.Join(fields, ",")}, "maxResults": {strconv.Itoa(searchPageSize)}}
		if token != "" {
			q.Set("nextPageToken", token)
		}
		p, err := getJSON[searchPage](ctx, c, c.jiraCall(routeSearchJQL, "/rest/api/3/search/jql", q))
		if err != nil {
			return fmt.Errorf("search issues: %w", err)
		}
		for _, is := range *p.Issues {
			if err := fn(is); err != nil {
				return err
			}
		}
		if p.NextPageToken == "" || (p.IsLast != nil && *p.IsLast) {
			return nil
		}
		if seen[p.NextPageToken] {
			return fmt.Errorf("search issues: the server answered the same nextPageToken twice; stopped instead of paging forever")
		}
		seen[p.NextPageToken] = true
		token = p.NextPageToken
	}
	return fmt.Errorf("search issues: more than %d pages; stopped", maxSearchPages)
}

type createMetaTypes struct {
	StartAt    int          `json:"startAt"`
	MaxResults int          `json:"maxResults"`
	Total      int          `json:"total"`
	IssueTypes *[]IssueType `json:"issueTypes"`
}

func (p *createMetaTypes) check() error {
	if p.IssueTypes == nil {
		return errors.New(`the createmeta answer has no "issueTypes" list`)
	}
	return nil
}

// CreateMetaIssueTypes lists the issue types the account can create in a
// project (GET /issue/createmeta/{project}/issuetypes). A project that
// does not exist or where the account cannot create issues is an error for
// which IsNotFound is true.
func (c *Client) CreateMetaIssueTypes(ctx context.Context, projectKey string) ([]IssueType, error) {
	var all []IssueType
	path := "/rest/api/3/issue/createmeta/" + url.PathEscape(projectKey) + "/issuetypes"
	for start := 0; ; {
		p, err := getJSON[createMetaTypes](ctx, c, c.jiraCall(routeCreateMetaTypes, path, pageQuery(start, 50)))
		if err != nil {
			return nil, fmt.Errorf("list the issue types of project %s: %w", projectKey, err)
		}
		all = append(all, *p.IssueTypes...)
		start += len(*p.IssueTypes)
		if len(*p.IssueTypes) == 0 || start >= p.Total {
			return all, nil
		}
	}
}

// GroupByID reads one group's name (GET /group/bulk?groupId=). A group that
// does not exist is an error for which IsNotFound is true.
func (c *Client) GroupByID(ctx context.Context, groupID string) (Group, error) {
	q := url.Values{"groupId": {groupID}, "maxResults": {"1"}}
	p, err := getJSON[Page[Group]](ctx, c, c.jiraCall(routeGroups, "/rest/api/3/group/bulk", q))
	if err != nil {
		return Group{}, fmt.Errorf("read group %s: %w", groupID, err)
	}
	for _, g := range p.Values {
		if g.GroupID == groupID {
			return g, nil
		}
	}
	return Group{}, fmt.Errorf("read group %s: %w", groupID, &APIError{Method: http.MethodGet, Endpoint: routeGroups, Status: http.StatusNotFound,
		Messages: []string{"no such group"}})
}

// ProjectByKey finds a live project by its key through the documented
// project/search (keys= narrows it where the server honours it; every page
// is read where it does not). A project that does not exist, or that the
// account cannot browse, is an error for which IsNotFound is true.
func (c *Client) ProjectByKey(ctx context.Context, key string) (Project, error) {
	for start := 0; ; {
		q := pageQuery(start, 100)
		q.Set("keys", key)
		q.Set("status", "live")
		p, err := getJSON[Page[Project]](ctx, c, c.jiraCall(routeProjects, "/rest/api/3/project/search", q))
		if err != nil {
			return Project{}, fmt.Errorf("find project %s: %w", key, err)
		}
		for _, pr := range p.Values {
			if strings.EqualFold(pr.Key, key) {
				return pr, nil
			}
		}
		next, last := p.NextStartAt(start)
		if last {
			return Project{}, fmt.Errorf("find project %s: %w", key, &APIError{Method: http.MethodGet, Endpoint: routeProjects,
				Status: http.StatusNotFound, Messages: []string{"no live project with this key"}})
		}
		start = next
	}
}
