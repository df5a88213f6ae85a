// Package host is the host side of the extractor plugin protocol: it starts
// a plugin binary (after checking its SHA-256 when asked), completes the
// go-plugin handshake (offering protocol versions 2 and 1), and runs jobs
// and, under version 2, plans through the plugin, turning
// a crashed or killed plugin process into clear errors that quote the
// plugin's last stderr lines.
package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/govextract/jira-extractor/plugin"
	"github.com/govextract/jira-extractor/plugin/extractorv1"
	"github.com/govextract/jira-extractor/plugin/extractorv2"
)

// Config says which plugin binary a host starts and how.
type Config struct {
	// Path of the plugin binary.
	Path string
	// SHA256, if set, is the binary's expected checksum in hex; a binary
	// that does not match is not started.
	SHA256 string
	// Logger receives the host's and the plugin's logs (the plugin's
	// stderr records at their own levels); nil discards them.
	Logger hclog.Logger
	// LogLevel is passed to the plugin as its log level; empty keeps the
	// plugin's default (info).
	LogLevel string
	// StartTimeout bounds the handshake; 0 means 30 s.
	StartTimeout time.Duration
	// Env is added to the plugin's environment (after the host's own).
	Env []string
	// CancelGrace bounds how long Extract waits, once its context ends,
	// for the plugin to abort the run, remove its part files and report
	// the Result; 0 means plugin.DefaultCancelGrace.
	CancelGrace time.Duration

	// Handshake and Versions replace the protocol's handshake and the
	// offered protocol versions (default plugin.ProtocolVersions). For
	// tests (of mismatches, of an older host) only.
	Handshake *goplugin.HandshakeConfig
	Versions  []int
}

// Host is a started extractor plugin.
type Host struct {
	path    string
	client  *goplugin.Client
	ext     *plugin.GRPCClient
	stderr  *tailWriter
	version int
}

// ErrPluginExited is wrapped by errors from a plugin process that crashed or
// was killed while the host was using it.
var ErrPluginExited = errors.New("plugin process exited")

// ErrChecksumMismatch is wrapped when the binary does not match Config.SHA256.
var ErrChecksumMismatch = errors.New("plugin checksum mismatch")

// Start starts the plugin binary, completes the go-plugin handshake (magic
// cookie, protocol version negotiation, automatic mTLS) and returns the
// connected host. Call Kill when done: it stops the plugin process.
func Start(cfg Config) (*Host, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	hs := plugin.Handshake
	if cfg.Handshake != nil {
		hs = *cfg.Handshake
	}
	versions := plugin.VersionedPlugins(nil, cfg.Versions...)
	for _, v := range cfg.Versions {
		if _, ok := versions[v]; !ok { // a version this build does not know: tests of mismatches
			versions[v] = goplugin.PluginSet{plugin.PluginName: &plugin.GRPCPlugin{}}
		}
	}
	var secure *goplugin.SecureConfig
	if cfg.SHA256 != "" {
		want, err := hex.DecodeString(strings.TrimSpace(cfg.SHA256))
		if err != nil || len(want) != sha256.Size {
			return nil, fmt.Errorf("--plugin-sha256 %q is not a hex SHA-256 (64 hex digits)", cfg.SHA256)
		}
		secure = &goplugin.SecureConfig{Checksum: want, Hash: sha256.New()}
		if err := checkSum(cfg.Path, want); err != nil {
			return nil, err
		}
	}
	timeout := cfg.StartTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	// The plugin inherits the host's environment (AWS credentials, proxies,
	// HOME); the host's own settings come after it so they win.
	cmd := exec.Command(cfg.Path)
	cmd.Env = append(os.Environ(), cfg.Env...)
	if cfg.LogLevel != "" {
		cmd.Env = append(cmd.Env, plugin.LogLevelEnv+"="+cfg.LogLevel)
	}
	tail := &tailWriter{max: 12}
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  hs,
		VersionedPlugins: versions,
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true, // already in cmd.Env, before the host's settings
		SecureConfig:     secure,
		Logger:           logger,
		Stderr:           tail,
		StartTimeout:     timeout,
	})
	h := &Host{path: cfg.Path, client: client, stderr: tail}
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, h.startError(err)
	}
	raw, err := rpc.Dispense(plugin.PluginName)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("plugin %s: dispense %q: %w", cfg.Path, plugin.PluginName, err)
	}
	ext, ok := raw.(*plugin.GRPCClient)
	if !ok {
		client.Kill()
		return nil, fmt.Errorf("plugin %s: dispensed %T, not an extractor client", cfg.Path, raw)
	}
	ext.CancelGrace = cfg.CancelGrace
	h.ext = ext
	h.version = client.NegotiatedVersion()
	return h, nil
}

