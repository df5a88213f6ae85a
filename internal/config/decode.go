package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/govextract/jira-extractor/internal/secret"
)

// node is one JSON value of the job file, with the line it starts on.
type node struct {
	kind  nodeKind
	line  int
	str   string // string value, or a number's literal
	b     bool
	keys  []string // object keys in file order, each once
	vals  map[string]*node
	items []*node
}

type nodeKind int

const (
	nullNode nodeKind = iota
	stringNode
	numberNode
	boolNode
	objectNode
	arrayNode
)

// what names a JSON value's kind in a message ("got a string"). It never
// includes the value, which may be a credential.
func (n *node) what() string {
	switch n.kind {
	case stringNode:
		return "a string"
	case numberNode:
		return "a number"
	case boolNode:
		return "true or false"
	case objectNode:
		return "an object"
	case arrayNode:
		return "a list"
	}
	return "null"
}

// decoder turns the job file into a Job and collects every problem on the
// way, each once, in the job file's words.
type decoder struct {
	data    []byte
	probs   []Problem
	present map[string]bool // keys given a (non-null) value
	bad     []string        // keys already reported
}

func (d *decoder) add(key, msg, fix string) {
	d.probs = append(d.probs, Problem{Key: key, Message: msg, Fix: fix})
	d.bad = append(d.bad, key)
}

// reported reports whether key, or a key containing it, already has a
// problem, so validation does not report a second, derived one.
func (d *decoder) reported(key string) bool {
	for _, b := range d.bad {
		if key == b || strings.HasPrefix(key, b+".") || strings.HasPrefix(key, b+"[") {
			return true
		}
	}
	return false
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decode parses data into a Job. A file that is not a JSON object fails at
// once; otherwise every unknown key, repeated key and type error is
// collected in d.probs. set replaces string keys first.
func decode(data []byte, set map[string]string) (*Job, *decoder, error) {
	const fixJSON = "write the job file as one JSON object, e.g. {\"appConfig\": {...}, \"output\": {...}}"
	data = bytes.TrimPrefix(data, utf8BOM)
	if bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		return nil, nil, invalid("(file)", "is UTF-16 text", "save the job file as UTF-8")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, invalid("(file)", "is empty", fixJSON)
	}
	var probe any
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, nil, invalid("(file)", syntaxMessage(data, err), fixJSON)
	}
	d := &decoder{data: data, present: map[string]bool{}}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	root, err := d.read(dec)
	if err != nil { // cannot happen: the file was valid JSON above
		return nil, nil, invalid("(file)", syntaxMessage(data, err), fixJSON)
	}
	if root.kind != objectNode {
		return nil, nil, invalid("(file)", "must be a JSON object, got "+root.what(), fixJSON)
	}
	d.apply(root, set)
	var job Job
	d.assign("", root, reflect.ValueOf(&job).Elem())
	return &job, d, nil
}

// syntaxMessage describes a JSON syntax error by line and column.
func syntaxMessage(data []byte, err error) string {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return "is not valid JSON: " + err.Error()
	}
	msg := se.Error()
	off := int(se.Offset) - 1 // Offset counts the offending byte
	if strings.Contains(msg, "end of JSON input") {
		msg = "the file ends before the JSON object is closed"
		off = len(bytes.TrimRight(data, " \t\r\n"))
	}
	off = max(0, min(off, len(data)))
	line, col := position(data, off)
	return fmt.Sprintf("JSON syntax error at line %d, column %d: %s", line, col, msg)
}

// position converts a byte offset into a 1-based line and column (in
// characters).
func position(data []byte, off int) (line, col int) {
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[start:]) + 1
}

// read reads one JSON value from dec, recording the line each value starts
// on and reporting repeated object keys.
func (d *decoder) read(dec *json.Decoder) (*node, error) {
	return d.readValue(dec, "")
}

func (d *decoder) lineAt(off int64) int {
	if int(off) > len(d.data) {
		off = int64(len(d.data))
	}
	line, _ := position(d.data, int(off))
	return line
}

