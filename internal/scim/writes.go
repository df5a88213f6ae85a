package scim

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// WriteClass classifies the answer to a write, as the apply engine needs
// it: a write is sent once and never retried here.
type WriteClass int

// The write classes; the zero value is WriteUnknown, so an unclassified
// failure is never taken for one that surely changed nothing.
const (
	// WriteUnknown: it may or may not have taken effect (a 5xx, a dropped
	// connection, a timeout after the request was sent).
	WriteUnknown WriteClass = iota
	// WriteDone: the server made the change (2xx).
	WriteDone
	// WriteAlready: the server says it is already so (409 uniqueness on a
	// create).
	WriteAlready
	// WriteRejected: refused, nothing changed (a 4xx other than 429).
	WriteRejected
	// WriteThrottled: refused for now, nothing changed (429, a 503 with
	// Retry-After, or a 401 for an expired OAuth token, which is renewed
	// before the next attempt).
	WriteThrottled
)

// WriteResult is the answer to one write.
type WriteResult struct {
	Class      WriteClass
	Status     int
	RetryAfter time.Duration
	// Message is the server's SCIM error detail (no credential).
	Message string
}

// write sends r once and classifies the answer.
func (c *Client) write(ctx context.Context, r request) WriteResult {
	resp, sent, err := c.send(ctx, r)
	switch {
	case err != nil && IsAuth(err):
		return WriteResult{Class: WriteRejected, Message: err.Error()}
	case err != nil && !sent:
		return WriteResult{Class: WriteRejected, Message: "not sent: " + err.Error()}
	case err != nil && IsFinal(err): // a refused redirect: the server did not take the write
		return WriteResult{Class: WriteRejected, Message: err.Error()}
	case err != nil:
		return WriteResult{Class: WriteUnknown, Message: err.Error()}
	}
	res := WriteResult{Status: resp.status}
	if resp.status < 300 {
		res.Class = WriteDone
		return res
	}
	e := c.errorOf(r, resp)
	res.Message = e.Error()
	switch {
	case resp.status == http.StatusTooManyRequests:
		c.throttled.Add(1)
		c.lim.Slow(r.endpoint)
		res.Class, res.RetryAfter = WriteThrottled, c.retryAfter(resp.header)
	case resp.status == http.StatusServiceUnavailable && resp.header.Get("Retry-After") != "":
		res.Class, res.RetryAfter = WriteThrottled, c.retryAfter(resp.header)
	case resp.status == http.StatusUnauthorized && c.auth.invalidate():
		res.Class = WriteThrottled
	case resp.status == http.StatusConflict && strings.EqualFold(e.ScimType, "uniqueness"):
		res.Class = WriteAlready
	case resp.status >= 500:
		res.Class = WriteUnknown
	default:
		res.Class = WriteRejected
	}
	return res
}

func (c *Client) userPath(caps Capabilities, id string) (string, string) {
	return caps.UsersPath + "/" + url.PathEscape(id), caps.UsersPath + "/{id}"
}

func (c *Client) coreSchema(kind string) string {
	if c.o.Version == 1 {
		return URNCore1
	}
	if kind == "Group" {
		return URNGroup2
	}
	return URNUser2
}

// capsOrReject returns the capabilities, or a rejected result when they
// cannot be read (nothing was sent).
func (c *Client) capsOrReject(ctx context.Context) (Capabilities, *WriteResult) {
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return caps, &WriteResult{Class: WriteRejected, Message: "not sent: " + err.Error()}
	}
	return caps, nil
}

// CreateUser provisions a user with userName and primary email email.
func (c *Client) CreateUser(ctx context.Context, email, displayName string) WriteResult {
	caps, rej := c.capsOrReject(ctx)
	if rej != nil {
		return *rej
	}
	body := map[string]any{"schemas": []string{c.coreSchema("User")}, "userName": email, "active": true,
		"emails": []map[string]any{{"value": email, "type": "work", "primary": true}}}
	if displayName != "" {
		body["displayName"] = displayName
	}
	return c.write(ctx, request{method: "POST", path: caps.UsersPath, endpoint: "POST " + caps.UsersPath, body: body})
}

