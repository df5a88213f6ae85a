package plan

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// MaxBytes is the largest plan file read; a larger one is refused before
// parsing. It is far above what --max-changes lets through.
const MaxBytes = 32 << 20

// maxDepth bounds JSON nesting so a hostile file cannot exhaust the stack.
const maxDepth = 32

var errTooDeep = fmt.Errorf("the JSON is nested more than %d levels deep: an action's values are strings or a list of strings", maxDepth)

// Format is a plan file's format.
type Format string

// The plan formats.
const (
	JSON Format = "json"
	CSV  Format = "csv"
)

// fields lists the fields of an action in the order they are documented:
// the JSON keys and CSV columns a plan may use.
var fields = []string{"id", "op", "relation", "entity", "from_type", "from_id", "to_type", "to_id", "email", "products", "mode"}

// FormatOf picks the format from the file name: .json or .csv (any case).
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return JSON, nil
	case ".csv":
		return CSV, nil
	}
	return "", fmt.Errorf("plan %s: unknown format: name the file .json or .csv", path)
}

// ReadFile reads and validates a plan file; its format comes from its name.
// An invalid plan gives an *Error listing every problem.
func ReadFile(path string) (*Plan, error) {
	f, err := FormatOf(path)
	if err != nil {
		return nil, err
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	defer fh.Close()
	p, err := Parse(fh, f)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", path, err)
	}
	return p, nil
}

