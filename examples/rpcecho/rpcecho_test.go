package rpcecho_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/signalingtest"
)

// The example's server and client, built and run as two processes
// against a signaling server on 127.0.0.1: the client's three calls are
// answered as the example says.
func TestServerAndClientProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two processes")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	url := signalingtest.Start(t, signaling.ServerConfig{}).URL
	dir := t.TempDir()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the example with: %v", err)
	}
	for _, cmd := range []string{"server", "client"} {
		b := exec.CommandContext(ctx, gobin, "build", "-o", filepath.Join(dir, cmd), "./"+cmd)
		if out, err := b.CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", cmd, err, out)
		}
	}
	srv := exec.CommandContext(ctx, filepath.Join(dir, "server"), "--signal", url)
	srv.Stderr = os.Stderr
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = srv.Process.Signal(os.Interrupt)
		_ = srv.Wait()
	}()
	lines := bufio.NewScanner(out)
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "actor ") {
		t.Fatalf("server printed %q (%v)", lines.Text(), lines.Err())
	}
	id := strings.TrimPrefix(lines.Text(), "actor ")
	got, err := exec.CommandContext(ctx, filepath.Join(dir, "client"), "--signal", url, "--to", id, "hello").CombinedOutput()
	if err != nil {
		t.Fatalf("client: %v\n%s", err, got)
	}
	for _, want := range []string{"echo.Echo.Say: hello\n", "acme.Shout:    HELLO (to acme:rpcecho-client:", `acme.Whisper:  error 404 (no handler for route "acme.Whisper")`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("client output lacks %q:\n%s", want, got)
		}
	}
}
