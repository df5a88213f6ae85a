package check

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/govextract/jira-extractor/internal/jira"
)

// Print writes the report: site, token kind, account, then an aligned table
// with one row per kind, and a closing line that says what to do; then
// the SCIM directory's part, when the job has one.
func (r *Report) Print(w io.Writer) {
	if !r.SCIMOnly {
		r.printJira(w)
	}
	if r.SCIM != nil {
		if !r.SCIMOnly {
			fmt.Fprintln(w)
		}
		r.SCIM.Print(w)
	}
}

func (r *Report) printJira(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Site:\t%s\n", r.Site)
	if r.AuthErr != nil {
		_ = tw.Flush()
		// Whole: the message says what to fix, and its server part is
		// already bounded by the client.
		fmt.Fprintf(w, "\nThe credentials were refused or the site could not be reached:\n  %s\n", strings.Join(strings.Fields(r.AuthErr.Error()), " "))
		return
	}
	id := r.Identity
	switch id.Kind {
	case jira.Scoped:
		fmt.Fprintf(tw, "Token:\tscoped API token (through the gateway, cloudId %s)\n", id.CloudID)
	default:
		fmt.Fprintf(tw, "Token:\tunscoped (classic) API token\n")
	}
	fmt.Fprintf(tw, "Account:\t%s\n", account(id.Myself))
	_ = tw.Flush()
	fmt.Fprintln(w)

	bad := printResults(w, r.Results)
	if len(bad) == 0 {
		fmt.Fprintln(w, "Every kind can be read: a run can extract this site.")
		return
	}
	fmt.Fprintf(w, "%d kind(s) cannot be read: %s.\n", len(bad), strings.Join(bad, ", "))
	switch r.Identity.Kind {
	case jira.Scoped:
		fmt.Fprintln(w, "Grant the token the scopes named above (a scoped token needs read:jira-user, read:jira-work and manage:jira-configuration), or the account the Jira permissions, then run check again.")
	default:
		fmt.Fprintln(w, "Grant the account the Jira permissions named above (global permissions in Jira settings > System > Global permissions; Browse projects in the projects' permission schemes), then run check again.")
	}
}

func account(m jira.Myself) string {
	var b strings.Builder
	b.WriteString(m.DisplayName)
	if m.EmailAddress != "" {
		fmt.Fprintf(&b, " <%s>", m.EmailAddress)
	}
	if m.AccountID != "" {
		fmt.Fprintf(&b, " (accountId %s)", m.AccountID)
	}
	if b.Len() == 0 {
		return "(unknown)"
	}
	return strings.TrimSpace(b.String())
}

// oneLine keeps a message on one line for the table.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}

// jsonReport is the JSON form of a Report.
type jsonReport struct {
	Site      string       `json:"site"`
	OK        bool         `json:"ok"`
	TokenKind string       `json:"token_kind"`
	CloudID   string       `json:"cloud_id,omitempty"`
	Account   *jsonAccount `json:"account,omitempty"`
	Error     string       `json:"error,omitempty"`
	Probes    []jsonProbe  `json:"probes"`
	SCIM      *jsonSCIM    `json:"scim,omitempty"`
}

type jsonAccount struct {
	AccountID   string `json:"account_id"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email,omitempty"`
}

type jsonProbe struct {
	Kind     string `json:"kind"`
	Endpoint string `json:"endpoint"`
	Result   State  `json:"result"`
	Missing  string `json:"missing"`
	Detail   string `json:"detail"`
}

// WriteJSON writes the report as one JSON document: the site, whether
// everything is readable, the token kind and account, and each probe with
// its result ("ok", "denied", "empty", "error", "skipped"), the permission
// or scope missing and the server's answer. token_kind is empty and error
// set when the credentials were refused.
func (r *Report) WriteJSON(w io.Writer) error {
	out := jsonReport{Site: r.Site, OK: r.OK(), Probes: []jsonProbe{}}
	switch {
	case r.SCIMOnly:
	case r.AuthErr != nil:
		out.Error = oneLine(r.AuthErr.Error())
	default:
		id := r.Identity
		out.TokenKind, out.CloudID = string(id.Kind), id.CloudID
		out.Account = &jsonAccount{AccountID: id.Myself.AccountID, DisplayName: id.Myself.DisplayName, Email: id.Myself.EmailAddress}
	}
	out.Probes = jsonProbes(r.Results)
	if r.SCIM != nil {
		out.SCIM = r.SCIM.json()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write the check report: %w", err)
	}
	return nil
}

func jsonProbes(rs []Result) []jsonProbe {
	out := []jsonProbe{}
	for _, res := range rs {
		out = append(out, jsonProbe{Kind: res.Kind, Endpoint: res.Endpoint, Result: res.State, Missing: res.Missing, Detail: oneLine(res.Detail)})
	}
	return out
}

// printResults writes the aligned table of results, then a blank line,
// and returns the kinds that cannot be read.
func printResults(w io.Writer, rs []Result) (bad []string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tREQUEST\tRESULT\tMISSING\tDETAIL")
	for _, res := range rs {
		missing := res.Missing
		if missing == "" {
			missing = "-"
		}
		detail := res.Detail
		if detail == "" {
			detail = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", res.Kind, res.Endpoint, strings.ToUpper(string(res.State)), missing, oneLine(detail))
		if !res.Readable() && res.State != Skipped {
			bad = append(bad, res.Kind)
		}
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
	return bad
}
