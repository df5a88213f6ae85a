package sim

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// The JQL subset the simulator understands: clauses joined by AND, each
// FIELD = VALUE, FIELD != VALUE, FIELD in (V1, V2), FIELD not in (...) or
// summary ~ "text"; values bare words or quoted ("..." or '...', with \
// escapes); an optional ORDER BY key|id|created [ASC|DESC]. Fields: project
// (key, id or name), labels, status (name), statusCategory (key or name),
// issuetype/type (name or id), key/issuekey, id, summary (~ only). Keywords
// are case-insensitive. Anything else is a 400 naming the problem.

type jqlClause struct {
	field  string
	op     string // "=", "!=", "in", "not in", "~"
	values []string
}

type jqlQuery struct {
	clauses []jqlClause
	order   string // "id", "key", "created"
	desc    bool
}

type jqlLexer struct {
	s   string
	pos int
}

// next returns the next token; quoted is true for a quoted string.
func (l *jqlLexer) next() (tok string, quoted bool, err error) {
	for l.pos < len(l.s) && unicode.IsSpace(rune(l.s[l.pos])) {
		l.pos++
	}
	if l.pos >= len(l.s) {
		return "", false, nil
	}
	c := l.s[l.pos]
	switch {
	case c == '"' || c == '\'':
		var sb strings.Builder
		for i := l.pos + 1; i < len(l.s); i++ {
			switch l.s[i] {
			case '\\':
				if i+1 < len(l.s) {
					i++
					sb.WriteByte(l.s[i])
				}
			case c:
				l.pos = i + 1
				return sb.String(), true, nil
			default:
				sb.WriteByte(l.s[i])
			}
		}
		return "", false, fmt.Errorf("Error in the JQL Query: the quoted string starting at character %d is not terminated.", l.pos+1)
	case c == '(' || c == ')' || c == ',' || c == '=' || c == '~':
		l.pos++
		return string(c), false, nil
	case c == '!' && l.pos+1 < len(l.s) && l.s[l.pos+1] == '=':
		l.pos += 2
		return "!=", false, nil
	}
	start := l.pos
	for l.pos < len(l.s) && !strings.ContainsRune(" \t\r\n()=,!~\"'", rune(l.s[l.pos])) {
		l.pos++
	}
	if start == l.pos {
		return "", false, fmt.Errorf("Error in the JQL Query: the character '%c' at position %d is not supported.", c, l.pos+1)
	}
	return l.s[start:l.pos], false, nil
}

var jqlFields = map[string]string{
	"project": "project", "labels": "labels", "status": "status", "statuscategory": "statusCategory",
	"issuetype": "issuetype", "type": "issuetype", "key": "key", "issuekey": "key", "id": "id", "summary": "summary",
}

