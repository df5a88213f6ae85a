package model

import (
	"testing"
	"time"
)

func TestHolderMapping(t *testing.T) {
	cases := []struct{ typ, param, value, wantType, wantID string }{
		{"user", "", "557058:abc", "user", "557058:abc"},
		{"group", "jira-users", "g-1", "group", "g-1"},
		{"group", "legacy-name-only", "", "group", "legacy-name-only"},
		{"projectRole", "", "10002", "role", "10002"},
		{"applicationRole", "jira-software", "", "application_role", "jira-software"},
		{"applicationRole", "", "jira-software", "application_role", "jira-software"}, // the key in value alone is one product, not everyone
		{"applicationRole", "jira-software", "jira-software", "application_role", "jira-software"},
		{"applicationRole", "", "", "any_logged_in_user", ""},
		{"anyone", "", "", "anyone", ""},
		{"projectLead", "", "", "project_lead", ""},
		{"sd.customer.portal.only", "", "", "sd_customer_portal_only", ""},
		{"groupCustomField", "customfield_10010", "", "group_custom_field", "customfield_10010"},
		{"userCustomField", "customfield_10011", "", "user_custom_field", "customfield_10011"},
		{"someFutureHolder", "p", "", "some_future_holder", "p"},
	}
	for _, c := range cases {
		gotType, gotID := Holder(c.typ, c.param, c.value)
		if gotType != c.wantType || gotID != c.wantID {
			t.Errorf("Holder(%q,%q,%q) = %q,%q; want %q,%q", c.typ, c.param, c.value, gotType, gotID, c.wantType, c.wantID)
		}
	}
	if !SpecialHolder("anyone") || SpecialHolder("group") {
		t.Fatal("SpecialHolder wrong")
	}
}

func TestJSONIsDeterministic(t *testing.T) {
	a := JSON(map[string]any{"b": 1, "a": "x,\"y\"\n"})
	if a != `{"a":"x,\"y\"\n","b":1}` {
		t.Fatalf("got %s", a)
	}
	if JSON(nil) != "{}" {
		t.Fatal("empty metadata must be {}")
	}
}

func TestNewUserNulls(t *testing.T) {
	u := NewUser(UserRecord{AccountID: "a", AccountType: "app", DisplayName: "Bot, \"the\"", Active: false})
	for _, k := range []string{"email", "time_zone", "locale", "account_status", "last_active", "product_access"} {
		if _, ok := u.Attrs[k]; ok {
			t.Errorf("%s should be null", k)
		}
	}
	ts := time.Date(2026, 1, 2, 3, 4, 5, 678900000, time.FixedZone("x", 3600))
	u = NewUser(UserRecord{AccountID: "a", LastActive: ts, ProductAccess: []string{"jira-software"}})
	if got := u.Attrs["last_active"].(time.Time); !got.Equal(ts.Truncate(time.Millisecond)) || got.Location() != time.UTC {
		t.Fatalf("last_active %v", got)
	}
	if u.Attrs["product_access"] != `["jira-software"]` {
		t.Fatalf("product_access %v", u.Attrs["product_access"])
	}
	if u.EntityType() != Identity {
		t.Fatal("user is an identity")
	}
}

func TestTimeLayouts(t *testing.T) {
	for _, s := range []string{"2026-11-22T10:15:00Z", "2026-11-22T10:15:00.123+0000", "2026-11-22T10:15Z", "2026-11-22T10:15:00.5Z"} {
		if _, ok := Time(s); !ok {
			t.Errorf("Time(%q) failed", s)
		}
	}
	if _, ok := Time("yesterday"); ok {
		t.Error("garbage parsed")
	}
}

func TestColumnsCommonFirst(t *testing.T) {
	for _, k := range SourceTypes {
		cols := EntityColumns(k)
		for i, c := range CommonEntityColumns {
			if cols[i].Name != c.Name {
				t.Fatalf("%s column %d is %s", k, i, cols[i].Name)
			}
		}
		if _, ok := KindColumns[k]; !ok {
			t.Fatalf("%s has no typed columns entry", k)
		}
	}
}
