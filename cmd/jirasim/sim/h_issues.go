package sim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// issue is a Jira issue created through POST /issue.
type issue struct {
	id               int64
	key              string
	project          int32
	typ              issueType
	summary          string
	description      json.RawMessage // ADF, or nil
	labels           []string
	parent           string // parent issue key, for subtasks
	status           int    // index into statuses
	created, updated time.Time
	custom           map[string]json.RawMessage
}

type issueType struct {
	id, name, description string
	subtask               bool
}

var (
	itTask    = issueType{"10001", "Task", "A small, distinct piece of work.", false}
	itBug     = issueType{"10002", "Bug", "A problem or error.", false}
	itStory   = issueType{"10003", "Story", "A user story.", false}
	itEpic    = issueType{"10000", "Epic", "A big user story that needs to be broken down.", false}
	itSubtask = issueType{"10004", "Subtask", "A small piece of work that's part of a larger task.", true}
	itRequest = issueType{"10005", "Service Request", "Requests for help or information.", false}
	itIncid   = issueType{"10006", "Incident", "For system outages or incidents.", false}
)

// issueTypes are the issue types of a project, by its project type.
func issueTypes(projectType string) []issueType {
	switch projectType {
	case "software":
		return []issueType{itTask, itBug, itStory, itEpic, itSubtask}
	case "service_desk":
		return []issueType{itTask, itRequest, itIncid, itSubtask}
	}
	return []issueType{itTask, itSubtask}
}

// statuses: the workflow every issue follows; index 0 is the initial one.
var statuses = []struct {
	id, name, catKey, catName, color string
	catID                            int64
}{
	{"10000", "To Do", "new", "To Do", "blue-gray", 2},
	{"3", "In Progress", "indeterminate", "In Progress", "yellow", 4},
	{"10001", "Done", "done", "Done", "green", 3},
}

func statusByName(v string) int {
	for k, st := range statuses {
		if strings.EqualFold(st.name, v) || st.id == v {
			return k
		}
	}
	return -1
}

func statusByCategory(v string) int {
	for k, st := range statuses {
		if strings.EqualFold(st.catKey, v) || strings.EqualFold(st.catName, v) || strconv.FormatInt(st.catID, 10) == v {
			return k
		}
	}
	return -1
}

// findProject finds a project by key (any case), id or name; -1 if none.
func (s *site) findProject(v string) int32 {
	if k, ok := s.projIdx[v]; ok {
		return k
	}
	if k, ok := s.projIdx[strings.ToUpper(v)]; ok {
		return k
	}
	for k := range s.projects {
		if strings.EqualFold(s.projects[k].name, v) {
			return int32(k)
		}
	}
	return -1
}

func (s *site) appendIssueType(b []byte, t issueType) []byte {
	b = append(b, `{"self":`...)
	b = appendJSONString(b, s.host+jiraBase+"/issuetype/"+t.id)
	b = append(b, `,"id":`...)
	b = appendJSONString(b, t.id)
	b = append(b, `,"description":`...)
	b = appendJSONString(b, t.description)
	b = append(b, `,"iconUrl":"https://avatar-management.invalid/issuetype.png","name":`...)
	b = appendJSONString(b, t.name)
	b = append(b, `,"untranslatedName":`...)
	b = appendJSONString(b, t.name)
	b = append(b, `,"subtask":`...)
	b = appendBool(b, t.subtask)
	b = append(b, `,"hierarchyLevel":`...)
	switch {
	case t.subtask:
		b = append(b, "-1"...)
	case t.id == itEpic.id:
		b = append(b, "1"...)
	default:
		b = append(b, "0"...)
	}
	return append(b, '}')
}

