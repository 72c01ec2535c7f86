package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is the actr command running as a separate OS process (this test
// binary, re-executed; see TestMain).
type proc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	mu     sync.Mutex
	lines  []string
	stderr strings.Builder
	more   chan struct{} // closed and replaced when a line arrives
	exited chan struct{}
	err    error
}

func startProc(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	return startProcEnv(t, name, childEnv(), args...)
}

// startProcEnv is startProc with the environment env.
func startProcEnv(t *testing.T, name string, env []string, args ...string) *proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, name: name, more: make(chan struct{}), exited: make(chan struct{})}
	p.cmd = exec.Command(exe, args...)
	p.cmd.Env = env
	p.cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.stderr}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			close(p.more)
			p.more = make(chan struct{})
			p.mu.Unlock()
		}
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// childEnv makes the test binary act as actr, and keeps a race-enabled
// child from sleeping a second at exit (the race detector's default).
func childEnv() []string {
	return append(os.Environ(), "ACTR_TEST_MAIN=1", "GORACE=atexit_sleep_ms=0")
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// line waits for a stdout line starting with prefix and returns the rest.
func (p *proc) line(ctx context.Context, prefix string) string {
	p.t.Helper()
	return p.nthLine(ctx, prefix, 1)
}

// nthLine waits for the nth stdout line starting with prefix (the first
// is 1) and returns the rest.
func (p *proc) nthLine(ctx context.Context, prefix string, nth int) string {
	p.t.Helper()
	for i, seen := 0, 0; ; {
		p.mu.Lock()
		for ; i < len(p.lines); i++ {
			if rest, ok := strings.CutPrefix(p.lines[i], prefix); ok {
				if seen++; seen == nth {
					p.mu.Unlock()
					return rest
				}
			}
		}
		more := p.more
		p.mu.Unlock()
		select {
		case <-more:
		case <-p.exited:
			p.t.Fatalf("%s exited (%v) before printing %q; stderr:\n%s", p.name, p.err, prefix, p.errText())
		case <-ctx.Done():
			p.t.Fatalf("%s did not print %q; stderr:\n%s", p.name, prefix, p.errText())
		}
	}
}

func (p *proc) errText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop(ctx context.Context) {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-ctx.Done():
		p.t.Fatalf("%s did not exit after SIGTERM; stderr:\n%s", p.name, p.errText())
	}
	if p.err != nil {
		p.t.Fatalf("%s exited with %v after SIGTERM; stderr:\n%s", p.name, p.err, p.errText())
	}
	// The process is reaped; it started no children of its own.
	if err := syscall.Kill(p.cmd.Process.Pid, 0); err == nil {
		p.t.Fatalf("%s (pid %d) still exists after exiting", p.name, p.cmd.Process.Pid)
	}
}

func httpGet(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %v %s", url, err, resp.Status)
	}
	return string(b)
}

// runOnce runs one actr command to completion.
func runOnce(t *testing.T, ctx context.Context, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runOnceStdin(t, ctx, "", args...)
}

