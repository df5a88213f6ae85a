package sim

import (
	"encoding/json"
	"net/http"
	"strconv"
)

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// hSimStats: GET /_sim/stats → Stats as JSON.
func (s *Server) hSimStats(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.Stats()) }

// hSimTruth: GET /_sim/truth[?org=true][&format=jsonl] → {"entities":[...],
// "relations":[...]} (or JSON lines).
func (s *Server) hSimTruth(w http.ResponseWriter, r *http.Request) {
	org, _ := strconv.ParseBool(r.URL.Query().Get("org"))
	t := s.Truth(TruthOptions{Org: org})
	if r.URL.Query().Get("format") == "jsonl" {
		w.Header().Set("Content-Type", "application/x-ndjson")
		_ = t.WriteJSONL(w)
		return
	}
	var out struct {
		Entities  []any `json:"entities"`
		Relations []any `json:"relations"`
	}
	out.Entities, out.Relations = []any{}, []any{}
	for _, l := range t.Lines() {
		if _, ok := l.(EntityLine); ok {
			out.Entities = append(out.Entities, l)
		} else {
			out.Relations = append(out.Relations, l)
		}
	}
	writeJSON(w, out)
}

// hSimFaults: POST /_sim/faults with a Faults JSON body replaces the faults.
func (s *Server) hSimFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
		http.Error(w, "bad faults JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.SetFaults(f)
	writeJSON(w, f)
}

// hSimRateLimit: POST /_sim/ratelimit with a RateLimit JSON body.
func (s *Server) hSimRateLimit(w http.ResponseWriter, r *http.Request) {
	var rl RateLimit
	if err := json.NewDecoder(r.Body).Decode(&rl); err != nil {
		http.Error(w, "bad rate limit JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.SetRateLimit(rl)
	writeJSON(w, rl)
}

// hSimResetStats: POST /_sim/reset-stats.
func (s *Server) hSimResetStats(w http.ResponseWriter, r *http.Request) {
	s.ResetStats()
	w.WriteHeader(http.StatusNoContent)
}

// hSimTransition: POST /_sim/issues/{key}/transition {"status":"Done"} (a
// status name or a category key) moves an issue.
func (s *Server) hSimTransition(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, "bad transition JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := s.TransitionIssue(r.PathValue("issueIdOrKey"), body.Status); err != nil {
		http.Error(w, "transition: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// hSimRequiredFields: POST /_sim/issue-required-fields {"KEY":["customfield_10200"]}
// sets the required custom fields of each project named.
func (s *Server) hSimRequiredFields(w http.ResponseWriter, r *http.Request) {
	var body map[string][]string
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, "bad required fields JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	for k, v := range body {
		s.SetRequiredIssueFields(k, v...)
	}
	writeJSON(w, body)
}
