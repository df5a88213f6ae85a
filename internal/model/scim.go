package model

// SCIMUserRecord carries what a SCIM directory says of a user. The SCIM
// connector and the simulator's SCIM truth both build rows with NewSCIMUser.
type SCIMUserRecord struct {
	// ID is the SCIM id: the row's source_id.
	ID string
	// AccountID is the Atlassian account id from the atlassian-external
	// extension; empty when the directory does not give one.
	AccountID   string
	DisplayName string
	Active      bool
	Email       string
	TimeZone    string
	Locale      string
	// Extra holds every attribute without a typed column (userName,
	// externalId, title, extension attributes, ...); it becomes the
	// row's metadata.
	Extra map[string]any
}

// SCIMAccountType is the account_type of a SCIM user: "atlassian" when
// the directory links an Atlassian account, else "unknown".
func SCIMAccountType(accountID string) string {
	if accountID != "" {
		return "atlassian"
	}
	return "unknown"
}

// NewSCIMUser builds a user entity read from a SCIM directory: source_id
// is the SCIM id, account_id the Atlassian account id where known.
func NewSCIMUser(u SCIMUserRecord) Entity {
	attrs := map[string]any{
		"account_type": SCIMAccountType(u.AccountID),
		"active":       u.Active,
		"display_name": u.DisplayName,
	}
	putString(attrs, "email", u.Email)
	putString(attrs, "time_zone", u.TimeZone)
	putString(attrs, "locale", u.Locale)
	putString(attrs, "account_id", u.AccountID)
	return Entity{SourceType: User, SourceID: u.ID, Name: u.DisplayName, Attrs: attrs, Metadata: JSON(u.Extra)}
}

// NewSCIMGroup builds a group entity read from a SCIM directory; extra
// (externalId, ...) becomes its metadata.
func NewSCIMGroup(id, displayName string, extra map[string]any) Entity {
	return Entity{SourceType: Group, SourceID: id, Name: displayName, Attrs: map[string]any{}, Metadata: JSON(extra)}
}

// SCIMMemberOfRel: a SCIM member (a user, or a nested group when
// memberType is Group) is a member of a SCIM group.
func SCIMMemberOfRel(memberType SourceType, memberID, groupID string) Relation {
	return Relation{Kind: MemberOf, FromType: string(memberType), FromID: memberID, ToType: string(Group), ToID: groupID, Metadata: "{}"}
}