// hProjectGet: GET /project/{projectIdOrKey} → the project with its issue
// types and lead.
func (s *Server) hProjectGet(c *call) {
	p := s.project(c, false)
	if p == nil {
		return
	}
	b := getBuf()
	defer putBuf(b)
	*b = s.site.appendProject(*b, p, true)
	*b = (*b)[:len(*b)-1] // reopen the object
	*b = append(*b, `,"issueTypes":[`...)
	for k, t := range issueTypes(p.typeKey) {
		if k > 0 {
			*b = append(*b, ',')
		}
		*b = s.site.appendIssueType(*b, t)
	}
	*b = append(*b, "]}"...)
	c.json(http.StatusOK, *b)
}

// hIssueTypesOfProject: GET /issuetype/project?projectId= → the project's
// issue types (an array).
func (s *Server) hIssueTypesOfProject(c *call) {
	id := c.r.URL.Query().Get("projectId")
	k, ok := s.site.projIdx[id]
	if id == "" || !ok || s.site.projects[k].id != id {
		c.jiraError(http.StatusNotFound, "No project could be found with id '"+id+"'.")
		return
	}
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, '[')
	for n, t := range issueTypes(s.site.projects[k].typeKey) {
		if n > 0 {
			*b = append(*b, ',')
		}
		*b = s.site.appendIssueType(*b, t)
	}
	*b = append(*b, ']')
	c.json(http.StatusOK, *b)
}

// hCreateMetaIssueTypes: GET /issue/createmeta/{projectIdOrKey}/issuetypes
// → {"maxResults","startAt","total","issueTypes":[...]}.
func (s *Server) hCreateMetaIssueTypes(c *call) {
	p := s.project(c, false)
	if p == nil {
		return
	}
	ts := issueTypes(p.typeKey)
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, `{"maxResults":50,"startAt":0,"total":`...)
	*b = appendInt(*b, int64(len(ts)))
	*b = append(*b, `,"issueTypes":[`...)
	for n, t := range ts {
		if n > 0 {
			*b = append(*b, ',')
		}
		*b = s.site.appendIssueType(*b, t)
	}
	*b = append(*b, "]}"...)
	c.json(http.StatusOK, *b)
}

// hCreateMetaFields: GET /issue/createmeta/{projectIdOrKey}/issuetypes/{id}
// → the create fields with their "required" flags (the project's required
// custom fields included).
func (s *Server) hCreateMetaFields(c *call) {
	p := s.project(c, false)
	if p == nil {
		return
	}
	tid := c.r.PathValue("issueTypeId")
	if !slices.ContainsFunc(issueTypes(p.typeKey), func(t issueType) bool { return t.id == tid }) {
		c.jiraError(http.StatusNotFound, "Issue type with id '"+tid+"' does not exist in project "+p.key+".")
		return
	}
	type field struct {
		id, name, typ string
		required      bool
	}
	fields := []field{{"project", "Project", "project", true}, {"issuetype", "Issue Type", "issuetype", true},
		{"summary", "Summary", "string", true}, {"description", "Description", "doc", false},
		{"labels", "Labels", "array", false}}
	if tid == itSubtask.id {
		fields = append(fields, field{"parent", "Parent", "issuelink", true})
	}
	for _, f := range s.site.w.required[p.key] {
		fields = append(fields, field{f, f, "string", true})
	}
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, `{"maxResults":50,"startAt":0,"total":`...)
	*b = appendInt(*b, int64(len(fields)))
	*b = append(*b, `,"fields":[`...)
	for n, f := range fields {
		if n > 0 {
			*b = append(*b, ',')
		}
		*b = append(*b, `{"required":`...)
		*b = appendBool(*b, f.required)
		*b = append(*b, `,"schema":{"type":`...)
		*b = appendJSONString(*b, f.typ)
		*b = append(*b, `},"name":`...)
		*b = appendJSONString(*b, f.name)
		*b = append(*b, `,"key":`...)
		*b = appendJSONString(*b, f.id)
		*b = append(*b, `,"fieldId":`...)
		*b = appendJSONString(*b, f.id)
		*b = append(*b, `,"hasDefaultValue":false,"operations":["set"]}`...)
	}
	*b = append(*b, "]}"...)
	c.json(http.StatusOK, *b)
}

