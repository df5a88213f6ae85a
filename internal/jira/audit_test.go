package jira

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestAuditPageWithoutRecordsIsMalformed: an answer with no records list
// is a malformed body: retried, then an error, never an empty log.
func TestAuditPageWithoutRecordsIsMalformed(t *testing.T) {
	srv, rec := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, map[string]any{"offset": 0, "limit": 1000, "total": 0})
	})
	c := newClient(t, srv.URL, clientOpts{retries: 2})
	_, err := c.AuditRecords(context.Background(), time.Unix(0, 0), time.Time{}, 0, AuditPageSize)
	if err == nil || len(rec.all()) < 2 {
		t.Fatalf("a page without records: err %v after %d requests; want an error after retries", err, len(rec.all()))
	}
}

// TestAuditPagingWithoutTotalRunsToAnEmptyPage: a log that leaves total
// out is read until an empty page, the way its callers page (offset +=
// records while More).
func TestAuditPagingWithoutTotalRunsToAnEmptyPage(t *testing.T) {
	const all = 7
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		recs := []map[string]any{}
		for i := off; i < min(all, off+3); i++ { // the server pages by 3 whatever the limit
			recs = append(recs, map[string]any{"id": i, "summary": "User added to group"})
		}
		writeJSON(w, 200, map[string]any{"offset": off, "limit": 3, "records": recs})
	})
	c := newClient(t, srv.URL, clientOpts{})
	got := 0
	for offset := 0; ; {
		p, err := c.AuditRecords(context.Background(), time.Unix(0, 0), time.Time{}, offset, AuditPageSize)
		if err != nil {
			t.Fatal(err)
		}
		if p.TotalKnown {
			t.Fatalf("total reported known: %+v", p)
		}
		got += len(p.Records)
		offset += len(p.Records)
		if !p.More(offset) {
			break
		}
	}
	if got != all {
		t.Fatalf("read %d records, the log holds %d", got, all)
	}
}