// parseJQL parses the subset above.
func parseJQL(src string) (*jqlQuery, error) {
	var toks []string
	var quoted []bool
	l := &jqlLexer{s: src}
	for {
		t, q, err := l.next()
		if err != nil {
			return nil, err
		}
		if t == "" && !q {
			break
		}
		toks, quoted = append(toks, t), append(quoted, q)
	}
	q := &jqlQuery{}
	i := 0
	kw := func(k int, word string) bool { return k < len(toks) && !quoted[k] && strings.EqualFold(toks[k], word) }
	for i < len(toks) && !kw(i, "order") {
		if len(q.clauses) > 0 {
			switch {
			case kw(i, "and"):
				i++
			case kw(i, "or"):
				return nil, fmt.Errorf("Error in the JQL Query: 'OR' is not supported by the simulator; only clauses joined by AND are.")
			default:
				return nil, fmt.Errorf("Error in the JQL Query: expected AND or ORDER BY before '%s'.", toks[i])
			}
		}
		if i >= len(toks) {
			return nil, fmt.Errorf("Error in the JQL Query: expected a clause after AND.")
		}
		field, ok := jqlFields[strings.ToLower(toks[i])]
		if !ok || quoted[i] {
			return nil, fmt.Errorf("Field '%s' does not exist or you do not have permission to view it.", toks[i])
		}
		i++
		var cl jqlClause
		cl.field = field
		switch {
		case i < len(toks) && (toks[i] == "=" || toks[i] == "!=" || toks[i] == "~") && !quoted[i]:
			cl.op = toks[i]
			i++
		case kw(i, "in"):
			cl.op = "in"
			i++
		case kw(i, "not") && kw(i+1, "in"):
			cl.op = "not in"
			i += 2
		default:
			return nil, fmt.Errorf("Error in the JQL Query: expected an operator (=, !=, in, not in, ~) after '%s'.", field)
		}
		if (cl.op == "~") != (field == "summary") {
			return nil, fmt.Errorf("The operator '%s' is not supported by the '%s' field.", cl.op, field)
		}
		if cl.op == "in" || cl.op == "not in" {
			if i >= len(toks) || toks[i] != "(" || quoted[i] {
				return nil, fmt.Errorf("Error in the JQL Query: expected '(' after '%s'.", cl.op)
			}
			i++
			for {
				if i >= len(toks) {
					return nil, fmt.Errorf("Error in the JQL Query: the list is not closed with ')'.")
				}
				if len(cl.values) > 0 && toks[i] == ")" && !quoted[i] {
					i++
					break
				}
				if len(cl.values) > 0 {
					if toks[i] != "," || quoted[i] {
						return nil, fmt.Errorf("Error in the JQL Query: expected ',' or ')' in the list, got '%s'.", toks[i])
					}
					i++
				}
				if i >= len(toks) || (!quoted[i] && strings.ContainsAny(toks[i], "(),")) {
					return nil, fmt.Errorf("Error in the JQL Query: expected a value in the list.")
				}
				cl.values = append(cl.values, toks[i])
				i++
			}
		} else {
			if i >= len(toks) || (!quoted[i] && strings.ContainsAny(toks[i], "(),=")) {
				return nil, fmt.Errorf("Error in the JQL Query: expected a value after '%s %s'.", field, cl.op)
			}
			cl.values = []string{toks[i]}
			i++
		}
		q.clauses = append(q.clauses, cl)
	}
	if i < len(toks) {
		if !kw(i+1, "by") || i+2 >= len(toks) {
			return nil, fmt.Errorf("Error in the JQL Query: expected 'ORDER BY field'.")
		}
		switch f := strings.ToLower(toks[i+2]); f {
		case "key", "id", "created":
			q.order = f
		default:
			return nil, fmt.Errorf("Error in the JQL Query: ORDER BY '%s' is not supported by the simulator (use key, id or created).", toks[i+2])
		}
		i += 3
		if kw(i, "desc") || kw(i, "asc") {
			q.desc = kw(i, "desc")
			i++
		}
		if i < len(toks) {
			return nil, fmt.Errorf("Error in the JQL Query: unexpected '%s' after ORDER BY.", toks[i])
		}
	}
	if len(q.clauses) == 0 {
		return nil, fmt.Errorf("Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
	}
	return q, nil
}

// matcher compiles the query against the site: it checks every value
// (unknown projects, statuses, issue types are errors, as in Jira).
func (s *site) jqlMatcher(q *jqlQuery) (func(*issue) bool, error) {
	var tests []func(*issue) bool
	for _, cl := range q.clauses {
		vals := cl.values
		var one func(*issue, string) bool
		switch cl.field {
		case "project":
			want := map[int32]bool{}
			for _, v := range vals {
				k := s.findProject(v)
				if k < 0 {
					return nil, fmt.Errorf("The value '%s' does not exist for the field 'project'.", v)
				}
				want[k] = true
			}
			one = func(is *issue, _ string) bool { return want[is.project] }
			vals = []string{""}
		case "labels":
			one = func(is *issue, v string) bool { return slices.Contains(is.labels, v) }
		case "status":
			for _, v := range vals {
				if statusByName(v) < 0 {
					return nil, fmt.Errorf("The value '%s' does not exist for the field 'status'.", v)
				}
			}
			one = func(is *issue, v string) bool { return is.status == statusByName(v) }
		case "statusCategory":
			for _, v := range vals {
				if statusByCategory(v) < 0 {
					return nil, fmt.Errorf("The value '%s' does not exist for the field 'statusCategory'.", v)
				}
			}
			one = func(is *issue, v string) bool { return is.status == statusByCategory(v) }
		case "issuetype":
			one = func(is *issue, v string) bool { return strings.EqualFold(is.typ.name, v) || is.typ.id == v }
		case "key":
			one = func(is *issue, v string) bool { return strings.EqualFold(is.key, v) }
		case "id":
			one = func(is *issue, v string) bool { return fmt.Sprint(is.id) == v }
		case "summary":
			one = func(is *issue, v string) bool {
				return strings.Contains(strings.ToLower(is.summary), strings.ToLower(v))
			}
		}
		neg := cl.op == "!=" || cl.op == "not in"
		tests = append(tests, func(is *issue) bool {
			hit := false
			for _, v := range vals {
				if one(is, v) {
					hit = true
					break
				}
			}
			return hit != neg
		})
	}
	return func(is *issue) bool {
		for _, t := range tests {
			if !t(is) {
				return false
			}
		}
		return true
	}, nil
}
