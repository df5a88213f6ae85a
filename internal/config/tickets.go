package config

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// DefaultIssueType is tickets.issueType's default.
const DefaultIssueType = "Task"

// projectKeyPattern is a Jira project key: an uppercase letter, then
// uppercase letters, digits or underscores (at most 255 in all).
var projectKeyPattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,254}$`)

// maxLabel is Jira's limit on a label's length.
const maxLabel = 255

// TicketsConfig is the tickets section of the job file: where the issues
// of "ticket" actions (and of the automatic fallback) are created.
type TicketsConfig struct {
	ProjectKey string   `json:"projectKey,omitempty"`
	IssueType  string   `json:"issueType,omitempty"`
	Labels     []string `json:"labels,omitempty"`
}

// validate returns every problem of the tickets section.
func (t *TicketsConfig) validate() []Problem {
	var probs []Problem
	add := func(key, msg, fix string) { probs = append(probs, Problem{Key: key, Message: msg, Fix: fix}) }
	switch {
	case t.ProjectKey == "":
		add("tickets.projectKey", "missing: tickets are created in a project", `set the key of the project, e.g. "OPS", or remove the tickets section`)
	case !projectKeyPattern.MatchString(t.ProjectKey):
		fix := `write the project key, e.g. "OPS" (uppercase letters, digits and underscores, starting with a letter)`
		if up := strings.ToUpper(t.ProjectKey); projectKeyPattern.MatchString(up) {
			fix = fmt.Sprintf("write it in uppercase: %q", up)
		}
		add("tickets.projectKey", fmt.Sprintf("%q is not a Jira project key", t.ProjectKey), fix)
	}
	if strings.TrimSpace(t.IssueType) == "" {
		add("tickets.issueType", "is empty", `name an issue type of the project, e.g. "Task", or leave the key out`)
	}
	for i, l := range t.Labels {
		key := fmt.Sprintf("tickets.labels[%d]", i)
		switch {
		case l == "":
			add(key, "is empty", "remove it")
		case strings.ContainsFunc(l, isLabelSpace):
			add(key, fmt.Sprintf("%q contains a space, which Jira labels cannot", l), "join the words with - or _, e.g. \"access-change\"")
		case utf8.RuneCountInString(l) > maxLabel:
			add(key, fmt.Sprintf("is %d characters long, more than Jira's %d", utf8.RuneCountInString(l), maxLabel), "shorten it")
		}
	}
	return probs
}

func isLabelSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0'
}
