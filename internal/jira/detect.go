package jira

import (
	"context"
	"errors"
	"fmt"
	"net/url"
)

// Detect finds out the token kind and sets the
// API base of every later call:
//
//   - GET {site}/rest/api/3/myself: 200 → unscoped, base = site.
//   - 401 → GET {site}/_edge/tenant_info for the cloudId, then
//     GET {gateway}/ex/jira/{cloudId}/rest/api/3/myself: 200 → scoped, base =
//     {gateway}/ex/jira/{cloudId}; 401 "scope does not match" →
//     *AuthError{MissingScope: true}; any other 401 → *AuthError "token is
//     invalid or expired".
//
// 401 and 403 are never retried, so a bad token fails within a few requests.
func (c *Client) Detect(ctx context.Context) (Identity, error) {
	site := c.opts.SiteURL
	me, err := getJSON[Myself](ctx, c, call{route: routeMyself, url: site + "/rest/api/3/myself", auth: authBasic})
	if err == nil {
		return c.setIdentity(Identity{Kind: Unscoped, Myself: me, APIBase: site}), nil
	}
	var siteAuth *AuthError
	if !errors.As(err, &siteAuth) {
		return Identity{}, fmt.Errorf("detect token kind at %s: %w", site, err)
	}
	if siteAuth.MissingScope {
		return Identity{}, siteAuth
	}

	info, err := getJSON[struct {
		CloudID string `json:"cloudId"`
	}](ctx, c, call{route: routeTenantInfo, url: site + "/_edge/tenant_info", auth: authNone})
	if err != nil || info.CloudID == "" {
		if ctx.Err() != nil {
			return Identity{}, fmt.Errorf("detect token kind: %w", ctx.Err())
		}
		if err == nil {
			err = errors.New("tenant_info has no cloudId")
		}
		// The site refused the token and we cannot try the gateway: report
		// the site's refusal, with the reason the gateway was not tried.
		siteAuth.Err = fmt.Errorf("could not look up the cloud id to try it as a scoped token: %w", err)
		return Identity{}, siteAuth
	}

	base := c.opts.GatewayURL + "/ex/jira/" + url.PathEscape(info.CloudID)
	me, err = getJSON[Myself](ctx, c, call{route: routeMyself, url: base + "/rest/api/3/myself", auth: authBasic})
	if err != nil {
		var gwAuth *AuthError
		if errors.As(err, &gwAuth) {
			if !gwAuth.MissingScope {
				gwAuth.Message = "token is invalid or expired (refused by the site and, as a scoped token, by the gateway): check appConfig.token (EMAIL:API_TOKEN)"
				if len(siteAuth.Server) > 0 && len(gwAuth.Server) == 0 {
					gwAuth.Server = siteAuth.Server
				}
				if siteAuth.password {
					gwAuth.Message = siteAuth.Message
				}
			}
			return Identity{}, gwAuth
		}
		return Identity{}, fmt.Errorf("detect token kind at the gateway %s: %w", c.opts.GatewayURL, err)
	}
	return c.setIdentity(Identity{Kind: Scoped, CloudID: info.CloudID, Myself: me, APIBase: base}), nil
}

func (c *Client) setIdentity(id Identity) Identity {
	c.mu.Lock()
	c.id = id
	c.mu.Unlock()
	c.log.Info("jira token detected", "kind", string(id.Kind), "api_base", id.APIBase, "account_type", id.Myself.AccountType)
	return id
}
