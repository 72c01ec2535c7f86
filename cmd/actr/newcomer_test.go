package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/signaling"
)

// The behaviours a newcomer trips over (issue 20), each through the actr
// process as a user runs it.

// Usage asked for is output: --help prints on stdout and exits 0, for
// actr itself and for every command (so `actr node --help | grep udp`
// finds the UDP flags).
func TestHelpOnStdoutExitZero(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	out, errOut, code := runOnce(t, ctx, "--help")
	if code != 0 || !strings.Contains(out, "Usage: actr <command>") || errOut != "" {
		t.Fatalf("actr --help: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, c := range commands {
		out, errOut, code := runOnce(t, ctx, c.name, "--help")
		if code != 0 || !strings.Contains(out, "Usage: actr "+c.name) || !strings.Contains(out, "-log-level") || errOut != "" {
			t.Fatalf("actr %s --help: exit %d, stdout %q, stderr %q", c.name, code, out, errOut)
		}
	}
	out, _, _ = runOnce(t, ctx, "node", "--help")
	if n := strings.Count(out, "udp"); n < 3 {
		t.Fatalf("actr node --help mentions udp %d times on stdout:\n%s", n, out)
	}
	// No command at all is a bad command line: usage on stderr, exit 2.
	if out, errOut, code := runOnce(t, ctx); code != 2 || out != "" || !strings.Contains(errOut, "Usage") {
		t.Fatalf("actr: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// actr version names the module, its version and the VCS revision (or
// says that the build recorded none).
func TestVersion(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, errOut, code := runOnce(t, ctx, "version")
	if code != 0 || !strings.HasPrefix(out, "actr github.com/actr-go/actr ") || !strings.Contains(out, " revision ") ||
		!strings.Contains(out, "go1.") || strings.Count(out, "\n") != 1 {
		t.Fatalf("actr version: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// A --signal without a scheme says what is wrong and what to write, not
// Go's URL parser's complaint.
func TestSignalURLWithoutScheme(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for _, cmd := range [][]string{
		{"node", "--signal", "127.0.0.1:7000"},
		{"send", "--signal", "127.0.0.1:7000", "--to", "acme:echo@1.5", "hi"},
	} {
		out, errOut, code := runOnce(t, ctx, cmd...)
		if code != 2 || out != "" || !strings.Contains(errOut, "want a ws:// or wss:// URL") ||
			!strings.Contains(errOut, "e.g. ws://127.0.0.1:7000/") || strings.Contains(errOut, "first path segment") {
			t.Fatalf("actr %v: exit %d, stdout %q, stderr %q", cmd, code, out, errOut)
		}
	}
}

// signalServer is an embedded signaling server on 127.0.0.1, whose
// counters the test reads.
func signalServer(t *testing.T) (*signaling.Server, string) {
	t.Helper()
	iss, err := auth.GenerateIssuer(1)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := signaling.NewServer(signaling.ServerConfig{Issuer: iss, DefaultPolicy: signaling.RegistrationPolicy{Open: true}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := srv.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = ln.Close()
		_ = srv.Close()
	})
	return srv, ln.URL()
}

// A node whose gate port or metrics port is taken fails before it
// registers and before it prints its actor line: binding comes first.
func TestNodeBindsBeforeRegistering(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	srv, url := signalServer(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	for _, flag := range []string{"--ws-listen", "--metrics-listen"} {
		out, errOut, code := runOnce(t, ctx, "node", "--signal", url, "--loopback-only", flag, addr)
		if code != 1 || strings.Contains(out, "actor ") || !strings.Contains(errOut, addr) || !strings.Contains(errOut, "address already in use") {
			t.Fatalf("node %s on a taken port: exit %d, stdout %q, stderr %q", flag, code, out, errOut)
		}
		if n := srv.Counters().Registrations.Load(); n != 0 {
			t.Fatalf("node %s on a taken port registered (%d) before failing", flag, n)
		}
	}
}

// actr send writes exactly the bytes of the reply (200,000 in, 200,000
// out), and actr node --log prints one bounded line for a big message.
func TestSendOutputIsTheReplyAndLogIsBounded(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	_, url := signalServer(t)
	n := startProc(t, "node", "node", "--signal", url, "--loopback-only", "--log")
	id := n.line(ctx, "actor ")
	out, errOut, code := runOnce(t, ctx, "send", "--signal", url, "--to", id, "--loopback-only", "hi")
	if code != 0 || out != "hi" {
		t.Fatalf("send hi: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	if line := n.line(ctx, "message "); !strings.HasSuffix(line, `: "hi" (2 bytes)`) {
		t.Fatalf("node --log printed %q", line)
	}
	msg := bytes.Repeat([]byte("0123456789\x00\xff\n"), 200_000/13+1)[:200_000]
	file := filepath.Join(t.TempDir(), "msg")
	if err := os.WriteFile(file, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runOnce(t, ctx, "send", "--signal", url, "--to", id, "--loopback-only", "--file", file)
	if code != 0 || out != string(msg) {
		t.Fatalf("send: exit %d, %d bytes on stdout, want the %d sent; stderr:\n%s", code, len(out), len(msg), errOut)
	}
	line := n.nthLine(ctx, "message ", 2)
	if len(line) > 300 || !strings.Contains(line, "(200000 bytes)") || !strings.Contains(line, `"0123456789\x00\xff\n`) {
		t.Fatalf("node --log printed %d bytes for a 200,000-byte message: %q", len(line), line)
	}
	n.stop(ctx)
}

// actr signal keeps its key in the user's configuration directory by
// default, says where, and writes it only once it listens: a failed
// listen leaves no key file behind.
func TestSignalKeyLocation(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	home := t.TempDir()
	work := t.TempDir()
	env := append(childEnv(), "XDG_CONFIG_HOME="+filepath.Join(home, "config"), "HOME="+home)
	want := filepath.Join(home, "config", "actr", "signal.key")
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	run := func(args ...string) (string, string, int) {
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Env, cmd.Dir = env, work
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		_ = cmd.Run()
		return out.String(), errb.String(), cmd.ProcessState.ExitCode()
	}
	for _, args := range [][]string{
		{"signal", "--listen", taken.Addr().String()},
		{"signal", "--listen", "127.0.0.1:0", "--metrics-listen", taken.Addr().String()},
	} {
		out, errOut, code := run(args...)
		if code != 1 || !strings.Contains(errOut, "address already in use") {
			t.Fatalf("actr %v on a taken port: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
		for _, p := range []string{want, filepath.Join(work, "actr-signal.key"), filepath.Join(work, "signal.key")} {
			if _, err := os.Stat(p); err == nil {
				t.Fatalf("actr %v failed to listen and left %s", args, p)
			}
		}
	}
	// Started for real, it writes the key there (0600) and says so.
	sig := startProcEnv(t, "signal", env, "signal", "--listen", "127.0.0.1:0")
	if rest := sig.line(ctx, "signaling server on "); !strings.Contains(rest, "generated in "+want) {
		t.Fatalf("signal printed %q, want the key generated in %s", rest, want)
	}
	if fi, err := os.Stat(want); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the key file %s: %v %v", want, err, fi)
	}
	sig.stop(ctx)
	entries, err := os.ReadDir(work)
	if err != nil || len(entries) != 0 {
		t.Fatalf("actr signal wrote into the working directory: %v %v", entries, err)
	}
}

// A registration refused for its realm secret says which of three things
// happened (none presented, a wrong one, a realm the server admits nobody
// into) and what to do, without naming protocol headers; a refusal is not
// retried.
func TestRealmSecretRefusalsAreDistinct(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secrets, wrong := write("secrets", "1=one\n"), write("wrong", "two\n")
	sig := startProc(t, "signal", "signal", "--listen", "127.0.0.1:0", "--key", filepath.Join(dir, "k"), "--policy", "secret", "--secret-file", secrets)
	url, _, _ := strings.Cut(sig.line(ctx, "signaling server on "), " ")
	seen := map[string]bool{}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--to", "acme:echo@1.5"}, []string{"realm 1 requires its realm secret and none was presented", "--secret-file FILE or ACTR_REALM_SECRET"}},
		{[]string{"--to", "acme:echo@1.5", "--secret-file", wrong}, []string{"the realm secret presented is not realm 1's", "check that it holds realm 1's secret"}},
		{[]string{"--to", "acme:echo@3.5", "--realm", "3"}, []string{"realm 3 admits no registration on this server"}},
	} {
		t0 := time.Now()
		out, errOut, code := runOnce(t, ctx, append(append([]string{"send", "--signal", url, "--timeout", "10s"}, tc.args...), "hi")...)
		took := time.Since(t0)
		if code != 1 || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Fatalf("send %v: exit %d, stdout %q, stderr %q", tc.args, code, out, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Fatalf("send %v: stderr %q does not say %q", tc.args, errOut, w)
			}
		}
		if strings.Contains(errOut, "X-Actr") || strings.Contains(errOut, "header") || seen[errOut] {
			t.Fatalf("send %v: stderr %q", tc.args, errOut)
		}
		seen[errOut] = true
		if took > 5*time.Second {
			t.Fatalf("send %v took %v to fail: a refusal was retried", tc.args, took)
		}
	}
	sig.stop(ctx)
}
