package pluginserver

import (
	"encoding/json"

	"github.com/govextract/jira-extractor/internal/config"
)

// jobSchema is the job file's JSON Schema as JSON text; nil if it cannot be
// encoded (it always can: it is plain maps, slices and strings).
func jobSchema() []byte {
	b, err := json.Marshal(config.JSONSchema())
	if err != nil {
		return nil
	}
	return b
}
