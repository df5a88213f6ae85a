package plan

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	accA  = "5b10ac8d82e05b22cc7d4ef5"
	accB  = "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077"
	group = "276f955c-63d7-42c8-9520-92d01dca0625"
)

func mustParse(t *testing.T, f Format, s string) *Plan {
	t.Helper()
	p, err := Parse(strings.NewReader(s), f)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func problemsOf(t *testing.T, f Format, s string) []Problem {
	t.Helper()
	_, err := Parse(strings.NewReader(s), f)
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("Parse error = %v, want *plan.Error", err)
	}
	return pe.Problems
}

// has reports whether some problem names the field and contains every part.
func has(ps []Problem, where, field string, parts ...string) bool {
	for _, p := range ps {
		if p.Field != field || (where != "" && p.Where != where) {
			continue
		}
		ok := true
		for _, part := range parts {
			ok = ok && strings.Contains(p.Message, part)
		}
		if ok {
			return true
		}
	}
	return false
}

func TestParseJSONEveryOp(t *testing.T) {
	p := mustParse(t, JSON, `{"actions": [
	 {"id": "g1", "op": "grant", "relation": "member_of", "from_type": "user", "from_id": "`+accA+`", "to_type": "group", "to_id": "`+group+`"},
	 {"id": "r1", "op": "revoke", "relation": "has_role", "from_type": "group", "from_id": "`+group+`", "to_type": "project_role", "to_id": "10000:10002", "mode": "ticket"},
	 {"id": "c1", "op": "create", "entity": "user", "email": "new+jira@example.com", "products": ["jira-software", "jira-core"]},
	 {"id": "`+accB+`", "op": "remove", "entity": "user"},
	 {"id": "s1", "op": "suspend", "entity": "user", "to_type": "user", "to_id": "`+accA+`"},
	 {"id": "s2", "op": "deactivate", "entity": "user", "to_id": "`+accB+`", "products": null}
	]}`)
	if len(p.Actions) != 6 {
		t.Fatalf("got %d actions", len(p.Actions))
	}
	want := Action{ID: "c1", Op: Create, Entity: "user", Email: "new+jira@example.com", Products: []string{"jira-software", "jira-core"}, where: "actions[2]"}
	if !reflect.DeepEqual(p.Actions[2], want) {
		t.Fatalf("create action = %+v, want %+v", p.Actions[2], want)
	}
	if got := p.Actions[3].Account(); got != accB {
		t.Errorf("remove without to_id: Account() = %q, want the action id", got)
	}
	if got := p.Actions[4].Account(); got != accA {
		t.Errorf("suspend with to_id: Account() = %q, want to_id", got)
	}
	if p.Actions[0].Account() != "" || !p.Actions[1].TakesAway() || p.Actions[0].TakesAway() {
		t.Error("Account/TakesAway disagree with the op")
	}
	if p.Actions[1].Where() != "actions[1]" {
		t.Errorf("Where = %q", p.Actions[1].Where())
	}
}

func TestParseCSVMatchesJSON(t *testing.T) {
	// Hostile but valid ids survive CSV quoting: commas, doubled quotes,
	// emoji, decomposed Unicode; the header may be reordered and padded,
	// and Excel's byte-order mark is accepted.
	csvText := "\ufeffop, id ,relation,from_type,from_id,to_type,to_id,entity,email,products,mode\n" +
		`grant,"a,b ""quoted"" 🎉",member_of,user,` + accA + `,group,` + group + ",,,,\n" +
		"create,cafe\u0301,,,,,,user,o'brien+x@example.co.uk, jira-software ; jira-servicedesk ,ticket\n"
	p := mustParse(t, CSV, csvText)
	want := []Action{
		{ID: `a,b "quoted" 🎉`, Op: Grant, Relation: MemberOf, FromType: "user", FromID: accA, ToType: "group", ToID: group, where: "line 2"},
		{ID: "cafe\u0301", Op: Create, Entity: "user", Email: "o'brien+x@example.co.uk", Products: []string{"jira-software", "jira-servicedesk"}, Mode: "ticket", where: "line 3"},
	}
	if !reflect.DeepEqual(p.Actions, want) {
		t.Fatalf("actions =\n%+v\nwant\n%+v", p.Actions, want)
	}
}

