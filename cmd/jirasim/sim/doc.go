// Package sim is the Jira Cloud simulator behind cmd/jirasim: a generated
// (or loaded) site served over HTTP with Jira's shapes, page caps, quirks,
// auth, rate limits and injected faults, plus the ground truth that a correct
// extraction must produce.
//
// # Serving
//
// New builds the site; Start listens on 127.0.0.1 (a free port) and returns
// the base URL. One base URL carries:
//
//	/rest/api/3/...                        the site (Basic email:unscoped-token)
//	/ex/jira/{cloudId}/rest/api/3/...      the scoped-token gateway (same handlers)
//	/_edge/tenant_info                     {"cloudId":...}, no auth
//	/admin/v1/orgs/{orgId}/users           Admin API v1 (Bearer org key), links.next is a full URL
//	/admin/v2/orgs/{orgId}/directories/-/users|groups   Admin API v2, links.next is a cursor
//	/admin/v2/orgs/{orgId}/directories     Admin API v2: the org's directories, one a page
//	/users/{accountId}/manage/lifecycle/disable|enable   Admin API account lifecycle (Bearer org key)
//	/_sim/stats, /_sim/truth[?org=true][&format=jsonl]  GET: counters and truth (JSON)
//	/_sim/faults, /_sim/ratelimit, /_sim/reset-stats     POST: change faults / limit (JSON bodies of
//	                                       Faults / RateLimit, durations in nanoseconds), zero the counters
//	/_sim/issues/{key}/transition          POST {"status":"Done"} (a status name or new|indeterminate|done)
//	/_sim/issue-required-fields            POST {"KEY":["customfield_10200"]}: required custom fields
//
// Jira endpoints: myself, serverInfo, users/search (bare array, cap 1000),
// group/bulk (PageBean, cap 50), group/member (PageBean, cap 50,
// includeInactiveUsers defaults to false), project/search (PageBean, cap 100,
// live only unless status=live&status=archived (or "live,archived"); lead with
// expand=lead; 404 when nothing matches), project/{idOrKey}/role,
// /roledetails, /role/{id}, /permissionscheme, GET /role, /applicationrole and
// /permissionscheme?expand=permissions. maxResults above a cap is clamped and
// the answer's maxResults says so. PageBeans carry nextPage only when more
// pages exist, on the fake host https://SITE.atlassian.net.invalid (clients
// that follow it break, as they should); "total" is left out for ~10% of the
// groups' member pages (and everywhere with Faults.OmitTotals). An unknown
// path answers a 404 HTML page.
//
// Auth: the unscoped token works on the site and answers 401 on the gateway;
// the scoped token answers 401 on the site and works on the gateway; the
// under-scoped token only has read:jira-user (myself, users/search, group/*)
// and gets 401 {"code":401,"message":"Unauthorized; scope does not match"}
// elsewhere. Bad credentials get 401 {"message":"Client must be
// authenticated to access this resource.","status-code":401}. Scopes:
// read:jira-user for myself, users/search, group/bulk, group/member;
// read:jira-work for project/search, project/{id}/role*, project/{id}/
// permissionscheme and GET /role; manage:jira-configuration for
// /applicationrole and /permissionscheme. Permissions (Config.Permissions):
// without BrowseUsers users/search and group/* answer 403; without
// AdministerJira /role, /applicationrole and /permissionscheme answer 403;
// without BrowseProjects project/search answers 404 "No projects found" and
// project/{id}/* 404.
//
// Request pipeline, in order: counting, latency, auth, rate limit, faults,
// permissions, site lock, handler. /_edge/tenant_info, serverInfo and /_sim/*
// skip auth, limits and faults.
//
// # Writes
//
// The site is mutable: reads hold a read lock while they encode an answer
// (the pre-encoded user arena stays; changed users are re-encoded one by
// one), writes hold the write lock while they change the site, and the
// answer is sent after the lock is released. Every write shows in the next
// reads, in Truth and in the audit log. Jira writes (errors are
// {"errorMessages":[...],"errors":{...},"status":N}):
//
//	POST   group/user?groupId= {"accountId"}   201 the group; 400 "Cannot add user. User is already a member of 'NAME'";
//	                                            404 unknown group or user; needs AdministerJira (403)
//	DELETE group/user?groupId=&accountId=      200; 400 "Cannot remove user. User is not a member of 'NAME'"; 404 unknown
//	POST   project/{id}/role/{roleId} {"user":[accountId]} | {"groupId":[id]} | {"group":[name]}
//	                                            200 the role with every actor; 400 "... is already a member of the
//	                                            project role" (nothing added); 404 project, role, user or group not
//	                                            found, or user inactive; needs AdministerProjects or AdministerJira (404)
//	DELETE project/{id}/role/{roleId}?user= | ?groupId= | ?group=
//	                                            204; 404 "... is not a member of the project role"; same 404s
//	GET    user/groups?accountId=               [{name, groupId, self}]; needs BrowseUsers
//	POST   user {"emailAddress","products":[...]}  201 the user: a new account, an org account joining the site
//	                                            (its accountId), or a removed user coming back; an existing user with
//	                                            Jira access: 201, nothing changes; without access (products []): 400;
//	                                            products is required (jira-software and jira-servicedesk join their
//	                                            application role's default groups); needs AdministerJira
//	DELETE user?accountId=                      204: leaves users/search, every group and role (the org account stays);
//	                                            400 for yourself or a project lead; 404 unknown
//	GET    auditing/record?offset&limit&from&to&filter   {"offset","limit","total","records"}, newest first,
//	                                            limit at most 1000, filter words must all appear; needs AdministerJira
//
// Scopes of the scoped token: manage:jira-configuration for group/user,
// user and auditing/record; manage:jira-project for role actors;
// write:jira-work for POST issue; read:jira-work for the other ticket
// reads; read:jira-user for user/groups.
//
// Audit records: "User added to group" / "User removed from group"
// (category "group management", objectItem the GROUP, the USER in
// associatedItems), "Project roles changed" (category "projects", objectItem
// the PROJECT_ROLE, changedValues Users or Groups with changedTo (added) or
// changedFrom (removed), the PROJECT and the actor in associatedItems), "User
// created" and "User deleted" (category "user management"). Admin API writes
// leave no record, as changes made in admin.atlassian.com may not.
//
// Tickets. Issue types by project type (software: Task, Bug, Story, Epic,
// Subtask; service_desk: Task, Service Request, Incident, Subtask; business:
// Task, Subtask); one workflow: To Do (new) → In Progress (indeterminate) →
// Done (done), moved only by /_sim/issues/{key}/transition (or
// TransitionIssue). GET project/{idOrKey} (with issueTypes),
// issuetype/project?projectId=, issue/createmeta/{idOrKey}/issuetypes[/{id}]
// (fields with "required", the project's required custom fields included;
// with Config.StrictDocumentedOnly createmeta, user/search and the Admin
// API's single-user read are not served: the unknown-endpoint 404).
// POST issue {"fields":{project:{key|id}, issuetype:{name|id}, summary,
// description (ADF), labels, parent (subtasks)}} → 201 {"id","key","self"}
// (keys KEY-1, KEY-2, ...); a 400 ErrorCollection names every bad field:
// missing project / issuetype / summary, unknown or archived project and
// unknown issue type (naming the value), a description that is not ADF, a
// label with spaces, a missing required custom field (Config.RequiredIssueFields,
// SetRequiredIssueFields, --issue-required-field), any field not on the
// screen. GET issue/{idOrKey}[?fields=] (every field by default;
// fields.status.statusCategory.key is new, indeterminate or done). GET
// search/jql?jql=&fields=&nextPageToken=&maxResults= → {"issues","nextPageToken"
// (only when more),"isLast"}; only {"id"} per issue unless fields ask for more;
// maxResults default 50, at most 100 (5000 for ids only); newest first unless
// ORDER BY; a token keeps its pages stable while issues are created. The JQL
// subset: clauses joined by AND (no OR, no parentheses around clauses), each
// FIELD = V, != V, in (V, ...), not in (...), or summary ~ "text"; values bare
// or quoted ("..." or '...'); fields project (key, id or name; an unknown one
// is a 400 naming it), labels, status, statusCategory (key or name),
// issuetype, key, id, summary; an optional ORDER BY key|id|created [ASC|DESC];
// an empty query is refused as unbounded.
//
// Admin API writes (Bearer org key; errors {"errors":[{"id","status","code",
// "title","detail"}]}). GET /admin/v2/orgs/{orgId}/directories lists the
// directories {"directoryId","name"}, one a page (Config.Directories, default
// one; accounts spread over them in turn, groups all in the first); reads
// take a directory id or "-", writes refuse "-" (400 INVALID_DIRECTORY_ID)
// and answer 404 for an account another directory holds. POST
// .../directories/{dir}/users/{id}/suspend and /restore → 200 {"message"}: a suspended account shows v2 status
// "suspended" and Jira active=false (v1 account_status stays "active").
// POST .../groups/{groupId}/memberships {"account_id"} → 200 (no body),
// DELETE .../memberships/{id} → 204; repeating a change is not an error; a
// Jira group changes in Jira, a directory-only group keeps its own members;
// groups synced from an identity provider (DatasetOrgGroup.Synced: the
// generator marks the first group after the special ones and the first
// org-only group; v2 groups show "externalSynced", "managementAccess" and
// "counts":{"users"}) answer 403 GROUP_SYNCED_FROM_IDP, and Jira's own
// POST and DELETE /group/user on such a group answer 403 with an
// errorMessage saying it is synced from an identity provider. POST
// /users/{id}/manage/lifecycle/disable (optional {"message"}) and /enable →
// 204: account_status inactive/active (v1 and v2), Jira active follows
// (false while suspended or inactive); a closed account is a 400.
//
// Stats: WriteRequests (every request on a write route), Writes (changes
// made: an "already a member" 400 makes none) and WritesByEndpoint, so a
// dry run can be checked with Writes == 0. Stats.Floor follows the site.
//
// # Rate limit
//
// One token bucket per route template and method (site and gateway share it),
// RateLimit.PerSecond refill and RateLimit.Burst size for GETs; POST routes
// default to the same, PUT and DELETE to half (Jira's 100/100/50),
// overridden by PostPerSecond/PostBurst and DeletePerSecond/DeleteBurst (-1:
// no limit). Config.Now injects the clock the buckets use. Over budget: 429 with
// Retry-After (whole seconds, at least 1; left out with NoRetryAfter),
// X-RateLimit-Limit (the burst), X-RateLimit-Remaining: 0, X-RateLimit-Reset
// (ISO-8601 UTC, to the second: as Jira computes it, the request's time plus
// the Retry-After period, sent or not) and RateLimit-Reason. Successful answers carry
// X-RateLimit-NearLimit: true when under 20% of the bucket is left. With a
// 100/s bucket the real wait is ~10ms but Retry-After says 1: clients are
// expected to pace themselves.
//
// # Faults
//
// Faults (SetFaults at any time, or the serve flags) are drawn per request
// from an RNG seeded by Config.Seed: Latency+Jitter; Rate429 (429s with the
// limit's headers); Rate500/502/503/504 (503 carries Retry-After: 1 half the
// time; 502 and 504 have HTML bodies); RateReset (the connection is hijacked
// and closed with no answer); RateTruncated (a 200 whose JSON body is cut in
// half); Rate409UserSearch; ShortUserPages (users/search pages shorter than
// asked, never empty before the end); ForbiddenProjects / NotFoundProjects
// (ids or keys whose role endpoints answer 403 / 404); VanishingGroups (group
// ids whose group/member answers 404 once a page of theirs was served;
// SetFaults resets that memory); OmitTotals; PlainText401. These hit
// writes too, before the change. AfterWrite500 and AfterWriteReset hit
// successful writes after the change: it is made, then a 500 is answered
// (Jira's or the Admin API's error body) or the connection is dropped; a safe
// client re-reads before retrying. Stats.Faults counts them.
//
// # Data
//
// Generate is deterministic in the Config (Size preset or counts, Seed).
// Presets: small 200 users / 20 groups / 15 projects (mean group size 15);
// medium 20k / 1k / 500 (mean 100, ~100k memberships); large 200k / 10k /
// 5k (mean 200, ~2M memberships). Users: the first is the token's own
// account ("Sim Admin", /myself); ~85% atlassian (557058:uuid or legacy
// 24-hex ids), ~5% app (24-hex or 712020:uuid), ~10% customer
// (qm:uuid:uuid); ~10% inactive; ~20% of emails hidden from Jira (the Admin
// API still shows them); a few without time zone and locale; hostile display
// names (commas, quotes, newlines, tabs, CR, emoji, NFD combining marks,
// leading/trailing spaces, 300+ characters, RTL, formula injection) and emails
// with plus signs. Groups: jira-software-users (~45% of users),
// jira-administrators (5), confluence-users (exactly 50),
// jira-servicemanagement-users (exactly 100), empty-group, hostile names, then
// long-tailed sizes (20% empty, 30% 1-5, the rest Pareto). Projects: numeric
// ids above 10000, realistic keys, ~10% archived (the second project always),
// every one with a lead, isPrivate absent on ~5%; 3-6 of the 8 global roles
// each, with user and group actors (Administrators always has
// jira-administrators). Application roles jira-software,
// jira-servicedesk, jira-work-management (no groups, unlimited seats).
// Permission schemes: every holder type Jira has in every scheme
// (anyone, applicationRole with and without parameter, assignee, group,
// groupCustomField, projectLead, projectRole, reporter,
// sd.customer.portal.only, user, userCustomField), though never anyone or
// applicationRole for ADMINISTER_PROJECTS (such draws grant BROWSE_PROJECTS,
// as Jira Cloud refuses public project administration and sites rarely
// give it to every product user); the last scheme is used by
// no project; a (permission, holder) pair never repeats within a scheme, so
// the truth needs no dedup (it dedups defensively anyway). Org: ~90% of the
// atlassian users plus org-only accounts (users/30, at least 2); every Jira
// group mirrored with the same id and no description, plus org-only groups
// (groups/20, at least 2) with descriptions.
//
// # Dataset files
//
// A dataset (type Dataset; `jirasim dataset` writes one) is JSON:
//
//	{"name": "tiny", "cloudId": "...", "myself": "<accountId>",
//	 "users": [{"accountId","accountType","displayName","email","emailHidden","active","timeZone","locale"}],
//	 "groups": [{"groupId","name","members":["<accountId>",...],"omitTotal"}],
//	 "roles": [{"id":10002,"name","description","defaultGroups":["<groupId>"]}],
//	 "projects": [{"id":"10001","key","name","projectTypeKey","archived","isPrivate":true|false|null,
//	               "lead":"<accountId>","permissionScheme":10000,
//	               "roles":[{"roleId":10002,"users":["<accountId>"],"groups":["<groupId>"]}]}],
//	 "applicationRoles": [{"key","name","groups":["<groupId>"],"defaultGroups":["<groupId>"],"numberOfSeats","userCount"}],
//	 "permissionSchemes": [{"id","name","description","permissions":[{"id","permission","holder":{"type","parameter","value"}}]}],
//	 "org": {"users": [{"accountId","accountType","status","name","email","lastActive","productAccess":["jira-software"]}],
//	         "groups": [{"id","name","description"}]}}
//
// References are checked when loading (unknown or repeated ids are errors).
// testdata/sites/tiny.json is a readable handful; testdata/sites/hostile.json
// has every hostile case and exactly 1000 users (so the last non-empty
// users/search page ends exactly at the cap); it was written by
//
//	jirasim dataset --users 1000 --groups 24 --projects 14 --seed 7 --mean-members 25 --schemes 6
//
// # Truth
//
// Server.Truth builds, with the model constructors only, what a correct
// extraction reads with default options (inactive users included, every kind,
// every account type): users (email only where Jira shows it), groups,
// member_of (inactive members too), projects (live and archived) and lead_of,
// project_role + role_in + instance_of for each role of each project's
// roledetails, has_role for each actor, global roles, application_role +
// product_access (default=true for default groups), permission_scheme +
// holds_permission per grant + uses_scheme per project. With
// TruthOptions{Org: true}: emails Jira hides come from Admin v1, plus
// account_status, last_active and product_access (never null for org
// accounts: "[]" when empty); org-only accounts become users (DisplayName =
// name, Active = status=="active"); org groups whose id is not a Jira groupId
// become groups with their description.
//
// # Request floor
//
// Stats.Floor is the fewest requests that read the whole site at the page
// caps with default options and an unscoped token (U users, G groups, m_g
// members of group g inactive included, P projects live and archived, R_p
// roles of project p):
//
//	1 (myself)
//	+ ceil(U/1000) + 1        users/search; the final empty page counts, also when 1000 divides U
//	+ max(1, ceil(G/50))      group/bulk
//	+ Σ_g max(1, ceil(m_g/50)) group/member
//	+ max(1, ceil(P/100))     project/search (status=live&status=archived)
//	+ Σ_p (2 + R_p)           roledetails + role/{id} each + project permissionscheme
//	+ 3                       GET /role, /applicationrole, /permissionscheme
//
// Stats.FloorOrg adds the Admin API: max(1, ceil(OU/100)) v1 users pages
// (fixed page size 100) + max(1, ceil(OG/100)) v2 groups pages (limit=100, the
// v2 maximum; the v2 default limit is 50).
//
// IncrementalFloor is the floor of bringing a complete read up to date
// after changes to some groups' members and some projects' role actors
// (a ChurnReport's Groups and Projects): the same terms without the
// Σ_g and Σ_p sums, plus max(1, ceil(A/1000)) audit log pages for the A
// records since the earlier read, plus the Σ_g and Σ_p terms of the named
// groups and projects only.
package sim