// startError explains why the plugin could not be started.
func (h *Host) startError(err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, goplugin.ErrChecksumsDoNotMatch):
		return fmt.Errorf("plugin %s does not match --plugin-sha256; refusing to start it: %w", h.path, ErrChecksumMismatch)
	case strings.Contains(msg, "incompatible API version"):
		return fmt.Errorf("plugin %s speaks another protocol version than this runner (%s): upgrade the runner or the plugin", h.path, msg)
	case strings.Contains(msg, "exited before we could connect"), strings.Contains(msg, "Unrecognized remote plugin message"), strings.Contains(msg, "timeout while waiting"):
		return fmt.Errorf("plugin %s did not complete the go-plugin handshake (not an extractor plugin, a wrong magic cookie, or it failed at start): %s%s", h.path, firstLine(msg), h.stderr.suffix())
	}
	return fmt.Errorf("start plugin %s: %w%s", h.path, err, h.stderr.suffix())
}

// checkSum compares the binary's SHA-256 with want, naming both on mismatch.
func checkSum(path string, want []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open plugin %s to check its sha256: %w", path, err)
	}
	defer f.Close()
	hash := sha256.New()
	if _, err := io.Copy(hash, f); err != nil {
		return fmt.Errorf("read plugin %s to check its sha256: %w", path, err)
	}
	if got := hash.Sum(nil); string(got) != string(want) {
		return fmt.Errorf("plugin %s has sha256 %x, but --plugin-sha256 is %x; refusing to start it: %w", path, got, want, ErrChecksumMismatch)
	}
	return nil
}

// ValidatePlan asks the plugin to check a job and a plan; the response
// lists every problem. It needs protocol version 2 (see Apply).
func (h *Host) ValidatePlan(ctx context.Context, req *extractorv2.ValidatePlanRequest) (*extractorv2.ValidatePlanResponse, error) {
	resp, err := h.ext.ValidatePlan(ctx, req)
	if err != nil {
		return nil, h.applyError(ctx, "ValidatePlan", err)
	}
	return resp, nil
}

// Apply applies a plan through the plugin, passing every event but the
// last to onEvent, and returns the ApplyResult. A plugin that speaks
// protocol version 1 only gives an error wrapping
// plugin.ErrNeedsProtocolV2 before anything is sent.
//
// When ctx ends, the apply is cancelled but the call goes on, as in
// Extract: the plugin starts no more actions, lets those under way finish,
// writes the actions table and reports the result (status "cancelled"),
// which Apply returns with a nil error; after Config.CancelGrace without
// it, Apply returns an error wrapping plugin.ErrNoResultInGrace.
func (h *Host) Apply(ctx context.Context, req *extractorv2.ApplyRequest, onEvent func(*extractorv2.ApplyResponse)) (*extractorv2.ApplyResult, error) {
	res, err := h.ext.Apply(ctx, req, forward(onEvent))
	if err != nil {
		return nil, h.applyError(ctx, "Apply", err)
	}
	return res, nil
}

// forward is the client's send for an optional onEvent.
func forward[E any](onEvent func(*E)) func(*E) error {
	return func(ev *E) error {
		if onEvent != nil {
			onEvent(ev)
		}
		return nil
	}
}