func TestCSVLineNumbersCountQuotedLineBreaks(t *testing.T) {
	// The first row's id spans two lines, so the second row starts at line 4
	// and its problem must say so.
	ps := problemsOf(t, CSV, "id,op\n\"multi\nline\",grant\nx,frobnicate\n")
	if !has(ps, "line 4", "op", `unknown op "frobnicate"`) {
		t.Fatalf("problems = %v", ps)
	}
	if !has(ps, "line 2", "id", "control character") {
		t.Fatalf("a newline in an id must be refused: %v", ps)
	}
}

func TestHostileSingleActions(t *testing.T) {
	member := func(mod func(m map[string]string)) string {
		m := map[string]string{"id": "x1", "op": "grant", "relation": "member_of", "from_type": "user", "from_id": accA, "to_type": "group", "to_id": group}
		mod(m)
		var parts []string
		for _, k := range fields {
			if v, ok := m[k]; ok {
				parts = append(parts, fmt.Sprintf("%q: %q", k, v))
			}
		}
		return `{"actions": [{` + strings.Join(parts, ", ") + `}]}`
	}
	create := func(email string) string {
		return fmt.Sprintf(`{"actions": [{"id": "c", "op": "create", "entity": "user", "email": %q}]}`, email)
	}
	cases := []struct {
		name  string
		plan  string
		field string // "" for a valid plan
		parts []string
	}{
		{"id with comma quote and emoji", member(func(m map[string]string) { m["id"] = `a,"b" 😀` }), "", nil},
		{"decomposed id", member(func(m map[string]string) { m["id"] = "e\u0301" }), "", nil},
		{"id with newline", member(func(m map[string]string) { m["id"] = "a\nb" }), "id", []string{"control character"}},
		{"id with spaces around", member(func(m map[string]string) { m["id"] = " a " }), "id", []string{"spaces around"}},
		{"id too long", member(func(m map[string]string) { m["id"] = strings.Repeat("x", MaxIDLength+1) }), "id", []string{"at most 256"}},
		{"missing id", member(func(m map[string]string) { delete(m, "id") }), "id", []string{"missing"}},
		{"op in capitals", member(func(m map[string]string) { m["op"] = "Grant" }), "op", []string{`unknown op "Grant"`, `"grant"`}},
		{"missing op", member(func(m map[string]string) { delete(m, "op") }), "op", []string{"missing", "grant, revoke"}},
		{"unknown relation", member(func(m map[string]string) { m["relation"] = "lead_of" }), "relation", []string{`"lead_of"`, "member_of"}},
		{"member_of from a group", member(func(m map[string]string) { m["from_type"] = "group" }), "from_type", []string{"from a user"}},
		{"member_of to a role", member(func(m map[string]string) { m["to_type"] = "project_role" }), "to_type", []string{"to a group"}},
		{"group name instead of id", member(func(m map[string]string) { m["to_id"] = "jira admins" }), "to_id", []string{"not a valid groupId"}},
		{"emoji account id", member(func(m map[string]string) { m["from_id"] = "😀" }), "from_id", []string{"not a valid accountId"}},
		{"missing from_id", member(func(m map[string]string) { delete(m, "from_id") }), "from_id", []string{"missing"}},
		{"email on a grant", member(func(m map[string]string) { m["email"] = "a@example.com" }), "email", []string{"not used by op grant"}},
		{"unknown mode", member(func(m map[string]string) { m["mode"] = "Ticket" }), "mode", []string{`unknown mode "Ticket"`}},
		{"role id with dash", `{"actions":[{"id":"r","op":"grant","relation":"has_role","from_type":"user","from_id":"` + accA + `","to_type":"project_role","to_id":"10000-10002"}]}`, "to_id", []string{"PROJECTID:ROLEID"}},
		{"role id not numeric", `{"actions":[{"id":"r","op":"grant","relation":"has_role","from_type":"group","from_id":"` + group + `","to_type":"project_role","to_id":"ABC:10002"}]}`, "to_id", []string{"PROJECTID:ROLEID"}},
		{"role from an app", `{"actions":[{"id":"r","op":"grant","relation":"has_role","from_type":"application_role","from_id":"jira-core","to_type":"project_role","to_id":"1:2"}]}`, "from_type", []string{"user or a group"}},
		{"email with plus", create("first.last+jira@example.com"), "", nil},
		{"composed unicode email", create("jos\u00e9@example.com"), "", nil},
		{"decomposed unicode email", create("jose\u0301@example.com"), "email", []string{"decomposed", "jos\u00e9@example.com"}},
		{"email with display name", create("Ann <ann@example.com>"), "email", []string{"not a plain email address"}},
		{"email with comma", create("a@example.com,b@example.com"), "email", []string{"not a plain email address"}},
		{"email without dot", create("root@localhost"), "email", []string{"not a plain email address"}},
		{"email with newline", create("a@example.com\nBcc: x@example.com"), "email", []string{"not a plain email address"}},
		{"missing email", `{"actions":[{"id":"c","op":"create","entity":"user"}]}`, "email", []string{"missing"}},
		{"unknown product", `{"actions":[{"id":"c","op":"create","entity":"user","email":"a@example.com","products":["confluence"]}]}`, "products", []string{`"confluence"`, "jira-software"}},
		{"product twice", `{"actions":[{"id":"c","op":"create","entity":"user","email":"a@example.com","products":["jira-core","jira-core"]}]}`, "products", []string{"twice"}},
		{"create without entity", `{"actions":[{"id":"c","op":"create","email":"a@example.com"}]}`, "entity", []string{"missing", `"user"`}},
		{"remove with a non-account id", `{"actions":[{"id":"remove ann","op":"remove","entity":"user"}]}`, "to_id", []string{"accountId"}},
		{"suspend a group", `{"actions":[{"id":"s","op":"suspend","entity":"user","to_type":"group","to_id":"` + group + `"}]}`, "to_type", []string{"acts on a user"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(c.plan), JSON)
			if c.field == "" {
				if err != nil {
					t.Fatalf("valid plan refused: %v", err)
				}
				return
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if !has(pe.Problems, "", c.field, c.parts...) {
				t.Fatalf("no problem on %s with %q in:\n%v", c.field, c.parts, err)
			}
			for _, p := range pe.Problems {
				if strings.ContainsAny(p.String(), "\n\r") {
					t.Fatalf("problem text spans lines: %q", p.String())
				}
			}
		})
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	ps := problemsOf(t, JSON, `{"actions": [
	 {"id": "a", "op": "grant", "relation": "member_of", "from_type": "user", "from_id": "`+accA+`", "to_type": "group", "to_id": "`+group+`"},
	 {"op": "fly"},
	 {"id": "a", "op": "create", "entity": "user", "email": "nope", "products": ["jira"]},
	 {"id": "b", "op": "revoke", "relation": "member_of", "from_type": "user", "from_id": "`+accA+`", "to_type": "group", "to_id": "`+group+`", "colour": "red"}
	]}`)
	want := []struct{ where, id, field string }{
		{"actions[1]", "", "id"},
		{"actions[1]", "", "op"},
		{"actions[2]", "a", "email"},
		{"actions[2]", "a", "products"},
		{"actions[2]", "a", "id"}, // duplicate
		{"actions[3]", "b", "colour"},
		{"actions[3]", "b", "op"}, // contradicts a
	}
	if len(ps) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(ps), len(want), (&Error{ps}).Error())
	}
	for _, w := range want {
		found := false
		for _, p := range ps {
			found = found || (p.Where == w.where && p.ID == w.id && p.Field == w.field)
		}
		if !found {
			t.Errorf("missing problem %+v in\n%v", w, (&Error{ps}).Error())
		}
	}
	msg := (&Error{ps}).Error()
	for _, s := range []string{`action "a" (actions[2]): field email`, `action at actions[1]: field op: unknown op "fly"`, `contradicts action "a" at actions[0]`} {
		if !strings.Contains(msg, s) {
			t.Errorf("error text lacks %q:\n%s", s, msg)
		}
	}
}

