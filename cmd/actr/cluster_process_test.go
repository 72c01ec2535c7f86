package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Three `actr signal` processes, each running a NATS node routed to the
// others' (nothing else installed), are one signaling service: a node
// given the three URLs registers on the first, `actr send` through the
// third reaches it over WebRTC, and when the first server is killed
// (SIGKILL) the node resumes on another with the same ActorID and is
// reached again.
func TestSignalClusterAsProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()
	// Every node must know every route address before any starts:
	// reserve them, then free them for the processes.
	reserve := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}
	var routeAddrs, routes []string
	for range 3 {
		a := reserve()
		routeAddrs = append(routeAddrs, a)
		routes = append(routes, "nats://"+a)
	}
	var sigs []*proc
	var urls []string
	for i := range 3 {
		sigs = append(sigs, startProc(t, fmt.Sprintf("signal %d", i+1), "signal", "--listen", "127.0.0.1:0",
			"--key", filepath.Join(dir, fmt.Sprintf("k%d", i+1)), "--key-id", fmt.Sprint(i+1),
			"--nats-listen", "127.0.0.1:0", "--nats-cluster-listen", routeAddrs[i], "--nats-routes", strings.Join(routes, ","),
			"--server-name", fmt.Sprintf("sig%d", i+1), "--cluster-name", "proc-test"))
	}
	for i, s := range sigs {
		u, _, _ := strings.Cut(s.line(ctx, "signaling server on "), " ")
		urls = append(urls, u)
		if got := s.line(ctx, "cluster "); !strings.Contains(got, fmt.Sprintf("this server is sig%d", i+1)) {
			t.Fatalf("signal %d printed %q", i+1, got)
		}
	}
	n := startProc(t, "node", "node", "--signal", strings.Join(urls, ","), "--loopback-only", "--no-websocket")
	id := n.line(ctx, "actor ")
	send := func(what string) {
		t.Helper()
		for {
			out, errOut, code := runOnce(t, ctx, "send", "--signal", urls[2], "--to", id, "--loopback-only", "--no-websocket", "--timeout", "5s", what)
			if code == 0 {
				if out != what || !strings.Contains(errOut, "over webrtc") {
					t.Fatalf("send through server 3: stdout %q, stderr:\n%s", out, errOut)
				}
				return
			}
			// Server 3 learns where the node is through the directory
			// (after a failover, once the node resumed): not an event
			// this test can wait on.
			if ctx.Err() != nil {
				t.Fatalf("send through server 3: exit %d, stderr:\n%s\nserver 2's stderr:\n%s\nserver 3's stderr:\n%s\nthe node's stderr:\n%s",
					code, errOut, sigs[1].errText(), sigs[2].errText(), n.errText())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	send("across servers")

	_ = sigs[0].cmd.Process.Kill()
	<-sigs[0].exited
	// Reached under the same id: the node resumed on server 2 or 3.
	send("after the failover")
}
