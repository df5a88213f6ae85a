// Package plugin is the extractor plugin protocol over hashicorp/go-plugin and
// gRPC: the handshake (magic cookie, versioned plugin sets), the plugin side
// (Serve, which the jira-extractor binary runs when a host starts it) and the
// host side (Start, which the extraction runner uses to describe, validate and
// run jobs). The wire protocol is plugin/extractorv1/extractor.proto;
// `make proto` regenerates its Go code.
package plugin