func (d *decoder) readValue(dec *json.Decoder, path string) (*node, error) {
	// The line of the value: skip the whitespace, colon or comma before it.
	off := dec.InputOffset()
	for int(off) < len(d.data) && strings.IndexByte(" \t\r\n:,", d.data[off]) >= 0 {
		off++
	}
	line := d.lineAt(off)
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	n := &node{line: line}
	switch t := tok.(type) {
	case nil:
		n.kind = nullNode
	case string:
		n.kind, n.str = stringNode, t
	case json.Number:
		n.kind, n.str = numberNode, string(t)
	case bool:
		n.kind, n.b = boolNode, t
	case json.Delim:
		switch t {
		case '{':
			n.kind, n.vals = objectNode, map[string]*node{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				child, err := d.readValue(dec, join(path, k))
				if err != nil {
					return nil, err
				}
				if first, dup := n.vals[k]; dup {
					// The first one is kept and checked as usual.
					d.probs = append(d.probs, Problem{Key: join(path, k), Message: fmt.Sprintf("is given more than once (lines %d and %d); JSON readers disagree on which one counts", first.line, child.line),
						Fix: "keep exactly one " + strconv.Quote(k) + " in this object"})
					continue
				}
				n.keys = append(n.keys, k)
				n.vals[k] = child
			}
		case '[':
			n.kind = arrayNode
			for i := 0; dec.More(); i++ {
				child, err := d.readValue(dec, fmt.Sprintf("%s[%d]", path, i))
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, child)
			}
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
	}
	return n, nil
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// apply replaces string keys of the tree (command-line overrides), creating
// the objects on the way.
func (d *decoder) apply(root *node, set map[string]string) {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		parts := strings.Split(key, ".")
		n := root
		for i, p := range parts {
			if i == len(parts)-1 {
				if _, ok := n.vals[p]; !ok {
					n.keys = append(n.keys, p)
				}
				n.vals[p] = &node{kind: stringNode, str: set[key]}
				break
			}
			child, ok := n.vals[p]
			if !ok || child.kind == nullNode {
				child = &node{kind: objectNode, vals: map[string]*node{}}
				if !ok {
					n.keys = append(n.keys, p)
				}
				n.vals[p] = child
			}
			if child.kind != objectNode {
				d.add(strings.Join(parts[:i+1], "."), "must be a JSON object, got "+child.what(), "write it as {...}")
				break
			}
			n = child
		}
	}
}

var (
	secretType   = reflect.TypeOf(secret.Value{})
	durationType = reflect.TypeOf(Duration{})
)

