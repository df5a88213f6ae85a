package config

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestFullExampleHasEveryKey: testdata/jobs/full.json, the README's example
// "with every key", holds every documented key but those one valid job
// cannot hold together with the others: the alias orgName, the Atlassian
// directoryId (beside scim.baseUrl), the other SCIM auth modes' keys, and
// the secret files (which must exist).
func TestFullExampleHasEveryKey(t *testing.T) {
	b, err := os.ReadFile("../../testdata/jobs/full.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, k := range Keys {
		if k.Key == "appConfig.orgName" || k.Key == "scim.directoryId" || strings.HasSuffix(k.Key, "File") ||
			(strings.HasPrefix(k.Key, "scim.auth.") && k.Key != "scim.auth.type" && k.Key != "scim.auth.token") {
			continue
		}
		var cur any = doc
		for _, part := range strings.Split(k.Key, ".") {
			m, _ := cur.(map[string]any)
			cur = m[part]
		}
		if cur == nil {
			missing = append(missing, k.Key)
		}
	}
	if len(missing) > 0 {
		t.Errorf("testdata/jobs/full.json lacks %s", strings.Join(missing, ", "))
	}
}
