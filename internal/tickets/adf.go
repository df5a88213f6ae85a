package tickets

import (
	"strconv"
	"strings"

	"github.com/govextract/jira-extractor/internal/plan"
)

// adfNode is a node of an Atlassian Document Format document.
type adfNode struct {
	Type    string         `json:"type"`
	Version int            `json:"version,omitempty"`
	Text    string         `json:"text,omitempty"`
	Attrs   map[string]any `json:"attrs,omitempty"`
	Marks   []adfMark      `json:"marks,omitempty"`
	Content []adfNode      `json:"content,omitempty"`
}

type adfMark struct {
	Type string `json:"type"`
}

func text(s string, marks ...string) adfNode {
	n := adfNode{Type: "text", Text: s}
	for _, m := range marks {
		n.Marks = append(n.Marks, adfMark{Type: m})
	}
	return n
}

func paragraph(nodes ...adfNode) adfNode { return adfNode{Type: "paragraph", Content: nodes} }

func heading(level int, s string) adfNode {
	return adfNode{Type: "heading", Attrs: map[string]any{"level": level}, Content: []adfNode{text(s)}}
}

// fieldItem is a list item "name: value", the name in bold and the value
// quoted (so a value with newlines, quotes or spaces stays visible as is).
func fieldItem(name, value string) adfNode {
	v := "(empty)"
	if value != "" {
		v = strconv.Quote(value)
	}
	return adfNode{Type: "listItem", Content: []adfNode{paragraph(text(name+": ", "strong"), text(v, "code"))}}
}

// ActionFields lists every field of an action, in the plan's column order,
// as name and value (products joined with ";").
func ActionFields(a plan.Action) [][2]string {
	return [][2]string{{"id", a.ID}, {"op", string(a.Op)}, {"relation", a.Relation}, {"entity", a.Entity},
		{"from_type", a.FromType}, {"from_id", a.FromID}, {"to_type", a.ToType}, {"to_id", a.ToID},
		{"email", a.Email}, {"products", strings.Join(a.Products, ";")}, {"mode", a.Mode}}
}

// Description is the description, an ADF document: the change in
// words, why a person is asked, every field of the action, the plan's id,
// the apply run's id, the dedupe label, and what to do when it is done.
func Description(a plan.Action, change, reason, planID, runID string) adfNode {
	var fields []adfNode
	for _, f := range ActionFields(a) {
		fields = append(fields, fieldItem(f[0], f[1]))
	}
	var run []adfNode
	for _, f := range [][2]string{{"plan id", planID}, {"apply run id", runID}, {"dedupe label", DedupeLabel(a)}} {
		run = append(run, fieldItem(f[0], f[1]))
	}
	return adfNode{Type: "doc", Version: 1, Content: []adfNode{
		paragraph(text("Please make this access change by hand: "), text(oneLine(change), "strong")),
		paragraph(text("Why a person is asked: " + oneLine(reason))),
		heading(3, "The plan's action"),
		{Type: "bulletList", Content: fields},
		heading(3, "Where it comes from"),
		{Type: "bulletList", Content: run},
		paragraph(text("When the change is made, move this issue to Done. `jira-extractor tickets` reports the status of every ticket of the apply run; applying the plan again finds this issue by its dedupe label and opens no second one.")),
	}}
}

// oneLine replaces line breaks and other control characters with spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}