// assign stores n into v (the field of key), reporting a type problem in
// the job file's words. A null leaves v as it is, like an absent key.
func (d *decoder) assign(key string, n *node, v reflect.Value) {
	if n.kind == nullNode {
		return
	}
	t := v.Type()
	want := describeType(t)
	wrong := func() {
		d.add(key, "must be "+want+", got "+n.what(), "write it as "+want)
	}
	switch {
	case t == secretType:
		if n.kind != stringNode {
			wrong()
			return
		}
		v.Set(reflect.ValueOf(secret.New(n.str)))
	case t == durationType:
		switch n.kind {
		case stringNode:
			dur, err := time.ParseDuration(strings.TrimSpace(n.str))
			if err != nil {
				d.add(key, fmt.Sprintf("%q is not a duration", n.str), `write it like "30s", "1m30s" or a number of seconds such as 30`)
				return
			}
			v.Set(reflect.ValueOf(Duration{dur}))
		case numberNode:
			f, err := strconv.ParseFloat(n.str, 64)
			if err != nil || math.IsInf(f*float64(time.Second), 0) || math.Abs(f) > float64(math.MaxInt64/int64(time.Second)) {
				d.add(key, "is too large a number of seconds", `write it like "30s"`)
				return
			}
			v.Set(reflect.ValueOf(Duration{time.Duration(f * float64(time.Second))}))
		default:
			wrong()
			return
		}
	case t.Kind() == reflect.Pointer:
		elem := reflect.New(t.Elem())
		before := len(d.probs)
		d.assign(key, n, elem.Elem())
		if t.Elem().Kind() == reflect.Struct {
			if n.kind == objectNode { // problems inside do not drop the object
				v.Set(elem)
			}
		} else if len(d.probs) == before {
			v.Set(elem)
		}
		return
	case t.Kind() == reflect.Struct:
		if n.kind != objectNode {
			wrong()
			return
		}
		d.object(key, n, v)
		if key != "" {
			d.present[key] = true
		}
		return
	case t.Kind() == reflect.String:
		if n.kind != stringNode {
			wrong()
			return
		}
		v.SetString(n.str)
	case t.Kind() == reflect.Bool:
		if n.kind != boolNode {
			wrong()
			return
		}
		v.SetBool(n.b)
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		if n.kind != numberNode {
			wrong()
			return
		}
		i, err := strconv.ParseInt(n.str, 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(n.str, 64)
			switch {
			case ferr == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53:
				i = int64(f) // 1e3
			case ferr == nil && f == math.Trunc(f), errors.Is(err, strconv.ErrRange):
				d.add(key, "is too large", "write a smaller whole number")
				return
			default:
				d.add(key, "must be a whole number, got "+n.str, "write it as a whole number")
				return
			}
		}
		if v.OverflowInt(i) {
			d.add(key, "is too large", "write a smaller whole number")
			return
		}
		v.SetInt(i)
	case t.Kind() == reflect.Float64:
		if n.kind != numberNode {
			wrong()
			return
		}
		f, err := strconv.ParseFloat(n.str, 64)
		if err != nil {
			d.add(key, "is too large", "write a smaller number")
			return
		}
		v.SetFloat(f)
	case t.Kind() == reflect.Slice:
		if n.kind != arrayNode {
			wrong()
			return
		}
		s := reflect.MakeSlice(t, len(n.items), len(n.items))
		for i, item := range n.items {
			d.assign(fmt.Sprintf("%s[%d]", key, i), item, s.Index(i))
		}
		v.Set(s)
	default:
		panic(fmt.Sprintf("config: no decoder for %s (%s)", key, t))
	}
	d.present[key] = true
}

// object assigns the keys of n to the fields of the struct v, reporting
// unknown keys.
func (d *decoder) object(prefix string, n *node, v reflect.Value) {
	fields := map[string]int{}
	var names []string
	for i := 0; i < v.NumField(); i++ {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields[name] = i
		names = append(names, name)
	}
	sort.Strings(names)
	for _, k := range n.keys {
		key := join(prefix, k)
		i, ok := fields[k]
		if !ok {
			fix := "remove it; known keys here are " + strings.Join(names, ", ")
			if s := closest(k, names); s != "" {
				fix = "did you mean " + join(prefix, s) + "? Known keys here are " + strings.Join(names, ", ")
			}
			d.add(key, "unknown key", fix)
			continue
		}
		d.assign(key, n.vals[k], v.Field(i))
	}
}

// describeType says what a key's value must be, in the job file's words.
func describeType(t reflect.Type) string {
	switch t {
	case secretType:
		return "a string"
	case durationType:
		return `a duration such as "30s" or a number of seconds`
	}
	switch t.Kind() {
	case reflect.Pointer:
		return describeType(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(describeType(t.Elem()), "a ") + "s, like [\"a\", \"b\"]"
	case reflect.Struct:
		return "a JSON object {...}"
	}
	return "a " + t.String()
}

func closest(k string, names []string) string {
	lk := strings.ToLower(k)
	for _, n := range names {
		ln := strings.ToLower(n)
		if ln == lk || strings.Contains(ln, lk) || strings.Contains(lk, ln) {
			return n
		}
	}
	return ""
}
