package pluginserver

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/govextract/jira-extractor/internal/location"
)

func TestManifestLocation(t *testing.T) {
	if got := manifestLocation(location.MustParse("s3://bkt/p/R")); got != "s3://bkt/p/R/manifest.json" {
		t.Errorf("manifestLocation = %q", got)
	}
	if got := manifestLocation(location.MustParse("/data/R")); got != "/data/R/manifest.json" {
		t.Errorf("manifestLocation = %q", got)
	}
}

func TestWithDestination(t *testing.T) {
	b, err := withDestination([]byte(`{"appConfig":{"siteName":"a"},"output":{"format":"csv","destination":"x"}}`), "s3://b/p")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		AppConfig map[string]string
		Output    map[string]string
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if v.Output["destination"] != "s3://b/p" || v.Output["format"] != "csv" || v.AppConfig["siteName"] != "a" {
		t.Errorf("got %s", b)
	}
	if b, err := withDestination([]byte(`{}`), "d"); err != nil || !strings.Contains(string(b), `"destination":"d"`) {
		t.Errorf("no output section: %s, %v", b, err)
	}
	if _, err := withDestination([]byte(`[1]`), "d"); err == nil {
		t.Error("array accepted")
	}
	if _, err := withDestination([]byte(`{"output":3}`), "d"); err == nil {
		t.Error("non-object output accepted")
	}
}
