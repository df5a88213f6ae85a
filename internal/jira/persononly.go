package jira

import "strings"

// maxWriteAnswer bounds the success answer of a write that is decoded
// (POST /issue answers {"id","key","self"}).
const maxWriteAnswer = 1 << 20

// personOnlyPhrases are the words of the refusals that say a change can
// only be made by a person outside the API: Jira's and the Admin API's
// answers for a group synced from an identity provider.
var personOnlyPhrases = []string{"identity provider", "group_synced_from_idp", "synced from an idp", "managed externally", "externally managed"}

// isPersonOnly reports whether a refusal says only a person can make the
// change.
func isPersonOnly(msg string) bool {
	m := strings.ToLower(msg)
	for _, p := range personOnlyPhrases {
		if strings.Contains(m, p) {
			return true
		}
	}
	return false
}