// settableFields are the issue fields POST /issue accepts besides the
// project's required custom fields.
var settableFields = []string{"project", "issuetype", "summary", "description", "labels", "parent",
	"priority", "assignee", "reporter", "duedate", "components"}

// isADF reports whether raw is an Atlassian Document Format document.
func isADF(raw json.RawMessage) bool {
	var doc struct {
		Type    string            `json:"type"`
		Version int               `json:"version"`
		Content []json.RawMessage `json:"content"`
	}
	return json.Unmarshal(raw, &doc) == nil && doc.Type == "doc" && doc.Version == 1 && doc.Content != nil
}

func isNull(raw json.RawMessage) bool {
	t := strings.TrimSpace(string(raw))
	return t == "" || t == "null" || t == `""` || t == "[]" || t == "{}"
}

// hIssueCreate: POST /issue {"fields":{...}} → 201 {"id","key","self"}; a
// 400 ErrorCollection names every bad or missing field.
func (s *Server) hIssueCreate(c *call) {
	var body struct {
		Fields map[string]json.RawMessage `json:"fields"`
	}
	if !c.readBody(&body) {
		return
	}
	st := s.site
	f := body.Fields
	errs := map[string]string{}
	var ref struct {
		Key  string `json:"key"`
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	pk := int32(-1)
	if raw, ok := f["project"]; !ok || json.Unmarshal(raw, &ref) != nil || (ref.Key == "" && ref.ID == "") {
		errs["project"] = "Specify a valid project ID or key"
	} else {
		v := ref.Key
		if v == "" {
			v = ref.ID
		}
		if k, ok := st.projIdx[v]; !ok {
			errs["project"] = "Specify a valid project ID or key: project '" + v + "' does not exist or you cannot create issues in it."
		} else if st.projects[k].archived {
			errs["project"] = "Project '" + v + "' is archived: issues cannot be created in it."
		} else {
			pk = k
		}
	}
	var typ issueType
	ref.Key, ref.ID, ref.Name = "", "", ""
	if raw, ok := f["issuetype"]; !ok || json.Unmarshal(raw, &ref) != nil || (ref.Name == "" && ref.ID == "") {
		errs["issuetype"] = "Specify an issue type"
	} else if pk >= 0 {
		p := &st.projects[pk]
		k := slices.IndexFunc(issueTypes(p.typeKey), func(t issueType) bool {
			return (ref.ID != "" && t.id == ref.ID) || (ref.ID == "" && strings.EqualFold(t.name, ref.Name))
		})
		if k < 0 {
			name := ref.Name
			if name == "" {
				name = ref.ID
			}
			errs["issuetype"] = "The issue type '" + name + "' does not exist in project " + p.key + ": specify a valid issue type."
		} else {
			typ = issueTypes(p.typeKey)[k]
		}
	}
	var summary string
	if raw, ok := f["summary"]; !ok || json.Unmarshal(raw, &summary) != nil || strings.TrimSpace(summary) == "" {
		errs["summary"] = "You must specify a summary of the issue."
	} else if javaLen(summary) > 255 || strings.ContainsAny(summary, "\r\n") {
		errs["summary"] = "Summary must be less than 255 characters and on one line."
	}
	var desc json.RawMessage
	if raw, ok := f["description"]; ok && !isNull(raw) {
		if !isADF(raw) {
			errs["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
		} else {
			desc = slices.Clone(raw)
		}
	}
	var labels []string
	if raw, ok := f["labels"]; ok && !isNull(raw) {
		if json.Unmarshal(raw, &labels) != nil {
			errs["labels"] = "Labels must be an array of strings."
		}
		for _, l := range labels {
			if l == "" || strings.ContainsAny(l, " \t\r\n") || javaLen(l) > 255 {
				errs["labels"] = "The label '" + l + "' contains spaces which is invalid."
			}
		}
	}
	var parent string
	if typ.subtask {
		ref.Key, ref.ID = "", ""
		raw, ok := f["parent"]
		if !ok || json.Unmarshal(raw, &ref) != nil {
			errs["parent"] = "Given parent work item does not belong to appropriate hierarchy."
		} else if k, ok := st.w.issueIdx[ref.Key+ref.ID]; !ok || st.w.issues[k].project != pk {
			errs["parent"] = "Given parent work item does not belong to appropriate hierarchy."
		} else {
			parent = st.w.issues[k].key
		}
	}
	var required []string
	if pk >= 0 {
		required = st.w.required[st.projects[pk].key]
	}
	for _, id := range required {
		if raw, ok := f[id]; !ok || isNull(raw) {
			errs[id] = id + " is required."
		}
	}
	for name := range f {
		if !slices.Contains(settableFields, name) && !slices.Contains(required, name) {
			errs[name] = "Field '" + name + "' cannot be set. It is not on the appropriate screen, or unknown."
		}
	}
	if len(errs) > 0 {
		c.fieldErrors(http.StatusBadRequest, errs)
		return
	}
	now := s.now()
	st.w.issueSeq[pk]++
	is := issue{id: st.w.nextIssueID, key: st.projects[pk].key + "-" + strconv.Itoa(st.w.issueSeq[pk]), project: pk, typ: typ,
		summary: summary, description: desc, labels: labels, parent: parent, created: now, updated: now}
	for _, id := range required {
		if is.custom == nil {
			is.custom = map[string]json.RawMessage{}
		}
		is.custom[id] = slices.Clone(f[id])
	}
	st.w.nextIssueID++
	k := int32(len(st.w.issues))
	st.w.issues = append(st.w.issues, is)
	st.w.issueIdx[is.key] = k
	st.w.issueIdx[strconv.FormatInt(is.id, 10)] = k
	c.wrote()
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, `{"id":`...)
	*b = appendJSONString(*b, strconv.FormatInt(is.id, 10))
	*b = append(*b, `,"key":`...)
	*b = appendJSONString(*b, is.key)
	*b = append(*b, `,"self":`...)
	*b = appendJSONString(*b, st.host+jiraBase+"/issue/"+strconv.FormatInt(is.id, 10))
	*b = append(*b, '}')
	c.json(http.StatusCreated, *b)
}

// fieldSet is a "fields" parameter: nil means every field.
type fieldSet map[string]bool

func parseFields(vals []string, def string) fieldSet {
	if len(vals) == 0 {
		vals = []string{def}
	}
	fs := fieldSet{}
	for _, v := range vals {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				fs[f] = true
			}
		}
	}
	return fs
}

