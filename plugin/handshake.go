package plugin

import (
	"context"
	"errors"
	"os"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/govextract/jira-extractor/plugin/extractorv1"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

// ProtocolVersion is the newest plugin protocol version this build speaks.
// Version 2 (extractor.v2: version 1 plus ValidatePlan and Apply) is served
// beside version 1 in VersionedPlugins; go-plugin picks the highest version
// both sides offer.
const ProtocolVersion = 2

// ProtocolVersions are the versions this build serves and offers.
var ProtocolVersions = []int{1, 2}

// PluginName is the name of the extractor plugin in a plugin set.
const PluginName = "extractor"

// Magic cookie: a basic check that the binary was started by a host that
// knows it is a plugin, not a safety measure.
const (
	MagicCookieKey   = "JIRA_EXTRACTOR_PLUGIN"
	MagicCookieValue = "6d1e4b0f2c9a4f58b3a7e2d1c0f9a8b7-extractor"
)

// Handshake is the go-plugin handshake shared by host and plugin. Its
// ProtocolVersion is only the legacy fallback (the oldest version): both
// sides use VersionedPlugins.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   MagicCookieKey,
	MagicCookieValue: MagicCookieValue,
}

// IsPluginMode reports whether the process was started by a go-plugin host:
// the magic cookie's variable is set. A wrong value still counts, so that
// Serve reports the mismatch instead of the binary starting its CLI.
func IsPluginMode() bool {
	_, ok := os.LookupEnv(MagicCookieKey)
	return ok
}

// GRPCPlugin is the go-plugin glue of protocol version 1: on the plugin side
// it serves Service (an Extractor behind the ExtractorService); on the host
// side it returns a *GRPCClient.
type GRPCPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	// Service is what the plugin side registers; nil on the host side.
	Service *GRPCServer
}

var _ goplugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers the service on the plugin's gRPC server.
func (p *GRPCPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	if p.Service == nil {
		return errors.New("extractor plugin: no service implementation")
	}
	extractorv1.RegisterExtractorServiceServer(s, p.Service)
	return nil
}

// GRPCClient returns the host side: a *GRPCClient, which is an Extractor.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return NewGRPCClient(extractorv1.NewExtractorServiceClient(c)), nil
}

// GRPCPluginV2 is the go-plugin glue of protocol version 2: on the plugin
// side it serves Service's version 2 service; on the host side it returns a
// *GRPCClient that is also an Applier.
type GRPCPluginV2 struct {
	goplugin.NetRPCUnsupportedPlugin
	// Service is what the plugin side registers; nil on the host side.
	Service *GRPCServer
}

var _ goplugin.GRPCPlugin = (*GRPCPluginV2)(nil)

// GRPCServer registers the version 2 service on the plugin's gRPC server.
func (p *GRPCPluginV2) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	if p.Service == nil {
		return errors.New("extractor plugin: no service implementation")
	}
	extractorv2.RegisterExtractorServiceServer(s, p.Service.V2())
	return nil
}

// GRPCClient returns the host side: a *GRPCClient speaking version 2.
func (p *GRPCPluginV2) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return NewGRPCClientV2(extractorv2.NewExtractorServiceClient(c)), nil
}

// VersionedPlugins returns the plugin sets of the given protocol versions
// (none: ProtocolVersions); srv is nil on the host side. Unknown versions
// are left out.
func VersionedPlugins(srv *GRPCServer, versions ...int) map[int]goplugin.PluginSet {
	if len(versions) == 0 {
		versions = ProtocolVersions
	}
	sets := map[int]goplugin.PluginSet{}
	for _, v := range versions {
		switch v {
		case 1:
			sets[1] = goplugin.PluginSet{PluginName: &GRPCPlugin{Service: srv}}
		case 2:
			sets[2] = goplugin.PluginSet{PluginName: &GRPCPluginV2{Service: srv}}
		}
	}
	return sets
}
