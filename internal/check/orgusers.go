package check

import (
	"context"
	"fmt"

	"github.com/govextract/jira-extractor/internal/jira"
)

// degradedError is a probe outcome that is readable with less than a full
// answer: the result is a Warning, not a failure.
type degradedError struct{ why string }

func (e degradedError) Error() string { return e.why }

// orgUsersProbe reads the first page of the Admin API v1 users listing.
// When v1 is gone (404, 410) it tries v2, as a run does: if v2 answers,
// the org accounts are readable without their v1-only fields, a Warning.
func orgUsersProbe(ctx context.Context, c Client, _ *state) (int, error) {
	_, _, err := c.OrgUsersPage(ctx, "")
	if err == nil || !jira.IsGone(err) {
		return -1, err
	}
	if _, _, v2Err := c.OrgUsersV2Page(ctx, ""); v2Err != nil {
		return -1, v2Err
	}
	return -1, degradedError{fmt.Sprintf("%s: HTTP %d; a run reads %s instead and loses last active dates and product access",
		jira.OrgUsersV1Endpoint, statusOf(err), jira.OrgUsersV2Endpoint)}
}
