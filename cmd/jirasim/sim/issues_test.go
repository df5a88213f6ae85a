package sim

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func adf(text string) map[string]any {
	return map[string]any{"type": "doc", "version": 1, "content": []any{
		map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": text}}}}}
}

func issueFields(project, typ, summary string, labels ...string) map[string]any {
	f := map[string]any{"project": map[string]string{"key": project}, "issuetype": map[string]string{"name": typ},
		"summary": summary, "description": adf("details of " + summary)}
	if len(labels) > 0 {
		f["labels"] = labels
	}
	return map[string]any{"fields": f}
}

type issueJSON struct {
	ID, Key string
	Fields  struct {
		Summary string
		Labels  []string
		Status  struct {
			Name           string
			StatusCategory struct{ Key string }
		}
		Issuetype   struct{ Name string }
		Description json.RawMessage
		Custom      json.RawMessage `json:"customfield_10200"`
	}
}

func TestIssuesForTickets(t *testing.T) {
	s, base := startSim(t, Config{Seed: 1, RequiredIssueFields: map[string][]string{"PAY": {"customfield_10200"}}})
	c := newClient(t, base)
	// Validate before writing: the project and its issue types.
	var proj struct {
		ID, Key    string
		IssueTypes []struct{ ID, Name string }
	}
	c.getJSON("/rest/api/3/project/WEB", &proj)
	if proj.Key != "WEB" || !slices.ContainsFunc(proj.IssueTypes, func(x struct{ ID, Name string }) bool { return x.Name == "Task" }) {
		t.Fatalf("project: %+v", proj)
	}
	var meta struct {
		Total      int
		IssueTypes []struct{ ID, Name string }
	}
	c.getJSON("/rest/api/3/issue/createmeta/WEB/issuetypes", &meta)
	if meta.Total != len(proj.IssueTypes) || meta.Total == 0 {
		t.Errorf("createmeta issuetypes: %+v", meta)
	}
	var types []struct{ Name string }
	c.getJSON("/rest/api/3/issuetype/project?projectId="+proj.ID, &types)
	if len(types) != len(proj.IssueTypes) {
		t.Errorf("issuetype/project: %+v", types)
	}
	c.expect(404, "GET", "/rest/api/3/project/NOPE", nil)
	var fields struct {
		Fields []struct {
			FieldID  string
			Required bool
		}
	}
	c.getJSON("/rest/api/3/issue/createmeta/PAY/issuetypes/10001", &fields)
	if !slices.ContainsFunc(fields.Fields, func(f struct {
		FieldID  string
		Required bool
	}) bool {
		return f.FieldID == "customfield_10200" && f.Required
	}) {
		t.Errorf("createmeta fields lack the required custom field: %+v", fields)
	}

	// Create, read back, transition.
	var created struct{ ID, Key, Self string }
	if err := json.Unmarshal(c.expect(201, "POST", "/rest/api/3/issue", issueFields("WEB", "Task", "Add user to group", "jira-apply", "act-1")), &created); err != nil {
		t.Fatal(err)
	}
	if created.Key != "WEB-1" || created.ID == "" || !strings.HasSuffix(created.Self, "/rest/api/3/issue/"+created.ID) {
		t.Errorf("created: %+v", created)
	}
	var is issueJSON
	c.getJSON("/rest/api/3/issue/WEB-1", &is)
	if is.Key != "WEB-1" || is.Fields.Summary != "Add user to group" || is.Fields.Status.StatusCategory.Key != "new" ||
		is.Fields.Status.Name != "To Do" || !slices.Equal(is.Fields.Labels, []string{"jira-apply", "act-1"}) ||
		!strings.Contains(string(is.Fields.Description), `"type":"doc"`) {
		t.Errorf("issue: %+v", is)
	}
	c.expect(404, "GET", "/rest/api/3/issue/WEB-99", nil)
	c.expect(204, "POST", "/_sim/issues/WEB-1/transition", map[string]string{"status": "indeterminate"})
	is = issueJSON{}
	c.getJSON("/rest/api/3/issue/"+created.ID+"?fields=status", &is)
	if is.Fields.Status.StatusCategory.Key != "indeterminate" || is.Fields.Summary != "" {
		t.Errorf("after transition to indeterminate (fields=status): %+v", is)
	}
	c.expect(204, "POST", "/_sim/issues/WEB-1/transition", map[string]string{"status": "Done"})
	c.getJSON("/rest/api/3/issue/WEB-1", &is)
	if is.Fields.Status.StatusCategory.Key != "done" || is.Fields.Status.Name != "Done" {
		t.Errorf("after transition to Done: %+v", is.Fields.Status)
	}
	c.expect(400, "POST", "/_sim/issues/WEB-1/transition", map[string]string{"status": "Nowhere"})

	// Errors name the field.
	for _, tc := range []struct {
		name   string
		body   any
		fields []string
		naming string
	}{
		{"missing summary and required field", map[string]any{"fields": map[string]any{
			"project": map[string]string{"key": "PAY"}, "issuetype": map[string]string{"name": "Task"}}},
			[]string{"customfield_10200", "summary"}, ""},
		{"unknown project", issueFields("NOPE", "Task", "x"), []string{"project"}, "NOPE"},
		{"unknown issue type", issueFields("WEB", "Saga", "x"), []string{"issuetype"}, "Saga"},
		{"archived project", issueFields(s.site.projects[1].key, "Task", "x"), []string{"project"}, "archived"},
		{"description not ADF", map[string]any{"fields": map[string]any{"project": map[string]string{"key": "WEB"},
			"issuetype": map[string]string{"name": "Task"}, "summary": "x", "description": "plain text"}}, []string{"description"}, ""},
		{"label with a space", issueFields("WEB", "Task", "x", "two words"), []string{"labels"}, "two words"},
		{"summary of 128 emoji: 256 UTF-16 code units", issueFields("WEB", "Task", strings.Repeat("🎉", 128)), []string{"summary"}, "255"},
		{"unknown field", map[string]any{"fields": map[string]any{"project": map[string]string{"key": "WEB"},
			"issuetype": map[string]string{"name": "Task"}, "summary": "x", "customfield_77777": "y"}}, []string{"customfield_77777"}, ""},
	} {
		e := decodeJiraErr(t, c.expect(400, "POST", "/rest/api/3/issue", tc.body))
		var got []string
		for k := range e.Errors {
			got = append(got, k)
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.fields) || (tc.naming != "" && !strings.Contains(e.Errors[tc.fields[0]], tc.naming)) {
			t.Errorf("%s: errors %v, want fields %v naming %q", tc.name, e.Errors, tc.fields, tc.naming)
		}
	}
	withField := issueFields("PAY", "Task", "with the required field")
	withField["fields"].(map[string]any)["customfield_10200"] = "REF-7"
	c.expect(201, "POST", "/rest/api/3/issue", withField)
	c.getJSON("/rest/api/3/issue/PAY-1", &is)
	if string(is.Fields.Custom) != `"REF-7"` {
		t.Errorf("custom field read back: %s", is.Fields.Custom)
	}
	c.expect(200, "POST", "/_sim/issue-required-fields", map[string][]string{"PAY": {}})
	c.expect(201, "POST", "/rest/api/3/issue", issueFields("PAY", "Task", "no longer required"))
	if w := s.Stats().WritesByEndpoint["POST /rest/api/3/issue"]; w != 3 {
		t.Errorf("issue writes %d, want 3", w)
	}
}

func TestSearchJQL(t *testing.T) {
	_, base := startSim(t, Config{Seed: 1})
	c := newClient(t, base)
	for i := 0; i < 5; i++ {
		c.expect(201, "POST", "/rest/api/3/issue", issueFields("WEB", "Task", "ticket "+itoa(i), "jira-apply", "act-"+itoa(i)))
	}
	c.expect(201, "POST", "/rest/api/3/issue", issueFields("WEB", "Task", "unrelated"))
	c.expect(201, "POST", "/rest/api/3/issue", issueFields("PAY", "Task", "other project", "jira-apply"))
	c.expect(204, "POST", "/_sim/issues/WEB-2/transition", map[string]string{"status": "done"})

	search := func(jql, fields string, max int) []issueJSON {
		t.Helper()
		var out []issueJSON
		token := ""
		for pages := 0; ; pages++ {
			var page struct {
				Issues        []issueJSON
				NextPageToken string
				IsLast        bool
			}
			q := url.Values{"jql": {jql}, "maxResults": {itoa(max)}}
			if fields != "" {
				q.Set("fields", fields)
			}
			if token != "" {
				q.Set("nextPageToken", token)
			}
			c.getJSON("/rest/api/3/search/jql?"+q.Encode(), &page)
			if len(page.Issues) > max || pages > 10 {
				t.Fatalf("page of %d (max %d) or too many pages", len(page.Issues), max)
			}
			out = append(out, page.Issues...)
			if page.IsLast != (page.NextPageToken == "") {
				t.Fatalf("isLast %v with token %q", page.IsLast, page.NextPageToken)
			}
			if page.IsLast {
				return out
			}
			token = page.NextPageToken
		}
	}
	keys := func(is []issueJSON) []string {
		var out []string
		for _, i := range is {
			out = append(out, i.Key)
		}
		return out
	}
	got := search(`project = WEB AND labels = "jira-apply"`, "status,labels", 2)
	if !slices.Equal(keys(got), []string{"WEB-5", "WEB-4", "WEB-3", "WEB-2", "WEB-1"}) {
		t.Errorf("paged search: %v", keys(got))
	}
	if got[3].Fields.Status.StatusCategory.Key != "done" || got[0].Fields.Labels[1] != "act-4" || got[0].Fields.Summary != "" {
		t.Errorf("fields=status,labels: %+v / %+v", got[3].Fields, got[0].Fields)
	}
	got = search(`project in (web, PAY) and labels in ("act-1", act-3, 'jira-apply') AND statusCategory != Done ORDER BY key ASC`, "summary", 50)
	if !slices.Equal(keys(got), []string{"PAY-1", "WEB-1", "WEB-3", "WEB-4", "WEB-5"}) {
		t.Errorf("in/!= search: %v", keys(got))
	}
	got = search(`labels = act-3 AND status = "To Do" AND issuetype = Task AND summary ~ "TICKET"`, "", 50)
	if len(got) != 1 || got[0].ID == "" || got[0].Key != "" {
		t.Errorf("default fields are ids only: %+v", got)
	}
	for _, bad := range []struct{ jql, says string }{
		{`project = WEB OR labels = x`, "OR"},
		{`assignee = me`, "assignee"},
		{`project = NOPE`, "NOPE"},
		{`status = Nowhere`, "Nowhere"},
		{``, "Unbounded"},
		{`labels = "unterminated`, "not terminated"},
		{`labels in (a, b`, "list"},
	} {
		e := decodeJiraErr(t, c.expect(400, "GET", "/rest/api/3/search/jql?jql="+url.QueryEscape(bad.jql), nil))
		if !strings.Contains(e.ErrorMessages[0], bad.says) {
			t.Errorf("jql %q: %v, want it to say %q", bad.jql, e.ErrorMessages, bad.says)
		}
	}
	c.expect(400, "GET", "/rest/api/3/search/jql?jql=labels%3Dx&nextPageToken=garbage!", nil)
}
