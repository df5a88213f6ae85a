package accesscmd

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/govextract/jira-extractor/internal/access"
	"github.com/govextract/jira-extractor/internal/termtext"
)

// line is the JSON form of a row.
type line struct {
	User       string `json:"user"`
	Project    string `json:"project"`
	ProjectKey string `json:"project_key"`
	Permission string `json:"permission,omitempty"`
	Role       string `json:"role,omitempty"`
	Via        string `json:"via"`
}

// writer prints rows as they come: a table grouped by path (who) or by
// project (what), JSON lines or CSV.
type writer struct {
	w      *bufio.Writer
	format string
	sub    string
	csv    *csv.Writer
	json   *json.Encoder
	group  string
	n, all int
	err    error
}

func newWriter(w io.Writer, format, sub string) *writer {
	a := &writer{w: bufio.NewWriterSize(w, 64<<10), format: format, sub: sub}
	switch format {
	case "json":
		a.json = json.NewEncoder(a.w)
		a.json.SetEscapeHTML(false)
	case "csv":
		a.csv = csv.NewWriter(a.w)
		header := []string{"user", "project", "project_key", "permission", "via"}
		if sub == What {
			header = []string{"user", "project", "project_key", "permission", "role", "via"}
		}
		a.err = a.csv.Write(header)
	}
	return a
}

func (a *writer) title(s string) {
	if a.format == "table" {
		fmt.Fprintln(a.w, s)
	}
}

func (a *writer) row(r access.Row) error {
	if a.err != nil {
		return a.err
	}
	a.all++
	switch a.format {
	case "json":
		a.err = a.json.Encode(line{User: r.User.AccountID, Project: r.ProjectID, ProjectKey: r.ProjectKey, Permission: r.Permission, Role: r.Role, Via: r.Via})
	case "csv":
		rec := []string{r.User.AccountID, r.ProjectID, r.ProjectKey, r.Permission, r.Via}
		if a.sub == What {
			rec = []string{r.User.AccountID, r.ProjectID, r.ProjectKey, r.Permission, r.Role, r.Via}
		}
		a.err = a.csv.Write(rec)
	default:
		a.tableRow(r)
	}
	return a.err
}

func (a *writer) tableRow(r access.Row) {
	key := "project " + r.ProjectKey + " (id " + r.ProjectID + ")"
	if a.sub == Who {
		key = r.Permission + " via " + r.Via
	}
	if key != a.group {
		a.endGroup()
		a.group = key
		if a.sub == Who && r.ViaName != "" {
			key += "  [" + clean(r.ViaName) + "]"
		}
		fmt.Fprintf(a.w, "\n%s\n", key)
	}
	a.n++
	if a.sub == Who {
		fmt.Fprintf(a.w, "  %-44s %s\n", r.User.AccountID, clean(describeUser(r.User)))
		return
	}
	what := "permission " + r.Permission
	if r.Role != "" {
		what = "role " + r.Role + " " + clean(quote(r.RoleName))
	}
	via := r.Via
	if r.ViaName != "" {
		via += "  [" + clean(r.ViaName) + "]"
	}
	fmt.Fprintf(a.w, "  %-44s via %s\n", what, via)
}

func (a *writer) endGroup() {
	if a.group != "" && a.sub == Who {
		fmt.Fprintf(a.w, "  (%d %s)\n", a.n, map[bool]string{true: "user", false: "users"}[a.n == 1])
	}
	a.n = 0
}

func (a *writer) close() error {
	if a.err != nil {
		return a.err
	}
	switch a.format {
	case "csv":
		a.csv.Flush()
		if err := a.csv.Error(); err != nil {
			return err
		}
	case "table":
		a.endGroup()
		if a.all == 0 && a.sub == Who {
			fmt.Fprintln(a.w, "\n(no one)")
		} else if a.all == 0 {
			fmt.Fprintln(a.w, "\n(nothing)")
		}
	}
	return a.w.Flush()
}

func describeUser(u access.UserInfo) string {
	parts := []string{fmt.Sprintf("%q", u.DisplayName)}
	if u.Email != "" {
		parts = append(parts, u.Email)
	}
	if !u.Active {
		parts = append(parts, "inactive")
	}
	return strings.Join(parts, ", ")
}

func quote(s string) string { return strconv.Quote(s) }

var clean = termtext.Clean
