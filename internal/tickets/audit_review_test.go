package tickets

import (
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/govextract/jira-extractor/internal/plan"
)

// TestAuditReview_SummaryFitsJavaLength: Jira checks the summary's length
// as a Java String, in UTF-16 code units; an emoji is two. A summary of
// 255 runes with emoji is refused (400 "Summary must be less than 255
// characters"); our simulator counts runes and lets it through.
func TestAuditReview_SummaryFitsJavaLength(t *testing.T) {
	a := plan.Action{ID: "a", Op: plan.Grant, Relation: plan.MemberOf, FromType: "user", FromID: "acc-1", ToType: "group", ToID: "g"}
	s := Summary(a, "add Jane to group "+strings.Repeat("🎉", 300))
	if n := len(utf16.Encode([]rune(s))); n > maxSummary {
		t.Fatalf("summary is %d UTF-16 code units, Jira's limit is %d", n, maxSummary)
	}
}
