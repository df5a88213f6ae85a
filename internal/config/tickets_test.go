package config

import (
	"strings"
	"testing"
)

func TestTicketsSection(t *testing.T) {
	job, err := parse(`{"appConfig":{"token":"a@b.example:t0ken-long","siteName":"acme"},"tickets":{"projectKey":"OPS","labels":["access-change"]}}`)
	if err != nil {
		t.Fatal(err)
	}
	if tk := job.Tickets; tk == nil || tk.ProjectKey != "OPS" || tk.IssueType != DefaultIssueType || len(tk.Labels) != 1 {
		t.Fatalf("tickets %+v", job.Tickets)
	}
	if job, _ := parse(`{"appConfig":{"token":"a@b.example:t0ken-long","siteName":"acme"}}`); job.Tickets != nil {
		t.Fatal("no tickets section gave one")
	}
	_, err = parse(`{"appConfig":{"token":"a@b.example:t0ken-long","siteName":"acme"},"tickets":{"projectKey":"ops","issueType":" ","labels":["a b","",` +
		`"` + strings.Repeat("x", 256) + `"],"lables":[]}}`)
	for _, want := range []string{`tickets.projectKey: "ops" is not a Jira project key`, `write it in uppercase: "OPS"`,
		"tickets.issueType: is empty", `tickets.labels[0]: "a b" contains a space`, "tickets.labels[1]: is empty",
		"tickets.labels[2]: is 256 characters long", "lables"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	_, err = parse(`{"appConfig":{"token":"a@b.example:t0ken-long","siteName":"acme"},"tickets":{}}`)
	if err == nil || !strings.Contains(err.Error(), "tickets.projectKey: missing") {
		t.Errorf("empty tickets: %v", err)
	}
}
