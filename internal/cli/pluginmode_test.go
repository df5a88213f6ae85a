package cli

import (
	"bufio"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/govextract/jira-extractor/plugin"
)

// Started with the go-plugin cookie, the binary serves the plugin protocol
// (its first stdout line is the go-plugin handshake) instead of the CLI.
func TestPluginModeServesHandshake(t *testing.T) {
	cmd := exec.Command(bin, "version")
	cmd.Env = append(cleanEnv(), plugin.MagicCookieKey+"="+plugin.MagicCookieValue)
	cmd.Dir = t.TempDir()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
	}()
	select {
	case l := <-line:
		if !strings.HasPrefix(l, "1|") || !strings.Contains(l, "|grpc") || strings.Contains(l, "jira-extractor") {
			t.Fatalf("not a go-plugin handshake: %q", l)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no handshake line within 20s")
	}
}