func (fs fieldSet) has(name string) bool {
	if fs["-"+name] {
		return false
	}
	return fs["*all"] || fs["*navigable"] || fs[name]
}

// onlyID: no field beyond id (the enhanced search's default answer).
func (fs fieldSet) onlyID() bool {
	for f := range fs {
		if f != "id" {
			return false
		}
	}
	return true
}

func (s *site) appendIssue(b []byte, is *issue, fs fieldSet) []byte {
	id := strconv.FormatInt(is.id, 10)
	b = append(b, `{"expand":"renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations","id":`...)
	b = appendJSONString(b, id)
	b = append(b, `,"self":`...)
	b = appendJSONString(b, s.host+jiraBase+"/issue/"+id)
	b = append(b, `,"key":`...)
	b = appendJSONString(b, is.key)
	b = append(b, `,"fields":{`...)
	first := true
	key := func(name string) bool {
		if !fs.has(name) {
			return false
		}
		b = appendKey(b, name, first)
		first = false
		return true
	}
	if key("summary") {
		b = appendJSONString(b, is.summary)
	}
	if key("status") {
		st := statuses[is.status]
		b = append(b, `{"self":`...)
		b = appendJSONString(b, s.host+jiraBase+"/status/"+st.id)
		b = append(b, `,"description":"","iconUrl":"https://avatar-management.invalid/status.png","name":`...)
		b = appendJSONString(b, st.name)
		b = append(b, `,"id":`...)
		b = appendJSONString(b, st.id)
		b = append(b, `,"statusCategory":{"self":`...)
		b = appendJSONString(b, s.host+jiraBase+"/statuscategory/"+strconv.FormatInt(st.catID, 10))
		b = append(b, `,"id":`...)
		b = appendInt(b, st.catID)
		b = append(b, `,"key":`...)
		b = appendJSONString(b, st.catKey)
		b = append(b, `,"colorName":`...)
		b = appendJSONString(b, st.color)
		b = append(b, `,"name":`...)
		b = appendJSONString(b, st.catName)
		b = append(b, "}}"...)
	}
	if key("labels") {
		b = append(b, '[')
		for k, l := range is.labels {
			if k > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, l)
		}
		b = append(b, ']')
	}
	if key("issuetype") {
		b = s.appendIssueType(b, is.typ)
	}
	if key("project") {
		p := &s.projects[is.project]
		b = append(b, `{"self":`...)
		b = appendJSONString(b, s.host+jiraBase+"/project/"+p.id)
		b = append(b, `,"id":`...)
		b = appendJSONString(b, p.id)
		b = append(b, `,"key":`...)
		b = appendJSONString(b, p.key)
		b = append(b, `,"name":`...)
		b = appendJSONString(b, p.name)
		b = append(b, `,"projectTypeKey":`...)
		b = appendJSONString(b, p.typeKey)
		b = append(b, `,"simplified":false}`...)
	}
	if key("description") {
		if is.description != nil {
			b = append(b, is.description...)
		} else {
			b = append(b, "null"...)
		}
	}
	if is.parent != "" && key("parent") {
		b = append(b, `{"key":`...)
		b = appendJSONString(b, is.parent)
		b = append(b, '}')
	}
	if key("created") {
		b = appendJSONString(b, timeStamp(is.created))
	}
	if key("updated") {
		b = appendJSONString(b, timeStamp(is.updated))
	}
	if key("statuscategorychangedate") {
		b = appendJSONString(b, timeStamp(is.updated))
	}
	ids := make([]string, 0, len(is.custom))
	for id := range is.custom {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if key(id) {
			b = append(b, is.custom[id]...)
		}
	}
	return append(b, "}}"...)
}

