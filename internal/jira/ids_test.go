package jira

import (
	"encoding/json"
	"strings"
	"testing"
)

// Role, actor, scheme and grant ids decode from a number or a string; an
// unused id (actor, grant) beyond int64 or of any shape decodes as 0, a used
// one (role, scheme) that is not an int64 is an error naming it.
func TestIDsAcceptNumbersAndStrings(t *testing.T) {
	var roles []ProjectRole
	if err := json.Unmarshal([]byte(`[{"id":10002,"name":"A"},{"id":"10003","name":"B","actors":[
		{"id":"99999999999999999999999","type":"atlassian-user-role-actor","actorUser":{"accountId":"u1"}},
		{"id":{"odd":true},"type":"atlassian-group-role-actor","actorGroup":{"groupId":"g1","name":"G"}}]}]`), &roles); err != nil {
		t.Fatal(err)
	}
	if len(roles) != 2 || roles[0].ID != 10002 || roles[1].ID != 10003 || roles[1].Name != "B" || len(roles[1].Actors) != 2 ||
		roles[1].Actors[0].ActorUser.AccountID != "u1" || roles[1].Actors[1].ActorGroup.GroupID != "g1" || roles[1].Actors[0].ID != 0 {
		t.Fatalf("roles %+v", roles)
	}
	var details []RoleDetail
	if err := json.Unmarshal([]byte(`[{"id":"10004","name":"C","description":"d"}]`), &details); err != nil || details[0].ID != 10004 || details[0].Description != "d" {
		t.Fatalf("details %+v %v", details, err)
	}
	var ps permissionSchemes
	if err := json.Unmarshal([]byte(`{"permissionSchemes":[{"id":"0","name":"Default","permissions":[
		{"id":18446744073709551616,"permission":"BROWSE_PROJECTS","holder":{"type":"anyone"}},
		{"id":"x-1","permission":"ADMINISTER_PROJECTS","holder":{"type":"group","parameter":"g","value":"g1"}},
		{"id":10200,"permission":"CREATE_ISSUES","holder":{"type":"projectLead"}}]}]}`), &ps); err != nil {
		t.Fatal(err)
	}
	s := ps.PermissionSchemes[0]
	if s.ID != 0 || s.Name != "Default" || len(s.Permissions) != 3 || s.Permissions[1].Holder.Value != "g1" || s.Permissions[2].ID != 10200 || s.Permissions[0].ID != 0 {
		t.Fatalf("scheme %+v", s)
	}
	for _, bad := range []string{`{"id":"abc"}`, `{"id":99999999999999999999}`, `{"id":1.5}`} {
		var r ProjectRole
		if err := json.Unmarshal([]byte(bad), &r); err == nil || !strings.Contains(err.Error(), "ProjectRole.id") || !strings.Contains(err.Error(), "not an integer") {
			t.Errorf("%s: err %v, want one naming the role id", bad, err)
		}
		var sc PermissionScheme
		if err := json.Unmarshal([]byte(bad), &sc); err == nil || !strings.Contains(err.Error(), "PermissionScheme.id") {
			t.Errorf("%s: err %v", bad, err)
		}
	}
}
