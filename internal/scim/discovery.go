package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Capabilities is what the server declares (or the defaults when the
// schema is not read): page size, PATCH, filter and bulk support, the
// resource endpoints and the user's schema extensions.
type Capabilities struct {
	// Discovered reports that the discovery endpoints were read.
	Discovered bool
	// PageSize is the count asked for per list page: at most 100, and at
	// most the server's filter.maxResults (or pagination.maxPageSize).
	PageSize int
	Patch    bool
	Filter   bool
	Bulk     bool
	// UsersPath and GroupsPath are the resource endpoints ("/Users").
	UsersPath, GroupsPath string
	// Extensions are the User schema extensions the server declares.
	Extensions []string
	// Schemas are the schema ids /Schemas lists.
	Schemas []string
}

func defaultCapabilities() Capabilities {
	return Capabilities{PageSize: DefaultPageSize, Patch: true, Filter: true, UsersPath: "/Users", GroupsPath: "/Groups"}
}

// spcPath is the service provider configuration's path: SCIM 1.1 names
// it in the plural.
func (c *Client) spcPath() string {
	if c.o.Version == 1 {
		return "/ServiceProviderConfigs"
	}
	return "/ServiceProviderConfig"
}

// Capabilities returns what the server supports, discovering it once
// when ReadSchema is set; a failed discovery is tried again by the next
// call.
func (c *Client) Capabilities(ctx context.Context) (Capabilities, error) {
	c.capsMu.Lock()
	defer c.capsMu.Unlock()
	if c.caps != nil {
		return *c.caps, nil
	}
	caps := defaultCapabilities()
	if c.o.ReadSchema {
		if err := c.discover(ctx, &caps); err != nil {
			return caps, err
		}
	}
	c.caps = &caps
	return caps, nil
}

type supported struct {
	Supported     bool         `json:"supported"`
	MaxResults    *json.Number `json:"maxResults"`
	MaxPageSize   *json.Number `json:"maxPageSize"`
	MaxOperations *json.Number `json:"maxOperations"`
}

func (c *Client) discover(ctx context.Context, caps *Capabilities) error {
	var spc struct {
		Patch      supported `json:"patch"`
		Filter     supported `json:"filter"`
		Bulk       supported `json:"bulk"`
		Pagination supported `json:"pagination"`
	}
	if err := c.do(ctx, request{method: "GET", path: c.spcPath(), endpoint: "GET " + c.spcPath()}, &spc); err != nil {
		return fmt.Errorf("read the service provider configuration: %w", err)
	}
	caps.Discovered = true
	caps.Patch, caps.Filter, caps.Bulk = spc.Patch.Supported, spc.Filter.Supported, spc.Bulk.Supported
	for _, n := range []*json.Number{spc.Filter.MaxResults, spc.Pagination.MaxPageSize} {
		if n == nil {
			continue
		}
		if v, err := n.Int64(); err == nil && v > 0 && int(v) < caps.PageSize {
			caps.PageSize = int(v)
		}
	}
	if c.o.Version == 2 {
		type resourceType struct {
			Name             string `json:"name"`
			Endpoint         string `json:"endpoint"`
			SchemaExtensions []struct {
				Schema string `json:"schema"`
			} `json:"schemaExtensions"`
		}
		rts, err := getList[resourceType](ctx, c, "/ResourceTypes")
		if err != nil {
			return fmt.Errorf("read the resource types: %w", err)
		}
		for _, rt := range rts {
			ep := "/" + strings.TrimLeft(rt.Endpoint, "/")
			switch rt.Name {
			case "User":
				caps.UsersPath = ep
				for _, e := range rt.SchemaExtensions {
					caps.Extensions = append(caps.Extensions, e.Schema)
				}
			case "Group":
				caps.GroupsPath = ep
			}
		}
	}
	type schema struct {
		ID string `json:"id"`
	}
	bare, err := getList[schema](ctx, c, "/Schemas")
	if err != nil {
		return fmt.Errorf("read the schemas: %w", err)
	}
	for _, s := range bare {
		caps.Schemas = append(caps.Schemas, s.ID)
	}
	c.o.Logger.Info("scim discovery", "version", c.o.Version, "page_size", caps.PageSize, "patch", caps.Patch,
		"filter", caps.Filter, "bulk", caps.Bulk, "users", caps.UsersPath, "groups", caps.GroupsPath, "extensions", caps.Extensions)
	return nil
}

// getList reads a discovery endpoint that answers a ListResponse or, as
// many servers (SCIM 1.1 ones especially) do, a bare JSON array.
func getList[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	var raw json.RawMessage
	if err := c.do(ctx, request{method: "GET", path: path, endpoint: "GET " + path}, &raw); err != nil {
		return nil, err
	}
	var bare []T
	if json.Unmarshal(raw, &bare) == nil {
		return bare, nil
	}
	var list listResponse[T]
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("the answer of %s is neither a list nor a ListResponse", path)
	}
	return list.Resources, nil
}
