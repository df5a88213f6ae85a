package jira

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// routeAudit is the audit log's route template.
const routeAudit = "GET /rest/api/3/auditing/record"

// AuditPageSize is the audit log's page cap.
const AuditPageSize = 1000

// AuditItem is an object of an audit record (the changed object or an
// associated one).
type AuditItem struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	TypeName   string `json:"typeName"`
	ParentID   string `json:"parentId"`
	ParentName string `json:"parentName"`
}

// AuditChange is one changed value of an audit record.
type AuditChange struct {
	FieldName   string `json:"fieldName"`
	ChangedFrom string `json:"changedFrom"`
	ChangedTo   string `json:"changedTo"`
}

// AuditRecord is one entry of Jira's audit log.
type AuditRecord struct {
	ID              int64         `json:"id"`
	Summary         string        `json:"summary"`
	Created         string        `json:"created"`
	Category        string        `json:"category"`
	EventSource     string        `json:"eventSource"`
	ObjectItem      AuditItem     `json:"objectItem"`
	ChangedValues   []AuditChange `json:"changedValues"`
	AssociatedItems []AuditItem   `json:"associatedItems"`
}

// AuditPage is one page of the audit log: newest first. Total is the
// log's count when the server gives one (TotalKnown); a server may leave
// it out, and then only an empty page ends the log (More).
type AuditPage struct {
	Offset     int           `json:"offset"`
	Limit      int           `json:"limit"`
	Total      int           `json:"total"`
	TotalKnown bool          `json:"-"`
	Records    []AuditRecord `json:"records"`
}

// auditAnswer is the audit log's answer as sent: total may be missing,
// records may not.
type auditAnswer struct {
	Offset  int           `json:"offset"`
	Limit   int           `json:"limit"`
	Total   *int          `json:"total"`
	Records []AuditRecord `json:"records"`
}

// check refuses an answer without its records list (missing or null): a
// malformed body, retried like any other.
func (a *auditAnswer) check() error {
	if a.Records == nil {
		return errors.New(`the audit answer has no "records" list (missing or null)`)
	}
	return nil
}

// page turns the answer into an AuditPage.
func (a *auditAnswer) page() AuditPage {
	p := AuditPage{Offset: a.Offset, Limit: a.Limit, Records: a.Records}
	if a.Total != nil {
		p.Total, p.TotalKnown = *a.Total, true
	}
	return p
}

// More reports whether records may follow this page, for a caller whose
// next offset is next: not after an empty page, nor once next reaches a
// known total.
func (p AuditPage) More(next int) bool {
	return len(p.Records) > 0 && (!p.TotalKnown || next < p.Total)
}

// AuditRecords reads one page of the audit log of records created from
// from on (to: zero means now). It needs Administer Jira: a 403 (IsForbidden)
// means the log cannot be read.
func (c *Client) AuditRecords(ctx context.Context, from, to time.Time, offset, limit int) (AuditPage, error) {
	q := url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(limit)},
		"from": {from.UTC().Format("2006-01-02T15:04:05.000-0700")}}
	if !to.IsZero() {
		q.Set("to", to.UTC().Format("2006-01-02T15:04:05.000-0700"))
	}
	a, err := getJSON[auditAnswer](ctx, c, c.jiraCall(routeAudit, "/rest/api/3/auditing/record", q))
	if err != nil {
		return AuditPage{}, fmt.Errorf("read audit records: %w", err)
	}
	return a.page(), nil
}
