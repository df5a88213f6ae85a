package pipeline

import (
	"context"
	"fmt"

	"github.com/govextract/jira-extractor/internal/jira"
)

// orgUsersScope is the warning scope of the org accounts listing.
const orgUsersScope = "org users"

// v1Gone reports whether err says the Admin API v1 users listing is gone.
func (r *run) v1Gone(err error) bool {
	if r.opts.IsGone != nil {
		return r.opts.IsGone(err)
	}
	return r.notFound(err)
}

// readAdminUsersV2 reads the org's accounts from the Admin API v2 directory
// users listing after the v1 listing answered v1Err, and warns that the
// v1-only fields (last active dates, product access) are not extracted.
func (r *run) readAdminUsersV2(ctx context.Context, v1Err error) (*orgAccounts, error) {
	r.warn(orgUsersScope, fmt.Errorf("%s is not available (%v): org accounts read from %s instead; "+
		"last active dates and product access are not extracted", jira.OrgUsersV1Endpoint, v1Err, jira.OrgUsersV2Endpoint))
	out := newOrgAccounts()
	out.productsUnknown = true
	return r.readOrgUsers(ctx, "admin org users (v2)", r.src.OrgUsersV2Page, out)
}
