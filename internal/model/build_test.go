package model

import "testing"

func TestSplitProjectRoleID(t *testing.T) {
	for _, c := range []struct {
		id, project, role string
		ok                bool
	}{
		{"10000:10002", "10000", "10002", true},
		{"ns:10:10002", "ns:10", "10002", true},
		{ProjectRoleID("a:b:c", "7"), "a:b:c", "7", true},
		{"10000", "", "", false},
		{":10002", "", "", false},
		{"10000:", "", "", false},
	} {
		p, r, ok := SplitProjectRoleID(c.id)
		if p != c.project || r != c.role || ok != c.ok {
			t.Errorf("SplitProjectRoleID(%q) = %q, %q, %v; want %q, %q, %v", c.id, p, r, ok, c.project, c.role, c.ok)
		}
	}
}