// runOnceStdin is runOnce with stdin.
func runOnceStdin(t *testing.T, ctx context.Context, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = childEnv()
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &errb, strings.NewReader(stdin)
	err = cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code <= 0 {
		t.Fatalf("actr %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// A signaling server and two nodes as separate processes on 127.0.0.1;
// actr send reaches each (over WebRTC, and over WebSocket only), gets the
// echo, and fails clearly for an unknown actor; SIGTERM stops them all.
func TestSignalNodesAndSendAsProcesses(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	key := filepath.Join(dir, "signal.key")

	sig := startProc(t, "signal", "signal", "--listen", "127.0.0.1:0", "--key", key, "--metrics-listen", "127.0.0.1:0")
	url, _, _ := strings.Cut(sig.line(ctx, "signaling server on "), " ")
	sigMetrics, sigStatus := sig.line(ctx, "metrics "), sig.line(ctx, "status ")
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	nodeArgs := []string{"node", "--signal", url, "--loopback-only", "--log"}
	// Node 1 has no gate: WebRTC over shared UDP sockets is its only wire.
	// Node 2 has one, registered with the server, so peers dial it there too.
	n1 := startProc(t, "node 1", append(nodeArgs, "--udp-mux", "--udp-buffer", "1048576", "--metrics-listen", "127.0.0.1:0")...)
	n2 := startProc(t, "node 2", append(nodeArgs, "--ws-listen", "127.0.0.1:0", "--type", "acme:other")...)
	id1 := n1.line(ctx, "actor ")
	n1Metrics, n1Status := n1.line(ctx, "metrics "), n1.line(ctx, "status ")
	id2, gate2 := n2.line(ctx, "actor "), n2.line(ctx, "gate ")

	out, errOut, code := runOnce(t, ctx, "send", "--signal", url, "--to", id1, "--loopback-only", "hello one")
	if code != 0 || out != "hello one" {
		t.Fatalf("send to node 1: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "over webrtc") {
		t.Fatalf("the reply from node 1 did not come over WebRTC: %s", errOut)
	}
	// --log prints what arrived: "message 15:04:05.000 RPC_RELIABLE from ... over webrtc: ..."
	if got := n1.line(ctx, "message "); !strings.Contains(got, `over webrtc: "hello one" (9 bytes)`) {
		t.Fatalf("node 1 logged %q", got)
	}
	out, errOut, code = runOnceStdin(t, ctx, "from stdin", "send", "--signal", url, "--to", id1, "--loopback-only", "--file", "-")
	if code != 0 || out != "from stdin" {
		t.Fatalf("send from stdin to node 1: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	// Node 1's metrics count the echoes it sent over WebRTC and the message
	// it delivered; its status page names it.
	m := httpGet(t, ctx, n1Metrics)
	for _, want := range []string{
		`actr_sent_messages_total{kind="webrtc",payload_type="RPC_RELIABLE"} 2`,
		`actr_inbound_messages_total{outcome="delivered"} 2`,
		`actr_webrtc_sessions_created_total{direction="inbound"} 2`,
	} {
		if !strings.Contains(m, want) {
			t.Fatalf("node 1's metrics lack %q:\n%s", want, m)
		}
	}
	if page := httpGet(t, ctx, n1Status+"?format=json"); !strings.Contains(page, `"actor": "`+id1+`"`) {
		t.Fatalf("node 1's status page:\n%s", page)
	}
	// actr bench against the running node.
	out, errOut, code = runOnce(t, ctx, "bench", "--signal", url, "--to", id1, "--loopback-only", "--count", "100", "--concurrency", "4", "--json")
	if code != 0 || !strings.Contains(out, `"msgs": 100,`) || !strings.Contains(out, `"mode": "remote"`) {
		t.Fatalf("bench against node 1: exit %d, stdout %s, stderr:\n%s", code, out, errOut)
	}
	msgFile := filepath.Join(dir, "message.txt")
	if err := os.WriteFile(msgFile, []byte("hello two"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runOnce(t, ctx, "send", "--signal", url, "--to", id2, "--no-webrtc", "--ws-url", gate2, "--payload-type", "STREAM_RELIABLE", "--file", msgFile)
	if code != 0 || out != "hello two" || !strings.Contains(errOut, "over websocket (STREAM_RELIABLE)") {
		t.Fatalf("send to node 2 over WebSocket: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	t0 := time.Now()
	out, errOut, code = runOnce(t, ctx, "send", "--signal", url, "--to", "acme:echo@1.4242", "--loopback-only", "--timeout", "10s", "anyone?")
	t.Logf("send to an unknown actor failed in %v: %s", time.Since(t0).Round(time.Millisecond), strings.TrimSpace(errOut))
	if code != 1 || out != "" || !strings.Contains(errOut, "unknown or unreachable") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("send to an unknown actor: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}

	if m := httpGet(t, ctx, sigMetrics); !strings.Contains(m, `actr_signaling_registrations_total{kind="registered"} 7`) {
		t.Fatalf("the signaling server's metrics do not count 7 registrations (2 nodes, 4 sends, 1 bench):\n%s", m)
	} else {
		for _, want := range []string{"actr_signaling_open_connections ", `actr_signaling_refusals_total{reason="addr_rate"} 0`,
			`actr_signaling_disconnections_total{reason="peer"}`, "actr_signaling_outbound_queued_bytes "} {
			if !strings.Contains(m, want) {
				t.Fatalf("the signaling server's metrics lack %s:\n%s", want, m)
			}
		}
	}
	// The server's status page counts the two nodes online, in realm 1.
	if page := httpGet(t, ctx, sigStatus+"?format=json"); !strings.Contains(page, `"actors_online": 2,`) || !strings.Contains(page, `"realm": 1,`) {
		t.Fatalf("the signaling server's status page:\n%s", page)
	}
	if page := httpGet(t, ctx, sigStatus); !strings.Contains(page, "actors online") || !strings.Contains(page, `href="/metrics"`) {
		t.Fatalf("the signaling server's status page:\n%s", page)
	}
	// The node's page says its signaling connection is up, links /metrics.
	if page := httpGet(t, ctx, n1Status); !strings.Contains(page, "signaling connected") || !strings.Contains(page, `href="/metrics"`) {
		t.Fatalf("node 1's status page:\n%s", page)
	}
	for _, p := range []*proc{n1, n2, sig} {
		t0 := time.Now()
		p.stop(ctx)
		t.Logf("%s stopped %v after SIGTERM", p.name, time.Since(t0).Round(time.Millisecond))
	}
	// A restarted server reuses its key.
	sig2 := startProc(t, "signal again", "signal", "--listen", "127.0.0.1:0", "--key", key)
	if rest := sig2.line(ctx, "signaling server on "); !strings.Contains(rest, "reused") {
		t.Fatalf("restarted server: %q, want the key reused", rest)
	}
	sig2.stop(ctx)
}

// `actr send --no-reply` exits once what it sent has reached the node: ten
// in a row over WebRTC, the node logs all ten (issue 20: it logged 1 to
// 4 of 10 when Close dropped what SCTP still held).
func TestSendNoReplyDeliversEveryMessage(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	sig := startProc(t, "signal", "signal", "--listen", "127.0.0.1:0", "--key", filepath.Join(t.TempDir(), "signal.key"))
	url, _, _ := strings.Cut(sig.line(ctx, "signaling server on "), " ")
	n := startProc(t, "node", "node", "--signal", url, "--loopback-only", "--log", "--no-echo")
	id := n.line(ctx, "actor ")
	const sends = 10
	for i := range sends {
		_, errOut, code := runOnce(t, ctx, "send", "--signal", url, "--to", id, "--loopback-only", "--no-reply", fmt.Sprintf("no-reply %d", i))
		if code != 0 {
			t.Fatalf("send %d: exit %d, stderr:\n%s", i, code, errOut)
		}
	}
	n.nthLine(ctx, "message ", sends) // fails the test if the node exits first; ctx bounds it
	n.stop(ctx)
	sig.stop(ctx)
}