// DeleteUser deprovisions a user.
func (c *Client) DeleteUser(ctx context.Context, id string) WriteResult {
	caps, rej := c.capsOrReject(ctx)
	if rej != nil {
		return *rej
	}
	p, ep := c.userPath(caps, id)
	return c.write(ctx, request{method: "DELETE", path: p, endpoint: "DELETE " + ep})
}

// SetActive deactivates or reactivates a user: PATCH active where the
// server supports PATCH (a PatchOp in 2.0, a partial resource in 1.1),
// else PUT of the user as read with active changed.
func (c *Client) SetActive(ctx context.Context, id string, active bool) WriteResult {
	caps, rej := c.capsOrReject(ctx)
	if rej != nil {
		return *rej
	}
	p, ep := c.userPath(caps, id)
	if caps.Patch {
		body := map[string]any{"schemas": []string{URNPatchOp},
			"Operations": []map[string]any{{"op": "replace", "path": "active", "value": active}}}
		if c.o.Version == 1 {
			body = map[string]any{"schemas": []string{URNCore1}, "active": active}
		}
		return c.write(ctx, request{method: "PATCH", path: p, endpoint: "PATCH " + ep, body: body})
	}
	u, err := c.GetUser(ctx, id)
	if err != nil {
		return readFailed(err)
	}
	put := map[string]any{}
	for k, v := range u {
		if k != "meta" {
			put[k] = v
		}
	}
	put["active"] = active
	return c.write(ctx, request{method: "PUT", path: p, endpoint: "PUT " + ep, body: put})
}

// readFailed is the result of a write whose preparing read failed:
// nothing was sent.
func readFailed(err error) WriteResult {
	var e *Error
	if errors.As(err, &e) {
		return WriteResult{Class: WriteRejected, Status: e.Status, Message: "not sent: " + err.Error()}
	}
	return WriteResult{Class: WriteRejected, Message: "not sent: " + err.Error()}
}

// SetMember adds (add true) or removes a user from a group: PATCH
// members where supported, else PUT of the group with its members
// changed.
func (c *Client) SetMember(ctx context.Context, groupID, userID string, add bool) WriteResult {
	caps, rej := c.capsOrReject(ctx)
	if rej != nil {
		return *rej
	}
	p, ep := caps.GroupsPath+"/"+url.PathEscape(groupID), caps.GroupsPath+"/{id}"
	if caps.Patch {
		var body map[string]any
		switch {
		case c.o.Version == 1 && add:
			body = map[string]any{"schemas": []string{URNCore1}, "members": []map[string]any{{"value": userID}}}
		case c.o.Version == 1:
			body = map[string]any{"schemas": []string{URNCore1}, "members": []map[string]any{{"value": userID, "operation": "delete"}}}
		case add:
			body = map[string]any{"schemas": []string{URNPatchOp}, "Operations": []map[string]any{
				{"op": "add", "path": "members", "value": []map[string]any{{"value": userID}}}}}
		default:
			body = map[string]any{"schemas": []string{URNPatchOp}, "Operations": []map[string]any{
				{"op": "remove", "path": "members[value eq " + filterString(userID) + "]"}}}
		}
		return c.write(ctx, request{method: "PATCH", path: p, endpoint: "PATCH " + ep, body: body})
	}
	g, err := c.GetGroup(ctx, groupID)
	if err != nil {
		return readFailed(err)
	}
	members := []map[string]any{}
	for _, m := range g.Members() {
		if m.ID != userID {
			members = append(members, map[string]any{"value": m.ID})
		}
	}
	if add {
		members = append(members, map[string]any{"value": userID})
	}
	body := map[string]any{"schemas": []string{c.coreSchema("Group")}, "displayName": g.DisplayName(), "members": members}
	return c.write(ctx, request{method: "PUT", path: p, endpoint: "PUT " + ep, body: body})
}
