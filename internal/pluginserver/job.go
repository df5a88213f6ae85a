package pluginserver

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/govextract/jira-extractor/internal/config"
	"github.com/govextract/jira-extractor/plugin/extractorv1"
)

// parseJob applies the host's overrides to the job file and validates it.
// A --out override replaces output.destination before validation, and its
// problems are reported under the key "--out".
func parseJob(j *extractorv1.Job) (*config.Job, error) {
	if j == nil || len(j.GetJobJson()) == 0 {
		return nil, &config.InvalidError{Problems: []config.Problem{{Key: "(file)", Message: "the request carries no job file", Fix: "pass the job file's JSON"}}}
	}
	data := j.GetJobJson()
	out := j.GetOverrides().GetOutputDestination()
	if out != "" {
		var err error
		if data, err = withDestination(data, out); err != nil {
			// Not a JSON object: let Parse report it.
			data = j.GetJobJson()
		}
	}
	job, err := config.Parse(data, config.Options{AllowInsecure: j.GetOverrides().GetAllowInsecure()})
	var ie *config.InvalidError
	if out != "" && errors.As(err, &ie) {
		for i := range ie.Problems {
			if ie.Problems[i].Key == "output.destination" {
				ie.Problems[i].Key = "--out"
			}
		}
	}
	return job, err
}

// withDestination sets output.destination in a job file's JSON.
func withDestination(data []byte, dest string) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		return nil, fmt.Errorf("job file is not a JSON object")
	}
	out := map[string]json.RawMessage{}
	if raw, ok := top["output"]; ok {
		if err := json.Unmarshal(raw, &out); err != nil || out == nil {
			return nil, fmt.Errorf("output is not a JSON object")
		}
	}
	d, err := json.Marshal(dest)
	if err != nil {
		return nil, fmt.Errorf("encode destination: %w", err)
	}
	out["destination"] = d
	if top["output"], err = json.Marshal(out); err != nil {
		return nil, fmt.Errorf("encode output: %w", err)
	}
	return json.Marshal(top)
}

// problemsToProto converts a validation error's problems; a non-validation
// error becomes one problem under "(job)".
func problemsToProto(err error) []*extractorv1.Problem {
	var ie *config.InvalidError
	if !errors.As(err, &ie) {
		return []*extractorv1.Problem{{Key: "(job)", Message: err.Error()}}
	}
	out := make([]*extractorv1.Problem, len(ie.Problems))
	for i, p := range ie.Problems {
		out[i] = &extractorv1.Problem{Key: p.Key, Message: p.Message, Fix: p.Fix}
	}
	return out
}
