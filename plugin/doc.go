// Package plugin is the extractor plugin protocol over hashicorp/go-plugin and
// gRPC, shared by hosts and plugins: the Go interfaces an extractor
// implements (Extractor; for version 2 also Applier, the write side,
// SinceExtractor for incremental runs, and Reporter for tickets, diffs and
// access questions), the
// handshake (magic cookie, versioned plugin sets: versions 1 and 2 are both
// served), the gRPC glue on both sides (the server that serves an Extractor,
// the client that is one), and Serve, which a plugin binary runs when a host
// starts it.
//
// The host side (start a plugin binary, check its checksum, stop it) is
// package plugin/host; the Jira extractor's implementation lives in the
// jira-extractor binary. The wire protocol is
// plugin/extractorv1/extractor.proto and plugin/extractorv2/extractor.proto
// (which reuses version 1's messages; its calls beyond version 1's are
// ValidatePlan, Apply, ExtractSince, Tickets, Diff and Access, and a client
// of version 1 refuses them with an error wrapping ErrNeedsProtocolV2);
// `make proto` regenerates their Go code.
//
// This package imports only go-plugin, gRPC, protobuf and the generated code,
// so a host does not link what an extractor needs.
package plugin
