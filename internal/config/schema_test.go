package config

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/secret"
)

// jobKeys walks the Job struct and returns every dotted JSON key.
func jobKeys(prefix string, t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		key := prefix + name
		out = append(out, key)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeOf(secret.Value{}) && ft != reflect.TypeOf(Duration{}) {
			out = append(out, jobKeys(key+".", ft)...)
		}
	}
	return out
}

func TestKeysDocumentEveryJobKey(t *testing.T) {
	want := jobKeys("", reflect.TypeOf(Job{}))
	var got []string
	for _, k := range Keys {
		got = append(got, k.Key)
		if k.Doc == "" {
			t.Errorf("%s has no doc", k.Key)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Keys and the Job struct differ:\n keys:   %v\n struct: %v", got, want)
	}
}

func TestJSONSchemaShape(t *testing.T) {
	b, err := json.Marshal(JSONSchema())
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Required   []string `json:"required"`
		AnyOf      []any    `json:"anyOf"`
		Properties map[string]struct {
			Required   []string                   `json:"required"`
			OneOf      []any                      `json:"oneOf"`
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Required) != 0 || len(s.AnyOf) != 2 { // appConfig, scim or both
		t.Errorf("root required = %v, anyOf = %v", s.Required, s.AnyOf)
	}
	app := s.Properties["appConfig"]
	if len(app.Required) != 0 || len(app.OneOf) != 2 { // credentials may come from the environment
		t.Errorf("appConfig required=%v oneOf=%v", app.Required, app.OneOf)
	}
	var rps struct {
		Default float64 `json:"default"`
		Type    string  `json:"type"`
	}
	if err := json.Unmarshal(app.Properties["requestsPerSecond"], &rps); err != nil || rps.Default != DefaultRequestsPerSecond || rps.Type != "number" {
		t.Errorf("requestsPerSecond = %+v %v", rps, err)
	}
	if _, ok := s.Properties["output"].Properties["s3"]; !ok {
		t.Error("output.s3 missing")
	}
	if !strings.Contains(string(b), `"permission_scheme"`) || !strings.Contains(string(b), `"writeOnly":true`) {
		t.Error("entity kind enum or secret marker missing")
	}
}

// A minimal job file is valid; every default named in Keys is what
// validation fills in.
func TestKeyDefaultsMatchValidation(t *testing.T) {
	job, err := parse(`{"appConfig":{"token":"a@b.example:t0ken-long","siteName":"acme"},"output":{}}`)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(job)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, k := range Keys {
		if k.Default == nil || k.Type == "boolean" || strings.HasPrefix(k.Key, "scim.") {
			continue
		}
		parts := strings.Split(k.Key, ".")
		var v any = m
		for _, p := range parts {
			obj, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = obj[p]
		}
		if v == nil && strings.HasPrefix(k.Key, "tickets.") {
			continue // under an optional object the minimal job leaves out
		}
		want, _ := json.Marshal(k.Default)
		got, _ := json.Marshal(v)
		if k.Key == "appConfig.maxRetries" {
			if job.AppConfig.Retries() != k.Default {
				t.Errorf("maxRetries default %d, doc %v", job.AppConfig.Retries(), k.Default)
			}
			continue
		}
		if string(want) != string(got) {
			t.Errorf("%s: validation fills %s, Keys says %s", k.Key, got, want)
		}
	}
}

// Parse applies the defaults of Keys itself: change one in the table and
// the parsed job follows.
func TestDefaultsComeFromKeys(t *testing.T) {
	for i := range Keys {
		if Keys[i].Key != "appConfig.burst" {
			continue
		}
		saved := Keys[i].Default
		Keys[i].Default = 7
		defer func() { Keys[i].Default = saved }()
	}
	job, err := parse(validJob)
	if err != nil {
		t.Fatal(err)
	}
	if job.AppConfig.Burst != 7 {
		t.Fatalf("burst %d: the default does not come from Keys", job.AppConfig.Burst)
	}
}
