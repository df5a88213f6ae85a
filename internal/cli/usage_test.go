package cli

import (
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/internal/model"
)

const goodToken = "me@example.com:ATATT-good-token-value"

func goodJob() map[string]any {
	return map[string]any{
		"appConfig": map[string]any{"token": goodToken, "siteName": "acme"},
		"output":    map[string]any{"destination": "./out"},
	}
}

func TestBadJobFilesExit2NamingKeyAndFix(t *testing.T) {
	cases := []struct {
		name    string
		mutate  func(m map[string]any)
		raw     string
		key     string
		message string
	}{
		{name: "unknown key", mutate: func(m map[string]any) { m["appConfig"].(map[string]any)["sitename"] = "x" }, key: "appConfig.sitename", message: "unknown key"},
		{name: "missing token", mutate: func(m map[string]any) { delete(m["appConfig"].(map[string]any), "token") }, key: "appConfig.token", message: "missing"},
		{name: "missing siteName", mutate: func(m map[string]any) { delete(m["appConfig"].(map[string]any), "siteName") }, key: "appConfig.siteName", message: "missing"},
		{name: "token without colon", mutate: func(m map[string]any) { m["appConfig"].(map[string]any)["token"] = "ATATT-no-colon-secret" }, key: "appConfig.token", message: "no colon"},
		{name: "siteName not a DNS label", mutate: func(m map[string]any) { m["appConfig"].(map[string]any)["siteName"] = "evil.com/x?" }, key: "appConfig.siteName", message: "not a DNS label"},
		{name: "not JSON", raw: `{"appConfig": `, key: "(file)", message: "JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			var path string
			if c.raw != "" {
				path = writeJob(t, dir, c.raw)
			} else {
				j := goodJob()
				c.mutate(j)
				path = writeJob(t, dir, j)
			}
			for _, cmd := range []string{"run", "check", "dry-run"} {
				r := runBin(t, dir, cmd, "--config", path)
				if r.code != ExitUsage {
					t.Fatalf("%s: want exit 2\n%s", cmd, r)
				}
				if !strings.Contains(r.stderr, c.key+": ") || !strings.Contains(r.stderr, c.message) || !strings.Contains(r.stderr, "fix: ") {
					t.Fatalf("%s: stderr does not name key %q, message %q and a fix\n%s", cmd, c.key, c.message, r)
				}
				if out := r.stderr + r.stdout; strings.Contains(out, "good-token-value") || strings.Contains(out, "no-colon-secret") {
					t.Fatalf("%s: token printed\n%s", cmd, r)
				}
			}
		})
	}
}

func TestEveryProblemIsPrinted(t *testing.T) {
	dir := t.TempDir()
	path := writeJob(t, dir, `{"appConfig":{"siteName":"Not A Label","bogus":1},"output":{"format":"xml"},"extra":true}`)
	r := runBin(t, dir, "run", "--config", path)
	if r.code != ExitUsage {
		t.Fatalf("want exit 2\n%s", r)
	}
	for _, key := range []string{"appConfig.bogus", "extra"} {
		if !strings.Contains(r.stderr, key+": unknown key") {
			t.Errorf("stderr lacks %s\n%s", key, r)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	job := writeJob(t, dir, goodJob())
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "--config JOB.json is required"},
		{[]string{"check"}, "--config JOB.json is required"},
		{[]string{"dry-run"}, "--config JOB.json is required"},
		{[]string{"run", "--config", job, "--bogus"}, "unknown flag --bogus\n"},
		{[]string{"check", "--nope=1", "--config", job}, "unknown flag --nope\n"},
		{[]string{"dry-run", "-single", "--config", job}, "unknown flag -single\n"},
		{[]string{"run", "--config"}, "flag needs an argument: --config"},
		{[]string{"check", "--config", job, "--format", "yaml"}, `--format "yaml": want text or json`},
		{[]string{"run", "--config", job, "--format", "xml"}, "output.format (--format on the command line): unknown format"},
		{[]string{"run", "--config", job, "--log-level", "loud"}, `unknown log level "loud"`},
		{[]string{"run", "--config", job, "--log-format", "xml"}, `unknown log format "xml"`},
		{[]string{"run", "--config", job, "stray"}, `unexpected argument "stray"`},
		{[]string{"run", "--config", dir + "/missing.json"}, "--config: cannot read job file"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"--frob"}, "unknown flag --frob"},
		{[]string{"verify"}, "exactly one run folder"},
		{[]string{"schema", "--json", "--markdown"}, "cannot be used together"},
		{[]string{"help", "nope"}, `unknown command "nope"`},
		{nil, "Usage:"},
	}
	for _, c := range cases {
		r := runBin(t, dir, c.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: want exit 2 and %q\n%s", c.args, c.want, r)
		}
	}
}

