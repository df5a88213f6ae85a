package sim

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestGenerateDeterministic(t *testing.T) {
	a, err := Generate(Config{Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(Config{Seed: 11})
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed, different datasets")
	}
	c, _ := Generate(Config{Seed: 12})
	if reflect.DeepEqual(a.Users, c.Users) {
		t.Error("different seeds, same users")
	}
	s1, _ := New(Config{Seed: 11})
	s2, _ := New(Config{Seed: 11})
	if s1.CloudID() != s2.CloudID() || !reflect.DeepEqual(s1.Truth(TruthOptions{Org: true}), s2.Truth(TruthOptions{Org: true})) {
		t.Error("same seed, different truth")
	}
}

func TestGenerateMediumShape(t *testing.T) {
	d, err := Generate(Config{Size: "medium", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Users) != 20000 || len(d.Groups) != 1000 || len(d.Projects) != 500 {
		t.Fatalf("counts %d/%d/%d", len(d.Users), len(d.Groups), len(d.Projects))
	}
	kinds := map[string]int{}
	inactive, withEmail, hidden := 0, 0, 0
	ids := map[string]bool{}
	prefixes := map[string]bool{}
	for _, u := range d.Users {
		kinds[u.AccountType]++
		if !u.Active {
			inactive++
		}
		if u.Email != "" {
			withEmail++
			if u.EmailHidden {
				hidden++
			}
		}
		ids[u.AccountID] = true
		switch {
		case strings.HasPrefix(u.AccountID, "557058:"):
			prefixes["557058"] = true
		case strings.HasPrefix(u.AccountID, "qm:"):
			prefixes["qm"] = true
		case strings.HasPrefix(u.AccountID, "712020:"):
			prefixes["712020"] = true
		case len(u.AccountID) == 24:
			prefixes["hex24"] = true
		}
	}
	near := func(what string, got, want, tol float64) {
		if got < want-tol || got > want+tol {
			t.Errorf("%s = %.3f, want %.2f±%.2f", what, got, want, tol)
		}
	}
	n := float64(len(d.Users))
	near("atlassian share", float64(kinds["atlassian"])/n, 0.85, 0.02)
	near("app share", float64(kinds["app"])/n, 0.05, 0.01)
	near("customer share", float64(kinds["customer"])/n, 0.10, 0.01)
	near("inactive share", float64(inactive)/n, 0.10, 0.01)
	near("hidden email share", float64(hidden)/n, 0.20, 0.03)
	if len(ids) != len(d.Users) || len(prefixes) != 4 {
		t.Errorf("account ids: %d unique, kinds %v", len(ids), prefixes)
	}
	sizes := map[int]int{}
	total, biggest, empty := 0, 0, 0
	for _, g := range d.Groups {
		sizes[len(g.Members)]++
		total += len(g.Members)
		biggest = max(biggest, len(g.Members))
		if len(g.Members) == 0 {
			empty++
		}
	}
	if sizes[50] == 0 || sizes[100] == 0 || empty < 100 || biggest < 5000 || sizes[1]+sizes[2]+sizes[3] < 50 {
		t.Errorf("group sizes not long-tailed enough: 50:%d 100:%d empty:%d biggest:%d", sizes[50], sizes[100], empty, biggest)
	}
	if total < 80000 || total > 130000 {
		t.Errorf("memberships %d, want ~100k", total)
	}
	archived := 0
	for _, p := range d.Projects {
		if p.Archived {
			archived++
		}
		if _, err := strconv.Atoi(p.ID); err != nil || p.Lead == "" || len(p.Roles) < 3 || len(p.Roles) > 6 {
			t.Errorf("project %+v", p)
		}
	}
	near("archived share", float64(archived)/float64(len(d.Projects)), 0.10, 0.04)
	s, err := New(Config{Dataset: d})
	if err != nil {
		t.Fatal(err)
	}
	tr := s.Truth(TruthOptions{Org: true})
	seen := map[string]bool{}
	for _, e := range tr.Entities {
		if seen[e.Key()] {
			t.Fatalf("duplicate entity %q", e.Key())
		}
		seen[e.Key()] = true
	}
	for _, r := range tr.Relations {
		if seen[r.Key()] {
			t.Fatalf("duplicate relation %q", r.Key())
		}
		seen[r.Key()] = true
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := New(Config{Size: "huge"}); err == nil || !strings.Contains(err.Error(), "huge") {
		t.Errorf("unknown size: %v", err)
	}
	if _, err := New(Config{Users: -1}); err == nil {
		t.Error("negative users accepted")
	}
	if _, err := New(Config{DatasetFile: "does-not-exist.json"}); err == nil {
		t.Error("missing dataset file accepted")
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{DatasetFile: bad}); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("bad dataset JSON: %v", err)
	}
}

func TestDatasetValidation(t *testing.T) {
	load := func() *Dataset {
		d, err := LoadDataset(tinyFile)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	cases := map[string]func(d *Dataset){
		"unknown member":       func(d *Dataset) { d.Groups[0].Members = append(d.Groups[0].Members, "ghost") },
		"duplicate member":     func(d *Dataset) { d.Groups[0].Members = append(d.Groups[0].Members, d.Groups[0].Members[0]) },
		"duplicate account":    func(d *Dataset) { d.Users = append(d.Users, d.Users[0]) },
		"duplicate group name": func(d *Dataset) { d.Groups[1].Name = d.Groups[0].Name },
		"unknown lead":         func(d *Dataset) { d.Projects[0].Lead = "ghost" },
		"unknown scheme":       func(d *Dataset) { d.Projects[0].PermissionScheme = 1 },
		"unknown role":         func(d *Dataset) { d.Projects[0].Roles[0].RoleID = 1 },
		"duplicate key":        func(d *Dataset) { d.Projects[1].Key = d.Projects[0].Key },
		"default not in groups": func(d *Dataset) {
			d.ApplicationRoles[1].DefaultGroups = []string{d.Groups[0].GroupID}
		},
		"repeated actor": func(d *Dataset) {
			d.Projects[0].Roles[0].Groups = append(d.Projects[0].Roles[0].Groups, d.Projects[0].Roles[0].Groups[0])
		},
		"bad lastActive": func(d *Dataset) { d.Org.Users[0].LastActive = "yesterday" },
		"unknown myself": func(d *Dataset) { d.Myself = "ghost" },
		"no users":       func(d *Dataset) { *d = Dataset{} },
	}
	for name, mutate := range cases {
		d := load()
		mutate(d)
		if _, err := New(Config{Dataset: d}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(Config{Dataset: load()}); err != nil {
		t.Errorf("tiny dataset: %v", err)
	}
}

func TestFloorFormula(t *testing.T) {
	d, err := LoadDataset(tinyFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Dataset: d})
	if err != nil {
		t.Fatal(err)
	}
	// tiny: 1 myself + (1+1) users + 1 bulk + 4 member pages (empty group too)
	// + 1 project page + (2+3)*3 project requests + 3 = 27; org adds 1 + 1.
	if st := s.Stats(); st.Floor != 27 || st.FloorOrg != 29 {
		t.Errorf("floor %d / org %d, want 27 / 29", st.Floor, st.FloorOrg)
	}
}