func TestDuplicateIDsAfterUnicodeNormalisation(t *testing.T) {
	ps := problemsOf(t, JSON, `{"actions":[
	 {"id":"caf\u00e9","op":"remove","entity":"user","to_id":"`+accA+`"},
	 {"id":"cafe\u0301","op":"remove","entity":"user","to_id":"`+accB+`"}]}`)
	if len(ps) != 1 || !has(ps, "actions[1]", "id", "duplicate", "Unicode") {
		t.Fatalf("problems = %v", ps)
	}
}

func TestContradictions(t *testing.T) {
	edge := func(id, op, to string) string {
		return `{"id":"` + id + `","op":"` + op + `","relation":"has_role","from_type":"user","from_id":"` + accA + `","to_type":"project_role","to_id":"` + to + `"}`
	}
	user := func(id, op string) string {
		return `{"id":"` + id + `","op":"` + op + `","entity":"user","to_id":"` + accB + `"}`
	}
	cases := []struct {
		name    string
		actions []string
		bad     bool
	}{
		{"grant and revoke of one role", []string{edge("1", "grant", "10000:10002"), edge("2", "revoke", "10000:10002")}, true},
		{"same role written with a leading zero", []string{edge("1", "revoke", "10000:10002"), edge("2", "grant", "010000:10002")}, true},
		{"grant twice is not a contradiction", []string{edge("1", "grant", "1:2"), edge("2", "grant", "1:2")}, false},
		{"different roles", []string{edge("1", "grant", "1:2"), edge("2", "revoke", "1:3")}, false},
		{"suspend and restore", []string{user("1", "suspend"), user("2", "restore")}, true},
		{"deactivate and activate", []string{user("1", "activate"), user("2", "deactivate")}, true},
		{"suspend and deactivate", []string{user("1", "suspend"), user("2", "deactivate")}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(`{"actions":[`+strings.Join(c.actions, ",")+`]}`), JSON)
			var pe *Error
			if !c.bad {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.As(err, &pe) || len(pe.Problems) != 1 || !has(pe.Problems, "actions[1]", "op", "contradicts", `"1"`) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestStrictJSON(t *testing.T) {
	okAction := `{"id":"x","op":"remove","entity":"user","to_id":"` + accA + `"}`
	cases := []struct {
		name, plan, where, field string
		parts                    []string
	}{
		{"empty file", "  ", "", "", []string{"empty"}},
		{"not an object", `[1]`, "", "", []string{"not a JSON object"}},
		{"syntax error names the line", "{\"actions\": [\n" + okAction + ",\n{\"id\": }]}", "", "", []string{"line 3", "not valid JSON"}},
		{"truncated", `{"actions": [` + okAction, "", "", []string{"ends too early"}},
		{"trailing data", `{"actions": [` + okAction + `]} {}`, "", "", []string{"after the plan"}},
		{"missing actions", `{}`, "", "actions", []string{"missing"}},
		{"actions not an array", `{"actions": {}}`, "", "actions", []string{"array"}},
		{"empty actions", `{"actions": []}`, "", "actions", []string{"no actions"}},
		{"null actions", `{"actions": null}`, "", "actions", []string{"no actions"}},
		{"unknown top key", `{"actions": [` + okAction + `], "dryRun": true}`, "", "dryRun", []string{"unknown key"}},
		{"duplicate top key", `{"actions": [], "actions": [` + okAction + `]}`, "", "actions", []string{"twice"}},
		{"duplicate action key", `{"actions": [{"id":"x","op":"remove","op":"grant","entity":"user","to_id":"` + accA + `"}]}`, "actions[0]", "op", []string{"twice"}},
		{"unknown action field", `{"actions": [{"id":"x","op":"remove","entity":"user","to_id":"` + accA + `","accountId":"y"}]}`, "actions[0]", "accountId", []string{"unknown field"}},
		{"number instead of string", `{"actions": [{"id":"x","op":"remove","entity":"user","to_id":10000}]}`, "actions[0]", "to_id", []string{"must be a string"}},
		{"products as a string", `{"actions": [{"id":"c","op":"create","entity":"user","email":"a@example.com","products":"jira-core"}]}`, "actions[0]", "products", []string{"array"}},
		{"action not an object", `{"actions": ["grant"]}`, "actions[0]", "", []string{"JSON object"}},
		{"deep nesting", `{"actions": [{"id":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}]}`, "", "", []string{"nested"}},
		{"invalid UTF-8", "{\"actions\": [{\"id\":\"\xff\"}]}", "", "", []string{"UTF-8"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := problemsOf(t, JSON, c.plan)
			if !has(ps, c.where, c.field, c.parts...) {
				t.Fatalf("no problem at %q field %q with %q in %v", c.where, c.field, c.parts, ps)
			}
		})
	}
}

func TestPlanSizeIsBounded(t *testing.T) {
	big := `{"actions": [` + strings.Repeat(" ", MaxBytes) + `]}`
	ps := problemsOf(t, JSON, big)
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "larger than 32 MiB") {
		t.Fatalf("problems = %v", ps)
	}
}

func TestStrictCSV(t *testing.T) {
	cases := []struct {
		name, plan, where, field string
		parts                    []string
	}{
		{"empty", "", "", "", []string{"header row"}},
		{"header only", "id,op\n", "", "actions", []string{"no actions"}},
		{"unknown column", "id,op,accountId\nx,remove,y\n", "", "accountId", []string{"unknown column"}},
		{"column twice", "id,op,op\nx,remove,grant\n", "", "op", []string{"twice"}},
		{"no id column", "op,entity\nremove,user\n", "", "id", []string{"no id column"}},
		{"too many cells", "id,op,entity,to_id\nx,remove,user," + accA + ",extra\n", "line 2", "", []string{"5 cells", "header has 4"}},
		{"bare quote", "id,op\na\"b,remove\n", "", "", []string{"line 2", "not valid CSV"}},
		{"products as JSON", "id,op,entity,email,products\nc,create,user,a@example.com,\"[\"\"jira-core\"\"]\"\n", "line 2", "products", []string{`separated by ";"`}},
		{"unknown product in list", "id,op,entity,email,products\nc,create,user,a@example.com,jira-core;jira-wiki\n", "line 2", "products", []string{`"jira-wiki"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := problemsOf(t, CSV, c.plan)
			if !has(ps, c.where, c.field, c.parts...) {
				t.Fatalf("no problem at %q field %q with %q in %v", c.where, c.field, c.parts, ps)
			}
		})
	}
}

func TestReadFilePicksFormatByName(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(dir, "plan.JSON")
	if err := os.WriteFile(js, []byte(`{"actions":[{"id":"`+accA+`","op":"remove","entity":"user"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := ReadFile(js)
	if err != nil || len(p.Actions) != 1 {
		t.Fatalf("ReadFile = %v, %v", p, err)
	}
	if _, err := ReadFile(filepath.Join(dir, "plan.yaml")); err == nil || !strings.Contains(err.Error(), ".json or .csv") {
		t.Fatalf("unknown extension: err = %v", err)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("id,op\nx,fly\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = ReadFile(bad)
	var pe *Error
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "bad.csv") {
		t.Fatalf("invalid file: err = %v, want a *plan.Error naming the file", err)
	}
}

func TestParseProjectRole(t *testing.T) {
	for in, ok := range map[string]bool{"10000:10002": true, "1:2": true, ":2": false, "1:": false, "1:2:3": false, "a:b": false, "-1:2": false, " 1:2": false, "1234567890123456789:1": false} {
		if _, _, got := ParseProjectRole(in); got != ok {
			t.Errorf("ParseProjectRole(%q) ok = %v, want %v", in, got, ok)
		}
	}
}