// hIssueGet: GET /issue/{issueIdOrKey}[?fields=] → the issue (every field
// by default).
func (s *Server) hIssueGet(c *call) {
	k, ok := s.site.w.issueIdx[strings.ToUpper(c.r.PathValue("issueIdOrKey"))]
	if !ok {
		c.jiraError(http.StatusNotFound, "Issue does not exist or you do not have permission to see it.")
		return
	}
	b := getBuf()
	defer putBuf(b)
	*b = s.site.appendIssue(*b, &s.site.w.issues[k], parseFields(c.r.URL.Query()["fields"], "*all"))
	c.json(http.StatusOK, *b)
}

// Search page tokens: base64 of "OFFSET:LASTID" (LASTID: the newest issue
// when the search began, so issues created meanwhile never shift pages).
func searchToken(off int, last int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(off) + ":" + strconv.FormatInt(last, 10)))
}

func parseSearchToken(t string) (off int, last int64, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil {
		return 0, 0, false
	}
	a, z, found := strings.Cut(string(b), ":")
	off, err1 := strconv.Atoi(a)
	last, err2 := strconv.ParseInt(z, 10, 64)
	return off, last, found && err1 == nil && err2 == nil && off >= 0
}

// hSearchJQL: GET /search/jql?jql=&fields=&nextPageToken=&maxResults= →
// {"issues":[...],"nextPageToken","isLast"}; only ids unless fields ask
// for more; maxResults default 50, at most 100 (5000 for ids only).
func (s *Server) hSearchJQL(c *call) {
	q := c.r.URL.Query()
	query, err := parseJQL(q.Get("jql"))
	if err != nil {
		c.jiraError(http.StatusBadRequest, err.Error())
		return
	}
	st := s.site
	match, err := st.jqlMatcher(query)
	if err != nil {
		c.jiraError(http.StatusBadRequest, err.Error())
		return
	}
	fs := parseFields(q["fields"], "id")
	limit := 100
	if fs.onlyID() {
		limit = 5000
	}
	want := 50
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			c.jiraError(http.StatusBadRequest, "The value '"+v+"' is invalid for maxResults.")
			return
		}
		if n > 0 {
			want = n
		}
	}
	want = min(want, limit)
	off, last := 0, st.w.nextIssueID-1
	if t := q.Get("nextPageToken"); t != "" {
		var ok bool
		if off, last, ok = parseSearchToken(t); !ok {
			c.jiraError(http.StatusBadRequest, "The nextPageToken is invalid or expired.")
			return
		}
	}
	var hits []*issue
	for k := range st.w.issues {
		if is := &st.w.issues[k]; is.id <= last && match(is) {
			hits = append(hits, is)
		}
	}
	switch query.order {
	case "key":
		slices.SortStableFunc(hits, func(a, b *issue) int {
			pa, pb := st.projects[a.project].key, st.projects[b.project].key
			if pa != pb {
				return strings.Compare(pa, pb)
			}
			na, _ := strconv.Atoi(a.key[strings.LastIndexByte(a.key, '-')+1:])
			nb, _ := strconv.Atoi(b.key[strings.LastIndexByte(b.key, '-')+1:])
			return na - nb
		})
	}
	if query.desc || query.order == "" { // Jira's default order: newest first
		slices.Reverse(hits)
	}
	from, to := min(off, len(hits)), min(len(hits), off+want)
	b := getBuf()
	defer putBuf(b)
	*b = append(*b, `{"issues":[`...)
	for k, is := range hits[from:to] {
		if k > 0 {
			*b = append(*b, ',')
		}
		if fs.onlyID() {
			*b = append(*b, `{"id":`...)
			*b = appendJSONString(*b, strconv.FormatInt(is.id, 10))
			*b = append(*b, '}')
			continue
		}
		*b = st.appendIssue(*b, is, fs)
	}
	*b = append(*b, ']')
	if to < len(hits) {
		*b = append(*b, `,"nextPageToken":`...)
		*b = appendJSONString(*b, searchToken(to, last))
	}
	*b = append(*b, `,"isLast":`...)
	*b = appendBool(*b, to >= len(hits))
	*b = append(*b, '}')
	c.json(http.StatusOK, *b)
}