// applyError is rpcError for the calls of version 2.
func (h *Host) applyError(ctx context.Context, op string, err error) error {
	switch {
	case errors.Is(err, plugin.ErrNeedsProtocolV2):
		return fmt.Errorf("plugin %s (protocol version %d): %w", h.path, h.version, err)
	case errors.Is(err, plugin.ErrNoResultInGrace), errors.Is(err, plugin.ErrNoResult):
		return fmt.Errorf("plugin %s: %w", h.path, err)
	case status.Code(err) == codes.Unimplemented:
		return fmt.Errorf("plugin %s does not implement %s: %s", h.path, op, status.Convert(err).Message())
	}
	return h.rpcError(ctx, op, err)
}

// ProtocolVersion returns the protocol version negotiated with the plugin.
func (h *Host) ProtocolVersion() int { return h.version }

// Pid is the plugin process's id, 0 if it is not running.
func (h *Host) Pid() int {
	if rc := h.client.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// Exited reports whether the plugin process has exited.
func (h *Host) Exited() bool { return h.client.Exited() }

// Kill stops the plugin process (gracefully, then forcibly after 2 s) and
// waits for it. Safe to call more than once.
func (h *Host) Kill() { h.client.Kill() }

// Describe asks the plugin to describe itself.
func (h *Host) Describe(ctx context.Context) (*extractorv1.DescribeResponse, error) {
	resp, err := h.ext.Describe(ctx)
	if err != nil {
		return nil, h.rpcError(ctx, "Describe", err)
	}
	return resp, nil
}

// Validate asks the plugin to check a job; the response lists its problems.
func (h *Host) Validate(ctx context.Context, job *extractorv1.Job) (*extractorv1.ValidateResponse, error) {
	resp, err := h.ext.Validate(ctx, job)
	if err != nil {
		return nil, h.rpcError(ctx, "Validate", err)
	}
	return resp, nil
}

// Extract runs a job, passing every event but the last to onEvent, and
// returns the final Result.
//
// When ctx ends (a signal, a timeout), the run is cancelled but the call
// goes on: the plugin aborts the run, removes its part files and reports
// the Result (status "cancelled", removed_files), which Extract returns
// with a nil error. If that takes longer than Config.CancelGrace, Extract
// returns an error wrapping plugin.ErrNoResultInGrace.
func (h *Host) Extract(ctx context.Context, req *extractorv1.ExtractRequest, onEvent func(*extractorv1.ExtractResponse)) (*extractorv1.Result, error) {
	res, err := h.ext.Extract(ctx, req, forward(onEvent))
	switch {
	case err == nil:
		return res, nil
	case errors.Is(err, plugin.ErrNoResultInGrace):
		return nil, fmt.Errorf("plugin %s: %w", h.path, err)
	case errors.Is(err, plugin.ErrNoResult):
		return nil, fmt.Errorf("plugin %s: %w", h.path, err)
	}
	return nil, h.rpcError(ctx, "Extract", err)
}

// rpcError explains an RPC failure: the caller's cancellation, the plugin
// process dying, or an error (such as a recovered panic) in the plugin.
func (h *Host) rpcError(ctx context.Context, op string, err error) error {
	st, _ := status.FromError(err)
	if ctxErr := ctx.Err(); ctxErr != nil && (errors.Is(err, ctxErr) || st.Code() == codes.Canceled || st.Code() == codes.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, ctxErr)
	}
	if st.Code() == codes.Internal && strings.HasPrefix(st.Message(), "plugin panic") {
		// Recovered inside the plugin, which is still running.
		return fmt.Errorf("plugin %s: %s failed: %s", h.path, op, st.Message())
	}
	// A dying plugin shows up as any of several transport errors
	// (Unavailable, Canceled, Internal RST_STREAM, ...): give the process a
	// moment to be reaped before deciding.
	if h.waitExited(3 * time.Second) {
		return fmt.Errorf("plugin %s crashed or was killed during %s: %w%s", h.path, op, ErrPluginExited, h.stderr.suffix())
	}
	if st.Code() == codes.Unavailable {
		return fmt.Errorf("lost the connection to plugin %s during %s: %s", h.path, op, st.Message())
	}
	return fmt.Errorf("plugin %s: %s failed: %s", h.path, op, st.Message())
}

// waitExited polls for the plugin process to be reaped, up to d.
func (h *Host) waitExited(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if h.client.Exited() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
