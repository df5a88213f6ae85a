package check

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Print writes the SCIM part: the directory, its version and auth, then
// the table of probes and a closing line that says what to do.
func (r *SCIMReport) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "SCIM directory:\t%s\n", r.Base)
	fmt.Fprintf(tw, "SCIM version:\t%s\n", map[int]string{1: "1.1", 2: "2.0"}[r.Version])
	fmt.Fprintf(tw, "SCIM auth:\t%s\n", r.Auth)
	_ = tw.Flush()
	fmt.Fprintln(w)
	var bad []string
	if len(r.Results) > 0 {
		bad = printResults(w, r.Results)
	}
	switch {
	case r.AuthErr != nil:
		fmt.Fprintf(w, "The SCIM directory refused the credential or could not be reached:\n  %s\n", strings.Join(strings.Fields(r.AuthErr.Error()), " "))
	case len(bad) == 0:
		fmt.Fprintln(w, "The SCIM directory can be read: a run can extract its users, groups and memberships.")
	default:
		fmt.Fprintf(w, "%d SCIM part(s) cannot be read: %s. Check the scim section of the job file (baseUrl or directoryId, the credential's access), then run check again.\n",
			len(bad), strings.Join(bad, ", "))
	}
}

// jsonSCIM is the JSON form of a SCIMReport.
type jsonSCIM struct {
	Base    string      `json:"base"`
	Version int         `json:"version"`
	Auth    string      `json:"auth"`
	OK      bool        `json:"ok"`
	Error   string      `json:"error,omitempty"`
	Probes  []jsonProbe `json:"probes"`
}

func (r *SCIMReport) json() *jsonSCIM {
	out := &jsonSCIM{Base: r.Base, Version: r.Version, Auth: string(r.Auth), OK: r.OK(), Probes: jsonProbes(r.Results)}
	if r.AuthErr != nil {
		out.Error = oneLine(r.AuthErr.Error())
	}
	return out
}
