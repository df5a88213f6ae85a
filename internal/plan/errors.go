package plan

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a plan.
type Problem struct {
	ID      string // the action's id; "" when it has none or the problem is the file's
	Where   string // where in the file: "actions[3]", "line 4", or ""
	Field   string // the field at fault, e.g. "to_id"; "" for the whole action or file
	Message string // what is wrong and how to fix it
}

// String renders the problem on one line, ids quoted so hostile values
// (newlines, quotes) cannot break it.
func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.ID != "" && p.Where != "":
		fmt.Fprintf(&b, "action %q (%s)", p.ID, p.Where)
	case p.ID != "":
		fmt.Fprintf(&b, "action %q", p.ID)
	case p.Where != "":
		fmt.Fprintf(&b, "action at %s", p.Where)
	default:
		b.WriteString("plan")
	}
	if p.Field != "" {
		fmt.Fprintf(&b, ": field %s", p.Field)
	}
	b.WriteString(": ")
	b.WriteString(p.Message)
	return b.String()
}

// Error is an invalid plan: every problem found, in file order.
type Error struct {
	Problems []Problem
}

// Error lists every problem, one a line.
func (e *Error) Error() string {
	if len(e.Problems) == 1 {
		return "invalid plan: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "invalid plan: %d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// problems collects Problems.
type problems []Problem

func (ps *problems) add(a *Action, field, format string, args ...any) {
	p := Problem{Field: field, Message: fmt.Sprintf(format, args...)}
	if a != nil {
		p.ID, p.Where = a.ID, a.where
	}
	*ps = append(*ps, p)
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &Error{Problems: ps}
}
