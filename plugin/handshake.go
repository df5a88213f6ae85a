package plugin

import (
	"context"
	"errors"
	"os"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/govextract/jira-extractor/plugin/extractorv1"
)

// ProtocolVersion is the newest plugin protocol version this build speaks.
// Version 2, when it comes, is served beside version 1 in VersionedPlugins.
const ProtocolVersion = 1

// PluginName is the name of the extractor plugin in a plugin set.
const PluginName = "extractor"

// Magic cookie: a basic check that the binary was started by a host that
// knows it is a plugin, not a safety measure.
const (
	MagicCookieKey   = "JIRA_EXTRACTOR_PLUGIN"
	MagicCookieValue = "6d1e4b0f2c9a4f58b3a7e2d1c0f9a8b7-extractor"
)

// Handshake is the go-plugin handshake shared by host and plugin. Its
// ProtocolVersion is only the legacy fallback: both sides use
// VersionedPlugins.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
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

// VersionedPlugins returns the plugin sets per protocol version; srv is nil
// on the host side.
func VersionedPlugins(srv *GRPCServer) map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{
		1: {PluginName: &GRPCPlugin{Service: srv}},
	}
}
