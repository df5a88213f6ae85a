// Package plugin is the extractor plugin protocol over hashicorp/go-plugin and
// gRPC, shared by hosts and plugins: the Go interface an extractor implements
// (Extractor), the handshake (magic cookie, versioned plugin sets), the gRPC
// glue on both sides (the server that serves an Extractor, the client that is
// one), and Serve, which a plugin binary runs when a host starts it.
//
// The host side (start a plugin binary, check its checksum, stop it) is
// package plugin/host; the Jira extractor's implementation lives in the
// jira-extractor binary. The wire protocol is
// plugin/extractorv1/extractor.proto; `make proto` regenerates its Go code.
//
// This package imports only go-plugin, gRPC, protobuf and the generated code,
// so a host does not link what an extractor needs.
package plugin