// TransitionIssue moves an issue to a status, by name ("Done") or category
// key ("new", "indeterminate", "done"): a person working the ticket.
func (s *Server) TransitionIssue(keyOrID, status string) error {
	s.siteMu.Lock()
	defer s.siteMu.Unlock()
	st := s.site
	k, ok := st.w.issueIdx[strings.ToUpper(keyOrID)]
	if !ok {
		return fmt.Errorf("no issue %q", keyOrID)
	}
	to := statusByName(status)
	if to < 0 {
		to = statusByCategory(status)
	}
	if to < 0 {
		return fmt.Errorf("unknown status %q (want To Do, In Progress, Done or new, indeterminate, done)", status)
	}
	is := &st.w.issues[k]
	is.status, is.updated = to, s.now()
	return nil
}

// SetRequiredIssueFields makes the custom fields required when creating
// issues in the project (none: no longer required).
func (s *Server) SetRequiredIssueFields(projectKey string, fields ...string) {
	s.siteMu.Lock()
	defer s.siteMu.Unlock()
	if len(fields) == 0 {
		delete(s.site.w.required, projectKey)
		return
	}
	s.site.w.required[projectKey] = slices.Clone(fields)
}

// javaLen is a string's length as Jira (Java) counts it: UTF-16 code
// units, an emoji two.
func javaLen(s string) int {
	n := 0
	for _, r := range s {
		n += max(1, utf16.RuneLen(r))
	}
	return n
}
