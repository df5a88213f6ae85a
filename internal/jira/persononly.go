package jira

import (
	"net/http"
	"slices"
	"strings"
	"unicode"
)

// maxWriteAnswer bounds the success answer of a write that is decoded
// (POST /issue answers {"id","key","self"}).
const maxWriteAnswer = 1 << 20

// personOnlyPhrases are the words of the refusals that say a change can
// only be made by a person outside the API: Jira's and the Admin API's
// answers for a group synced from an identity provider.
var personOnlyPhrases = []string{"identity provider", "group_synced_from_idp", "synced from an idp", "managed externally", "externally managed"}

// isPersonOnly reports whether a refusal says only a person can make the
// change (in its own words, not in a quoted name).
func isPersonOnly(msg string) bool {
	return containsAny(unquoted(msg), personOnlyPhrases)
}

// alreadyRule says which answers of one write route mean its change is
// already in place: a status among statuses whose message (outside quoted
// names) holds one of phrases.
type alreadyRule struct {
	statuses []int
	phrases  []string
}

// The "already" answers of the membership and role actor writes.
var (
	alreadyMember   = &alreadyRule{statuses: []int{http.StatusBadRequest}, phrases: []string{"already a member"}}
	alreadyActor    = &alreadyRule{statuses: []int{http.StatusBadRequest}, phrases: []string{"already a member", "already an actor"}}
	notAMember      = &alreadyRule{statuses: []int{http.StatusBadRequest, http.StatusNotFound}, phrases: []string{"not a member"}}
	notAnActorOrMbr = &alreadyRule{statuses: []int{http.StatusBadRequest, http.StatusNotFound}, phrases: []string{"not a member", "not an actor"}}
)

// match reports whether an answer of status with message msg says the
// change is already in place. A nil rule matches nothing.
func (r *alreadyRule) match(status int, msg string) bool {
	return r != nil && slices.Contains(r.statuses, status) && containsAny(unquoted(msg), r.phrases)
}

func containsAny(msg string, phrases []string) bool {
	m := strings.ToLower(msg)
	for _, p := range phrases {
		if strings.Contains(m, p) {
			return true
		}
	}
	return false
}

// unquoted drops the quoted parts of a message ('…', "…", ‘…’, “…”): the
// names Jira quotes (a group's, a role's) are data, never its verdict. An
// apostrophe inside a word (can't) neither opens nor closes a quote.
func unquoted(msg string) string {
	rs := []rune(msg)
	word := func(i int) bool { return i >= 0 && i < len(rs) && (unicode.IsLetter(rs[i]) || unicode.IsDigit(rs[i])) }
	var b strings.Builder
	var close rune
	for i, r := range rs {
		switch {
		case close == '\'' && r == '\'' && !word(i+1):
			close = 0
		case close != 0 && close != '\'':
			if r == close {
				close = 0
			}
		case close != 0:
		case r == '\'' && !word(i-1):
			close = r
		case r == '"':
			close = r
		case r == '‘':
			close = '’'
		case r == '“':
			close = '”'
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
