package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/govextract/jira-extractor/plugin/host"
)

const describeHelp = `Usage: extraction-runner describe --plugin PATH [--json] [flags]

Starts the plugin and prints what its Describe call returns: name, version,
protocol version, entity kinds, relation kinds and the job-file JSON Schema.

Flags:
`

func describeCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("describe", flag.ContinueOnError)
	var pf pluginFlags
	pf.register(fs)
	asJSON := fs.Bool("json", false, "print the description as one JSON object")
	if err := parseFlags(fs, args, describeHelp, stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitComplete
		}
		printUsageError(stderr, "describe", err)
		return exitUsage
	}
	if err := pf.check(); err != nil {
		printUsageError(stderr, "describe", err)
		return exitUsage
	}
	h, err := host.Start(pf.hostConfig(stderr))
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return exitFailed
	}
	defer h.Kill()
	d, err := h.Describe(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return exitFailed
	}
	schema := json.RawMessage(d.GetJobSchemaJson())
	if len(schema) == 0 || !json.Valid(schema) {
		schema = json.RawMessage("null")
	}
	if *asJSON {
		out := map[string]any{
			"name":             d.GetName(),
			"version":          d.GetVersion(),
			"protocol_version": d.GetProtocolVersion(),
			"entity_kinds":     d.GetEntityKinds(),
			"relation_kinds":   d.GetRelationKinds(),
			"job_schema":       schema,
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "error: write description: %v\n", err)
			return exitFailed
		}
		return exitComplete
	}
	fmt.Fprintf(stdout, "name:             %s\n", d.GetName())
	fmt.Fprintf(stdout, "version:          %s\n", d.GetVersion())
	fmt.Fprintf(stdout, "protocol version: %d\n", d.GetProtocolVersion())
	fmt.Fprintf(stdout, "entity kinds:     %s\n", strings.Join(d.GetEntityKinds(), ", "))
	fmt.Fprintf(stdout, "relation kinds:   %s\n", strings.Join(d.GetRelationKinds(), ", "))
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, schema, "", "  "); err != nil {
		pretty.Reset()
		pretty.Write(schema)
	}
	fmt.Fprintf(stdout, "job file JSON Schema:\n%s\n", pretty.String())
	return exitComplete
}