func TestInsecureNeedsFlag(t *testing.T) {
	dir := t.TempDir()
	j := goodJob()
	j["appConfig"].(map[string]any)["insecureSkipVerify"] = true
	job := writeJob(t, dir, j)
	r := runBin(t, dir, "check", "--config", job)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--allow-insecure") {
		t.Fatalf("insecureSkipVerify accepted without --allow-insecure\n%s", r)
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	r := runBin(t, "", "--help")
	if r.code != 0 {
		t.Fatalf("--help\n%s", r)
	}
	for _, c := range commands() {
		if !strings.Contains(r.stdout, "  "+c.name+" ") {
			t.Errorf("main help lacks command %s\n%s", c.name, r.stdout)
		}
	}
	for _, want := range []string{"Exit codes:", "3  partial", "Example:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("main help lacks %q", want)
		}
	}
	for _, c := range commands() {
		for _, args := range [][]string{{c.name, "--help"}, {"help", c.name}, {c.name, "-h"}} {
			r := runBin(t, "", args...)
			if r.code != 0 {
				t.Fatalf("%v: want exit 0\n%s", args, r)
			}
			if c.flags == nil { // upload: its own help
				if !strings.Contains(r.stdout+r.stderr, "--from") {
					t.Errorf("%v: help lacks --from\n%s", args, r)
				}
				continue
			}
			for _, want := range []string{"Usage:", "Exit codes:", "Example:", "jira-extractor " + c.name} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("%v: help lacks %q\n%s", args, want, r.stdout)
				}
			}
			c.flags().fs.VisitAll(func(f *flag.Flag) {
				if !strings.Contains(r.stdout, "--"+f.Name+" ") {
					t.Errorf("%v: help lacks --%s\n%s", args, f.Name, r.stdout)
				}
			})
		}
	}
}

func TestRunHelpNamesEveryDocumentedFlag(t *testing.T) {
	r := runBin(t, "", "run", "--help")
	for _, f := range []string{"--config", "--out", "--format", "--allow-insecure", "--log-level", "--log-format", "--no-progress"} {
		if !strings.Contains(r.stdout, f) {
			t.Errorf("run --help lacks %s", f)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := runBin(t, "", args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "jira-extractor ") || !strings.Contains(r.stdout, "go1.") {
			t.Errorf("%v\n%s", args, r)
		}
	}
	if r := runBin(t, "", "version", "extra"); r.code != ExitUsage {
		t.Errorf("version extra\n%s", r)
	}
}

func TestSchemaText(t *testing.T) {
	r := runBin(t, "", "schema")
	if r.code != 0 {
		t.Fatal(r)
	}
	for _, k := range config.Keys {
		if !strings.Contains(r.stdout, k.Key+" ") {
			t.Errorf("schema lacks key %s", k.Key)
		}
	}
	for _, kind := range model.SourceTypes {
		if !strings.Contains(r.stdout, "source_type="+string(kind)) {
			t.Errorf("schema lacks entity kind %s", kind)
		}
		for _, c := range model.EntityColumns(kind) {
			if !strings.Contains(r.stdout, c.Name) {
				t.Errorf("schema lacks column %s of %s", c.Name, kind)
			}
		}
	}
	for _, rel := range model.RelationKinds {
		if !strings.Contains(r.stdout, "relation="+string(rel)) {
			t.Errorf("schema lacks relation kind %s", rel)
		}
	}
	for _, c := range model.RelationColumns {
		if !strings.Contains(r.stdout, c.Name) {
			t.Errorf("schema lacks relation column %s", c.Name)
		}
	}
	for _, tb := range []string{"change changes  (changes/", "action actions  (actions/", "ticket_key", "before"} {
		if !strings.Contains(r.stdout, tb) {
			t.Errorf("schema lacks %q", tb)
		}
	}
	if !strings.Contains(r.stdout, "100") || !strings.Contains(r.stdout, `"30s"`) {
		t.Errorf("schema lacks defaults\n%s", r.stdout)
	}
}

func TestSchemaJSON(t *testing.T) {
	r := runBin(t, "", "schema", "--json")
	if r.code != 0 {
		t.Fatal(r)
	}
	var s struct {
		JobFile struct {
			Properties map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"properties"`
		} `json:"jobFile"`
		Output []outputTable `json:"output"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	for _, k := range config.Keys {
		parts := strings.Split(k.Key, ".")
		if len(parts) != 2 {
			continue
		}
		if _, ok := s.JobFile.Properties[parts[0]].Properties[parts[1]]; !ok {
			t.Errorf("JSON Schema lacks %s", k.Key)
		}
	}
	kinds := map[string]outputTable{}
	for _, tb := range s.Output {
		kinds[tb.Name] = tb
	}
	for _, kind := range model.SourceTypes {
		tb, ok := kinds[string(kind)]
		if !ok || len(tb.Columns) != len(model.EntityColumns(kind)) || tb.Kind != "entity" {
			t.Errorf("output schema of %s: %+v", kind, tb)
		}
	}
	if tb := kinds["member_of"]; len(tb.Columns) != len(model.RelationColumns) {
		t.Errorf("member_of: %+v", tb)
	}
	// The change set and an apply run's actions table, with their columns
	// in file order.
	for name, want := range map[string]string{
		"changes": "change,record,kind,source_id,from_type,from_id,to_type,to_id,before,after",
		"actions": "id,op,relation,entity,from_type,from_id,to_type,to_id,status,http_status,message,ticket_key,attempts,started_at,finished_at",
	} {
		var got []string
		for _, c := range kinds[name].Columns {
			got = append(got, c.Name)
		}
		if strings.Join(got, ",") != want || kinds[name].Dir != name {
			t.Errorf("schema table %s: dir %q columns %v, want %s", name, kinds[name].Dir, got, want)
		}
	}
	md := runBin(t, "", "schema", "--markdown")
	if md.code != 0 || !strings.Contains(md.stdout, "| `appConfig.requestsPerSecond` | number | `100` |") {
		t.Errorf("markdown\n%s", md)
	}
}
