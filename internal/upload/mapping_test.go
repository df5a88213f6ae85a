package upload

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/internal/model"
)

func TestEntityRecordMergesColumnsAndMetadata(t *testing.T) {
	t.Parallel()
	u := model.NewUser(model.UserRecord{AccountID: "a1", AccountType: "atlassian", DisplayName: "Ann", Active: true, Email: "ann@example.com",
		LastActive: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)})
	u.Metadata = `{"extra":"x","email":"overridden by the column"}`
	rec, err := EntityRecord("acme", u)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"acme", "Ann", "identity", "jira", "a1", "user", "1"}
	if got := rec[:7]; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("columns = %q, want %q", got, want)
	}
	m := decodeJSON(t, rec[7])
	if m["email"] != "ann@example.com" || m["extra"] != "x" || m["active"] != true || m["account_type"] != "atlassian" || m["last_active"] != "2025-01-02T03:04:05Z" {
		t.Fatalf("metadata = %v", m)
	}
	if _, ok := m["time_zone"]; ok {
		t.Fatalf("a null column must be left out: %v", m)
	}
	bad := model.NewGroup("g", "G", "")
	bad.Metadata = "not json"
	if _, err := EntityRecord("acme", bad); err == nil || !strings.Contains(err.Error(), "group g") {
		t.Fatalf("bad metadata: err = %v", err)
	}
}

func TestRelationRecordMapping(t *testing.T) {
	t.Parallel()
	names := Names{Roles: map[string]string{"10002": "Administrators"}}
	cases := []struct {
		rel           model.Relation
		parent, child [2]string // type, id
		meta          map[string]any
	}{
		{model.MemberOfRel("u1", "g1"), [2]string{"group", "g1"}, [2]string{"user", "u1"},
			map[string]any{"connectionType": "member_of", "privilegeName": "member"}},
		{model.HasRoleRel(model.Group, "g1", "10000", "10002"), [2]string{"project_role", "10000:10002"}, [2]string{"group", "g1"},
			map[string]any{"connectionType": "has_role", "project": "10000", "roleId": "10002", "privilegeName": "Administrators"}},
		{model.HasRoleRel(model.User, "u1", "10000", "10009"), [2]string{"project_role", "10000:10009"}, [2]string{"user", "u1"},
			map[string]any{"privilegeName": "10009"}},
		{model.RoleInRel("10000", "10002"), [2]string{"project", "10000"}, [2]string{"project_role", "10000:10002"},
			map[string]any{"connectionType": "role_in", "project": "10000"}},
		{model.InstanceOfRel("10000", "10002"), [2]string{"role", "10002"}, [2]string{"project_role", "10000:10002"},
			map[string]any{"connectionType": "instance_of", "project": "10000"}},
		{model.LeadOfRel("u1", "10000"), [2]string{"project", "10000"}, [2]string{"user", "u1"},
			map[string]any{"connectionType": "lead_of", "project": "10000", "privilegeName": "project_lead"}},
		{model.ProductAccessRel("g1", "jira-software", true), [2]string{"application_role", "jira-software"}, [2]string{"group", "g1"},
			map[string]any{"connectionType": "product_access", "privilegeName": "jira-software", "privilegeValue": "default", "default": true}},
		{model.ProductAccessRel("g1", "jira-software", false), [2]string{"application_role", "jira-software"}, [2]string{"group", "g1"},
			map[string]any{"privilegeValue": "non-default", "default": false}},
		{model.UsesSchemeRel("10000", "10000"), [2]string{"permission_scheme", "10000"}, [2]string{"project", "10000"},
			map[string]any{"connectionType": "uses_scheme", "project": "10000"}},
		{model.HoldsPermissionRel("group", "g1", "g1", "10000", "BROWSE_PROJECTS"), [2]string{"permission_scheme", "10000"}, [2]string{"group", "g1"},
			map[string]any{"connectionType": "holds_permission", "privilegeName": "BROWSE_PROJECTS", "privilegeValue": "granted", "permission": "BROWSE_PROJECTS"}},
	}
	for _, c := range cases {
		rec, err := RelationRecord("acme", c.rel, names)
		if err != nil {
			t.Fatal(err)
		}
		if len(rec) != len(RelationHeader) {
			t.Fatalf("%s: %d columns", c.rel.Kind, len(rec))
		}
		if rec[0] != "acme" || rec[5] != "jira" || rec[6] != "1" {
			t.Errorf("%s: app/system/version = %q", c.rel.Kind, rec)
		}
		if rec[2] != c.parent[0] || rec[1] != c.parent[1] || rec[4] != c.child[0] || rec[3] != c.child[1] {
			t.Errorf("%s: parent %s %s child %s %s, want %v %v", c.rel.Kind, rec[2], rec[1], rec[4], rec[3], c.parent, c.child)
		}
		m := decodeJSON(t, rec[7])
		for k, v := range c.meta {
			if m[k] != v {
				t.Errorf("%s: metadata[%s] = %v, want %v (all %v)", c.rel.Kind, k, m[k], v, m)
			}
		}
	}
}

func collectChunks(t *testing.T, rows [][]string, maxRows int, maxBytes int64) []Chunk {
	t.Helper()
	var out []Chunk
	ck := newChunker(PhaseEntities, EntityHeader, maxRows, maxBytes, func(c Chunk) error {
		c.Body = append([]byte(nil), c.Body...)
		out = append(out, c)
		return nil
	})
	for _, r := range rows {
		if err := ck.add(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := ck.flush(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestChunkerBoundsAndDeterminism(t *testing.T) {
	t.Parallel()
	var rows [][]string
	for i := range 100 {
		rows = append(rows, []string{"acme", strings.Repeat("n", i%13), "identity", "jira", "id", "user", "1", "{}"})
	}
	byRows := collectChunks(t, rows, 30, 1<<20)
	if len(byRows) != 4 || byRows[0].Rows != 30 || byRows[3].Rows != 10 {
		t.Fatalf("row-bounded chunks: %d, first %d rows", len(byRows), byRows[0].Rows)
	}
	const maxBytes = 400
	byBytes := collectChunks(t, rows, 1000, maxBytes)
	total := 0
	for i, c := range byBytes {
		if len(c.Body) > maxBytes {
			t.Errorf("chunk %d has %d bytes > %d", i, len(c.Body), maxBytes)
		}
		if c.Index != i {
			t.Errorf("chunk %d has index %d", i, c.Index)
		}
		recs, err := csv.NewReader(bytes.NewReader(c.Body)).ReadAll()
		if err != nil || strings.Join(recs[0], ",") != strings.Join(EntityHeader, ",") || len(recs)-1 != c.Rows {
			t.Fatalf("chunk %d: not a CSV with header and %d rows: %v", i, c.Rows, err)
		}
		total += c.Rows
	}
	if total != 100 || len(byBytes) < 3 {
		t.Fatalf("byte-bounded: %d chunks, %d rows", len(byBytes), total)
	}
	again := collectChunks(t, rows, 1000, maxBytes)
	for i := range again {
		if again[i].SHA256 != byBytes[i].SHA256 {
			t.Fatalf("chunk %d differs between two runs over the same rows", i)
		}
	}
	// A single row larger than the bound goes alone.
	huge := [][]string{rows[0], {"acme", strings.Repeat("x", 1000), "identity", "jira", "id", "user", "1", "{}"}, rows[1]}
	cs := collectChunks(t, huge, 1000, maxBytes)
	if len(cs) != 3 || cs[1].Rows != 1 {
		t.Fatalf("oversized row: %d chunks", len(cs))
	}
}
