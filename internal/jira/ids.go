package jira

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Jira documents role, actor, scheme and grant ids as int64, but a proxy
// or another Jira may send them as JSON strings ("10002"), and an id the
// extractor does not use (a grant's, an actor's) must never fail a page.
// The UnmarshalJSON methods below read the id field leniently; every other
// field decodes as usual.

// parseID reads a JSON number or string holding an integer into an int64.
// null and "" are 0.
func parseID(raw json.RawMessage) (int64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
		if s == "" {
			return 0, nil
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("id %.40s is not an integer within int64", raw)
	}
	return n, nil
}

// strictID is parseID for an id the extractor uses: a bad one is an error.
func strictID(raw json.RawMessage, what string) (int64, error) {
	n, err := parseID(raw)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}

// looseID is parseID for an id the extractor does not use: a bad one is 0.
func looseID(raw json.RawMessage) int64 {
	n, _ := parseID(raw)
	return n
}

// UnmarshalJSON reads a role detail whose id may be a number or a string.
func (d *RoleDetail) UnmarshalJSON(b []byte) error {
	type plain RoleDetail
	var v struct {
		plain
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*d = RoleDetail(v.plain)
	var err error
	d.ID, err = strictID(v.ID, "role")
	return err
}

// UnmarshalJSON reads a project role whose id may be a number or a string.
func (r *ProjectRole) UnmarshalJSON(b []byte) error {
	type plain ProjectRole
	var v struct {
		plain
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = ProjectRole(v.plain)
	var err error
	r.ID, err = strictID(v.ID, "role")
	return err
}

// UnmarshalJSON reads a role actor; its id is not used, so any id decodes
// (one that is not an int64 as 0).
func (a *RoleActor) UnmarshalJSON(b []byte) error {
	type plain RoleActor
	var v struct {
		plain
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*a = RoleActor(v.plain)
	a.ID = looseID(v.ID)
	return nil
}

// UnmarshalJSON reads a permission scheme whose id may be a number or a
// string.
func (s *PermissionScheme) UnmarshalJSON(b []byte) error {
	type plain PermissionScheme
	var v struct {
		plain
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = PermissionScheme(v.plain)
	var err error
	s.ID, err = strictID(v.ID, "permission scheme")
	return err
}

// UnmarshalJSON reads a permission grant; its id is not used, so any id
// decodes (one that is not an int64 as 0).
func (g *PermissionGrant) UnmarshalJSON(b []byte) error {
	type plain PermissionGrant
	var v struct {
		plain
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*g = PermissionGrant(v.plain)
	g.ID = looseID(v.ID)
	return nil
}
