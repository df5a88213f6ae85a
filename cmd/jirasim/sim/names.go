package sim

import "strings"

// Hostile strings: every one of them appears in a generated site whose
// counts are large enough (users > 20, groups > 16, projects > 12).

var hostileDisplayNames = []string{
	"Smith, John",
	`Jane "JJ" Doe`,
	"Line\nBreak",
	"Tab\tSeparated",
	"  Leading Spaces",
	"Trailing Spaces  ",
	"🦄 Unicorn Rider",
	"Jose\u0301 Garci\u0301a",        // decomposed (NFD) accents
	"Zoe\u0308 A\u030angstro\u0308m", // decomposed
	"李小龙",
	"مرحبا بالعالم",
	"👩‍💻 Dev Lead",
	"O'Brien; DROP TABLE users;--",
	`Back\slash`,
	"<b>Bold</b> & Co",
	"Carriage\r\nReturn",
	strings.Repeat("Very Long Name ", 22) + "End",
	"=SUM(A1:A9)",
	"Ünïcödé NFC Ñandú",
}

var hostileGroupNames = []string{
	"group, with comma",
	`group "quoted"`,
	"group\nwith newline",
	"group\twith tab",
	"  leading-space-group",
	"trailing-space-group  ",
	"🚀 rocket-team",
	"cafe\u0301-team",
	strings.Repeat("long-group-name-", 16) + "end",
	"équipe-ünïcode",
	"グループ",
	"=cmd|' /C calc'!A0",
}

var hostileProjectNames = []string{
	"Project, with comma",
	`"Quoted" Project`,
	"Multi\nLine Project",
	"Tab\tProject",
	"  Leading Space Project",
	"Trailing Space Project  ",
	"🚀 Rocket Launch",
	"Cafe\u0301 Operations",
	strings.Repeat("Extremely Long Project Name ", 10) + "End",
	"日本語プロジェクト",
	"Semi;colon | Pipe",
	"Ω Omega \\ Backslash",
}

var hostileSchemeNames = []string{
	"Default Permission Scheme",
	`Software, "Classic" Scheme`,
	"Scheme\nwith newline",
	"🔒 Locked-down Scheme",
	"Sche\u0301ma\ttabbed ",
	strings.Repeat("Long Scheme Name ", 12) + "End",
}

var firstNames = []string{"Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
	"Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Uma", "Victor", "Walter", "Xena", "Yusuf", "Zara",
	"Amélie", "Björn", "Chloé", "Dmitri", "Eun-ji", "Fatima", "Giorgos", "Hiroshi", "Ines", "Jürgen", "Kwame", "Lakshmi"}

var lastNames = []string{"Anderson", "Baker", "Clark", "Davis", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jones",
	"Kowalski", "Lopez", "Müller", "Nakamura", "O'Neil", "Patel", "Quinn", "Rossi", "Schmidt", "Tanaka", "Usman",
	"Van der Berg", "Wang", "Xu", "Young", "Zimmermann", "da Silva", "Ng", "Okafor", "Petrović"}

var appNames = []string{"Automation for Jira", "Jira Service Management Widget", "Slack", "Trello 🔌 Power-Up",
	"GitHub for Jira", "Opsgenie", "Statuspage", "Tempo, Timesheets", `"Quoted" Bot`}

var teamWords = []string{"platform", "payments", "mobile", "web", "data", "infra", "security", "support", "sales",
	"marketing", "design", "qa", "release", "search", "growth", "billing", "identity", "ml", "edge", "core"}

var projectWords = []string{"Website", "Mobile App", "Payments", "Platform", "Data Lake", "Infrastructure",
	"Helpdesk", "Marketing Site", "Billing", "Identity", "Search", "Analytics", "Onboarding", "Compliance", "Design System"}

var projectKeyStems = []string{"WEB", "APP", "PAY", "PLAT", "DATA", "INFRA", "HELP", "MKT", "BILL", "IDM", "SRCH",
	"ANL", "ONB", "CMP", "DS", "OPS", "SEC", "QA", "REL", "ML", "EDGE", "CORE", "SUP", "HR", "FIN"}

var timeZones = []string{"Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney",
	"Europe/London", "Asia/Kolkata", "America/Sao_Paulo", "Africa/Lagos", "Pacific/Chatham", "UTC"}

var locales = []string{"en_US", "en_GB", "de_DE", "fr_FR", "ja_JP", "pt_BR", "es_ES", "zh_CN"}

var permissionKeys = []string{"BROWSE_PROJECTS", "ADMINISTER_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES", "ASSIGN_ISSUES",
	"ASSIGNABLE_USER", "RESOLVE_ISSUES", "CLOSE_ISSUES", "TRANSITION_ISSUES", "DELETE_ISSUES", "LINK_ISSUES",
	"MOVE_ISSUES", "SCHEDULE_ISSUES", "SET_ISSUE_SECURITY", "ADD_COMMENTS", "EDIT_ALL_COMMENTS", "DELETE_OWN_COMMENTS",
	"CREATE_ATTACHMENTS", "DELETE_ALL_ATTACHMENTS", "MANAGE_WATCHERS", "VIEW_VOTERS_AND_WATCHERS", "WORK_ON_ISSUES",
	"VIEW_DEV_TOOLS", "MANAGE_SPRINTS_PERMISSION", "SERVICEDESK_AGENT", "VIEW_READONLY_WORKFLOW"}
