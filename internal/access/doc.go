// Package access resolves effective access: which user holds which project
// role, and which permission in which project, and by what path. It answers
// "who can administer project X, and why?" and "what can this person do?"
// from the raw tables of a run (groups and their members, project role
// actors, project leads, product access and permission schemes) without a
// join in the reader's hands.
//
// A path (the "via" of a row) names how the user gets there:
//
//	user                               the scheme names the user directly
//	group:GROUPID                      the scheme grants a group the user is in
//	project_role:ROLEID                the user is a user actor of the role the scheme grants
//	project_role:ROLEID/group:GROUPID  the user is in a group actor of that role
//	project_lead                       the user leads the project
//	application_role:KEY/group:GROUPID the scheme grants product access KEY and the user is
//	                                   in one of its groups; for "any logged-in user" KEY is
//	                                   empty and every product's groups count
//	anyone                             every user
//
// effective_role rows use "user" (a user actor) and "group:GROUPID" (a member
// of a group actor). Inactive users are included. Holders that depend on an
// issue (reporter, assignee, group and user custom fields, service desk
// customers) give no rows.
//
// The Index keeps users and groups as dense int32 ids, so millions of
// memberships take tens of MiB; rows are produced as a stream in batches.
package access
