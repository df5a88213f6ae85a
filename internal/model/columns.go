package model

// ColumnType is the logical type of a column; the output package maps it to
// an Arrow type (string → utf8, bool → boolean, int64 → int64, timestamp →
// timestamp[ms, UTC]).
type ColumnType string

// Column types.
const (
	String    ColumnType = "string"
	Bool      ColumnType = "bool"
	Int64     ColumnType = "int64"
	Timestamp ColumnType = "timestamp"
)

// Column describes one typed column.
type Column struct {
	Name     string
	Type     ColumnType
	Nullable bool
	Doc      string
}

// CommonEntityColumns come first in every entity table, in this order.
var CommonEntityColumns = []Column{
	{Name: "source_id", Type: String, Doc: "the kind's stable id (accountId, groupId, project id, ...)"},
	{Name: "source_type", Type: String, Doc: "the entity kind: user, group, project, role, project_role, application_role, permission_scheme"},
	{Name: "entity_type", Type: String, Doc: "identity, resource or connection"},
	{Name: "name", Type: String, Doc: "display name"},
	{Name: "metadata", Type: String, Doc: "JSON object text with anything not in a typed column"},
}

// KindColumns lists the typed columns of each entity kind, after the common
// ones. Entity.Attrs is keyed by these names.
var KindColumns = map[SourceType][]Column{
	User: {
		{Name: "account_type", Type: String, Doc: "atlassian, app, customer or unknown"},
		{Name: "active", Type: Bool, Doc: "whether the account is active in Jira"},
		{Name: "email", Type: String, Nullable: true, Doc: "email address, where Jira or the Admin API shows it"},
		{Name: "display_name", Type: String, Doc: "display name"},
		{Name: "time_zone", Type: String, Nullable: true, Doc: "IANA time zone"},
		{Name: "locale", Type: String, Nullable: true, Doc: "locale, e.g. en_US"},
		{Name: "account_status", Type: String, Nullable: true, Doc: "Admin API status: active, inactive or closed (org API key only)"},
		{Name: "last_active", Type: Timestamp, Nullable: true, Doc: "Admin API last activity (org API key only)"},
		{Name: "product_access", Type: String, Nullable: true, Doc: "JSON array of product keys the Admin API lists (org API key only)"},
		{Name: "account_id", Type: String, Nullable: true, Doc: "the Atlassian account id, where a SCIM directory gives it (SCIM users only; source_id is then the SCIM id)"},
	},
	Group: {
		{Name: "description", Type: String, Nullable: true, Doc: "description (org groups only)"},
	},
	Project: {
		{Name: "key", Type: String, Doc: "project key"},
		{Name: "project_type", Type: String, Nullable: true, Doc: "software, service_desk, business, ..."},
		{Name: "archived", Type: Bool, Doc: "whether the project is archived"},
		{Name: "is_private", Type: Bool, Nullable: true, Doc: "whether the project is private"},
		{Name: "lead_account_id", Type: String, Nullable: true, Doc: "accountId of the project lead"},
	},
	Role: {
		{Name: "description", Type: String, Nullable: true, Doc: "role description"},
	},
	ProjectRole: {
		{Name: "project_id", Type: String, Doc: "the project's id"},
		{Name: "project_key", Type: String, Doc: "the project's key"},
		{Name: "role_id", Type: String, Doc: "the global role's id"},
	},
	ApplicationRole: {
		{Name: "user_count", Type: Int64, Nullable: true, Doc: "users with this product access"},
		{Name: "number_of_seats", Type: Int64, Nullable: true, Doc: "licensed seats"},
	},
	PermissionScheme: {
		{Name: "description", Type: String, Nullable: true, Doc: "scheme description"},
	},
}

// EntityColumns returns the full column list of a kind: common columns first.
func EntityColumns(kind SourceType) []Column {
	cols := make([]Column, 0, len(CommonEntityColumns)+len(KindColumns[kind]))
	cols = append(cols, CommonEntityColumns...)
	return append(cols, KindColumns[kind]...)
}

// RelationColumns are the columns of the relation table, in order.
var RelationColumns = []Column{
	{Name: "relation", Type: String, Doc: "the relation kind"},
	{Name: "from_type", Type: String, Doc: "the holder's kind (user, group, role, application_role, project_role, project, or a special holder such as anyone)"},
	{Name: "from_id", Type: String, Doc: "the holder's source_id (empty for special holders without a parameter)"},
	{Name: "to_type", Type: String, Doc: "the held entity's kind"},
	{Name: "to_id", Type: String, Doc: "the held entity's source_id"},
	{Name: "metadata", Type: String, Doc: "JSON object text (permission, default group, via path of effective access, ...)"},
}