// Parse reads a plan in format f and validates it. An invalid plan gives an
// *Error listing every problem, from parsing and validation alike.
func Parse(r io.Reader, f Format) (*Plan, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var ps problems
	if len(data) > MaxBytes {
		ps.add(nil, "", "the file is larger than %d MiB: split the plan into smaller ones", MaxBytes>>20)
		return nil, ps.err()
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		ps.add(nil, "", "the file is not valid UTF-8: save it as UTF-8")
		return nil, ps.err()
	}
	var p *Plan
	switch f {
	case JSON:
		p = parseJSON(data, &ps)
	case CSV:
		p = parseCSV(data, &ps)
	default:
		return nil, fmt.Errorf("plan format %q: use %q or %q", f, JSON, CSV)
	}
	if p == nil {
		return nil, ps.err()
	}
	if len(p.Actions) > 0 || len(ps) == 0 {
		validate(p, &ps)
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// --- JSON ---

type dupKey struct {
	action int // index in actions, or -1 outside an action
	path   string
}

func parseJSON(data []byte, ps *problems) *Plan {
	if len(bytes.TrimSpace(data)) == 0 {
		ps.add(nil, "", `the file is empty: write {"actions": [...]}`)
		return nil
	}
	dups, err := scanJSON(data)
	if err != nil {
		ps.add(nil, "", "%s", err)
		return nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		ps.add(nil, "", `the file is not a JSON object: write {"actions": [...]}`)
		return nil
	}
	for _, d := range dups {
		if d.action < 0 {
			ps.add(nil, d.path, "the key appears twice: keep one")
		}
	}
	for _, k := range sortedKeys(top) {
		if k != "actions" {
			ps.add(nil, k, `unknown key %q: a plan holds only "actions"`, k)
		}
	}
	raw, ok := top["actions"]
	if !ok {
		ps.add(nil, "actions", `missing: write {"actions": [...]}`)
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		ps.add(nil, "actions", "must be an array of actions")
		return nil
	}
	p := &Plan{Actions: make([]Action, 0, len(items))}
	for i, item := range items {
		a := Action{where: fmt.Sprintf("actions[%d]", i)}
		decodeAction(&a, item, ps)
		for _, d := range dups {
			if d.action == i {
				ps.add(&a, d.path, "the key appears twice: keep one")
			}
		}
		p.Actions = append(p.Actions, a)
	}
	return p
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// decodeAction fills a from one JSON object, reporting every unknown key
// and every value of the wrong type.
func decodeAction(a *Action, item json.RawMessage, ps *problems) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(item, &m); err != nil || m == nil {
		ps.add(a, "", "must be a JSON object with the action's fields")
		return
	}
	str := func(key string, dst *string) {
		v, ok := m[key]
		if !ok {
			return
		}
		if err := json.Unmarshal(v, dst); err != nil {
			ps.add(a, key, "must be a string: put the value in quotes")
		}
	}
	str("id", &a.ID) // first, so the other problems can name the action
	var op string
	str("op", &op)
	a.Op = Op(op)
	str("relation", &a.Relation)
	str("entity", &a.Entity)
	str("from_type", &a.FromType)
	str("from_id", &a.FromID)
	str("to_type", &a.ToType)
	str("to_id", &a.ToID)
	str("email", &a.Email)
	str("mode", &a.Mode)
	if v, ok := m["products"]; ok {
		if err := json.Unmarshal(v, &a.Products); err != nil {
			ps.add(a, "products", `must be an array of application keys, e.g. ["jira-software"]`)
		}
	}
	for _, k := range sortedKeys(m) {
		if !slices.Contains(fields, k) {
			ps.add(a, k, "unknown field: an action has %s", strings.Join(fields, ", "))
		}
	}
}

// scanJSON checks the syntax of the whole document and finds keys that
// appear twice in one object (encoding/json silently keeps the last).
func scanJSON(data []byte) ([]dupKey, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var dups []dupKey
	// path is the full path, for messages about the file; rel is the path
	// inside the current action, for messages about an action's field.
	var walk func(path, rel string, depth, action int, inActions bool) error
	walk = func(path, rel string, depth, action int, inActions bool) error {
		if depth > maxDepth {
			return errTooDeep
		}
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := kt.(string)
				kpath, krel := joinPath(path, k), joinPath(rel, k)
				if seen[k] {
					p := kpath
					if action >= 0 {
						p = krel
					}
					dups = append(dups, dupKey{action: action, path: p})
				}
				seen[k] = true
				if err := walk(kpath, krel, depth+1, action, depth == 0 && k == "actions"); err != nil {
					return err
				}
			}
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				a, r := action, fmt.Sprintf("%s[%d]", rel, i)
				if inActions {
					a, r = i, ""
				}
				if err := walk(fmt.Sprintf("%s[%d]", path, i), r, depth+1, a, false); err != nil {
					return err
				}
			}
		default:
			return nil
		}
		_, err = dec.Token() // the closing delimiter
		return err
	}
	if err := walk("", "", 0, -1, false); err != nil {
		return nil, jsonSyntax(data, dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: unexpected data after the plan's closing brace", lineCol(data, dec.InputOffset()))
	}
	return dups, nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func jsonSyntax(data []byte, dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	off := dec.InputOffset()
	if errors.As(err, &se) {
		off = se.Offset
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the JSON ends too early (a missing closing bracket or brace)")
	}
	if errors.Is(err, errTooDeep) {
		return err
	}
	return fmt.Errorf("%s: not valid JSON: %s", lineCol(data, off), strings.TrimPrefix(err.Error(), "json: "))
}

func lineCol(data []byte, off int64) string {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return fmt.Sprintf("line %d column %d", line, col)
}

// --- CSV ---

func parseCSV(data []byte, ps *problems) *Plan {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err == io.EOF {
		ps.add(nil, "", "the file is empty: a CSV plan needs a header row (id,op,...) and one row per action")
		return nil
	}
	if err != nil {
		ps.add(nil, "", "%s", csvError(err))
		return nil
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		switch {
		case !slices.Contains(fields, h):
			ps.add(nil, h, "unknown column %q in the header: columns are %s", h, strings.Join(fields, ", "))
		case hasKey(col, h):
			ps.add(nil, h, "the column appears twice in the header: keep one")
		default:
			col[h] = i
		}
	}
	for _, need := range []string{"id", "op"} {
		if !hasKey(col, need) {
			ps.add(nil, need, "the header has no %s column: the first row must name the columns, e.g. id,op,relation,from_type,from_id,to_type,to_id", need)
		}
	}
	if len(*ps) > 0 {
		return nil
	}
	p := &Plan{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			ps.add(nil, "", "%s", csvError(err))
			return p
		}
		line, _ := r.FieldPos(0)
		a := Action{where: fmt.Sprintf("line %d", line)}
		cell := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		a.ID = cell("id")
		if len(rec) != len(header) {
			ps.add(&a, "", "the row has %d cells but the header has %d: quote cells that hold commas, quotes or line breaks", len(rec), len(header))
			continue
		}
		a.Op = Op(cell("op"))
		a.Relation, a.Entity = cell("relation"), cell("entity")
		a.FromType, a.FromID = cell("from_type"), cell("from_id")
		a.ToType, a.ToID = cell("to_type"), cell("to_id")
		a.Email, a.Mode = cell("email"), cell("mode")
		if prod := strings.TrimSpace(cell("products")); strings.HasPrefix(prod, "[") {
			ps.add(&a, "products", `in CSV, list products separated by ";", e.g. jira-software;jira-core`)
		} else if prod != "" {
			for _, item := range strings.Split(prod, ";") {
				if item = strings.TrimSpace(item); item != "" {
					a.Products = append(a.Products, item)
				}
			}
		}
		p.Actions = append(p.Actions, a)
	}
	return p
}

func hasKey(m map[string]int, k string) bool { _, ok := m[k]; return ok }

func csvError(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d: not valid CSV: %s: a quote inside a cell must be doubled (\"\") and the cell quoted", pe.StartLine, pe.Err)
	}
	return "not valid CSV: " + err.Error()
}
