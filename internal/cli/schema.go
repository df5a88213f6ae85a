package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/govextract/jira-extractor/internal/applycmd"
	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/output"
)

type schemaFlags struct {
	*cmdFlags
	json     bool
	markdown bool
}

func newSchemaFlags() *schemaFlags {
	f := &schemaFlags{cmdFlags: newCmdFlags("schema", "schema [--json | --markdown]", `
Prints the job-file schema (every key with its type, default and meaning) and
the output schema (the folder and columns of each entity kind, of the
relation tables, of the change set of incremental runs and diff, and of
the actions table of apply runs). --json prints one JSON object: "jobFile" is the job file's
JSON Schema, "output" lists the tables and their columns.`,
		"jira-extractor schema\njira-extractor schema --json > jira-extractor.schema.json")}
	f.exits = "Exit codes:\n  0  printed\n  2  bad usage\n"
	f.fs.BoolVar(&f.json, "json", false, "print JSON: the job file's JSON Schema and the output tables")
	f.fs.BoolVar(&f.markdown, "markdown", false, "print the job-file keys as a Markdown table (for README.md)")
	return f
}

func cmdSchema(_ context.Context, args []string, env Env) int {
	f := newSchemaFlags()
	pos, code, done := f.parse(args, env)
	if done {
		return code
	}
	if code, done := f.noArgs(pos, env); done {
		return code
	}
	var err error
	switch {
	case f.json && f.markdown:
		return usageErr(env, "schema", "--json and --markdown cannot be used together")
	case f.json:
		err = writeSchemaJSON(env.Out)
	case f.markdown:
		err = writeKeysMarkdown(env.Out)
	default:
		err = writeSchemaText(env.Out)
	}
	if err != nil {
		fmt.Fprintf(env.Err, "%s schema: %v\n", Prog, err)
		return ExitFailed
	}
	return ExitOK
}

// outputColumn is one column in `schema --json`.
type outputColumn struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	ArrowType string `json:"arrowType"`
	Nullable  bool   `json:"nullable"`
	Doc       string `json:"doc"`
}

// outputTable is one table in `schema --json`.
type outputTable struct {
	Name    string         `json:"name"`
	Kind    string         `json:"kind"`
	Dir     string         `json:"dir"`
	Columns []outputColumn `json:"columns"`
}

// schemaTables are the tables `schema` describes: an extraction run's,
// its change set, and an apply run's actions.
func schemaTables() []output.TableSchema {
	return append(output.Schemas(), output.ChangeTableSchema(), applycmd.ActionsTableSchema())
}

func writeSchemaJSON(w io.Writer) error {
	var tables []outputTable
	for _, t := range schemaTables() {
		ot := outputTable{Name: t.Name, Kind: t.Kind, Dir: t.Dir}
		for _, c := range t.Columns {
			ot.Columns = append(ot.Columns, outputColumn{Name: c.Name, Type: string(c.Type), ArrowType: output.ArrowType(c.Type).String(), Nullable: c.Nullable, Doc: c.Doc})
		}
		tables = append(tables, ot)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"jobFile": config.JSONSchema(), "output": tables})
}

func writeSchemaText(w io.Writer) error {
	fmt.Fprintln(w, "Job file (JSON): every key, its type, default and meaning. Unknown keys are an error.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tTYPE\tDEFAULT\tMEANING")
	for _, k := range config.Keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.Key, keyType(k), keyDefault(k), keyMeaning(k))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return output.DescribeTables(w, schemaTables())
}

func writeKeysMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| key | type | default | meaning |\n|---|---|---|---|\n")
	for _, k := range config.Keys {
		def := keyDefault(k)
		if def != "" && !k.Required {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", k.Key, keyType(k), def, strings.ReplaceAll(keyMeaning(k), "|", "\\|"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func keyType(k config.KeyDoc) string {
	switch {
	case k.Type == "array":
		return "array of " + k.Items
	case k.Type == "duration":
		return "duration"
	}
	return k.Type
}

func keyDefault(k config.KeyDoc) string {
	switch {
	case k.Required:
		return "required"
	case k.Default == nil:
		return ""
	}
	b, err := json.Marshal(k.Default)
	if err != nil {
		return fmt.Sprint(k.Default)
	}
	return string(b)
}

func keyMeaning(k config.KeyDoc) string {
	s := k.Doc
	if len(k.Enum) > 0 {
		s += " (one of: " + strings.Join(k.Enum, ", ") + ")"
	}
	if k.Secret {
		s += "; secret: never printed or logged"
	}
	return s
}
