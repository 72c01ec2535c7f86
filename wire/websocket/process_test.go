package websocket_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire"
	"github.com/actr-go/actr/wire/websocket"
)

// The helper process: the test binary re-executed with these variables set
// runs an echo node behind a gate instead of the tests.
const (
	helperEnv     = "ACTR_WS_TEST_HELPER" // the node's ActorID
	helperAddrEnv = "ACTR_WS_TEST_HELPER_ADDR"
	helperKeyEnv  = "ACTR_WS_TEST_HELPER_PUBKEY" // hex Ed25519 public key, key id 7
)

// runHelperNode serves an echo node until its stdin closes.
func runHelperNode() int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "helper:", err); return 1 }
	id, err := protocol.ParseActorID(os.Getenv(helperEnv))
	if err != nil {
		return fail(err)
	}
	pub, err := hex.DecodeString(os.Getenv(helperKeyEnv))
	if err != nil {
		return fail(err)
	}
	noEndpoints := func(context.Context, protocol.ActorID) (string, error) { return "", nil }
	b, err := wire.NewDefaultWireBuilder(wire.Config{WebSocket: wire.WebSocketConfig{
		Enabled: true, Resolve: noEndpoints, Dialer: &websocket.Dialer{Local: id}}})
	if err != nil {
		return fail(err)
	}
	var mgr *transport.OutprocManager
	echo := transport.HandlerFunc(func(ctx context.Context, m transport.Message) {
		if err := mgr.Send(ctx, transport.Actor(m.From), m.Type, m.Data); err != nil && ctx.Err() == nil {
			fmt.Fprintln(os.Stderr, "helper: echo:", err)
		}
	})
	if mgr, err = transport.NewOutprocManager(id, b, transport.WithHandler(echo)); err != nil {
		return fail(err)
	}
	defer mgr.Close()
	g, err := websocket.NewGate(websocket.GateConfig{AllowBearer: true, Acceptor: mgr, Verifier: auth.NewVerifier(map[uint32]ed25519.PublicKey{7: pub})})
	if err != nil {
		return fail(err)
	}
	srv, err := g.Listen(os.Getenv(helperAddrEnv))
	if err != nil {
		return fail(err)
	}
	defer srv.Close()
	fmt.Printf("READY %s\n", srv.URL("/actr/"+id.String()))
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

type helperProc struct {
	cmd   *exec.Cmd
	stdin io.Closer
	url   string
}

func startHelper(t *testing.T, ctx context.Context, w *world, id protocol.ActorID, addr string) *helperProc {
	t.Helper()
	return startChild(t, ctx, helperEnv+"="+id.String(), helperAddrEnv+"="+addr,
		helperKeyEnv+"="+hex.EncodeToString(w.iss.PublicKey()))
}

// startChild re-executes the test binary with env added (TestMain picks
// the helper to run from it), waits for its "READY <url>" line and stops
// it at the end of the test.
func startChild(t testing.TB, ctx context.Context, env ...string) *helperProc {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helperProc{cmd: cmd, stdin: stdin}
	t.Cleanup(func() { h.stop() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("helper did not start: %v", err)
	}
	h.url = strings.TrimSpace(strings.TrimPrefix(line, "READY "))
	return h
}

func (h *helperProc) stop() {
	_ = h.stdin.Close()
	_ = h.cmd.Wait()
}

func (h *helperProc) kill() {
	_ = h.cmd.Process.Kill() // SIGKILL: no close handshake, no goodbye
	_ = h.cmd.Wait()
}

// hostPort returns the host:port of a ws:// URL.
func hostPort(url string) string {
	s := strings.TrimPrefix(url, "ws://")
	return s[:strings.IndexByte(s, '/')]
}

func TestSecondProcessEchoesEveryTypeInOrderAndSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second process")
	}
	ctx := guard(t)
	w := newWorld(t)
	peer := protocol.ActorID{Realm: 1, Serial: 50, Manufacturer: "acme", Name: "echo"}
	h := startHelper(t, ctx, w, peer, "127.0.0.1:0")
	w.dir.set(peer, h.url)
	a := w.node(t, idA, nodeOpts{noListen: true, dialOpts: websocket.Options{PingInterval: 100 * time.Millisecond, PingTimeout: 2 * time.Second}})
	dest := transport.Actor(peer)

	// Every data payload type, there and back; the echoes can only come
	// back over the connection A opened: the helper knows no endpoint of A.
	for _, pt := range protocol.DataPayloadTypes() {
		if err := a.mgr.Send(ctx, dest, pt, []byte(pt.String())); err != nil {
			t.Fatalf("Send %s: %v", pt, err)
		}
	}
	got := a.in.wait(t, ctx, len(protocol.DataPayloadTypes()))
	for _, m := range got {
		if m.From != peer || string(m.Data) != m.Type.String() {
			t.Fatalf("echo %+v", m)
		}
	}

	// 10,000 reliable messages, there and back, complete and in order.
	const n = 10000
	base := a.in.len()
	for i := range n {
		if err := a.mgr.Send(ctx, dest, protocol.RPCReliable, binary.BigEndian.AppendUint32(nil, uint32(i))); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	all := a.in.wait(t, ctx, base+n)
	for i, m := range all[base:] {
		if v := binary.BigEndian.Uint32(m.Data); int(v) != i {
			t.Fatalf("echo %d carries %d", i, v)
		}
	}

	// SIGKILL the peer: the wire fails, events fire, the transport goes.
	sub := a.mgr.Subscribe(1024)
	defer sub.Close()
	tr, _ := a.mgr.Transport(dest)
	h.kill()
	waitEvent(t, ctx, sub, func(e transport.Event) bool {
		return e.Kind == transport.EventWireStateChanged && e.State == transport.WireFailed && e.TransportID == tr.ID()
	})
	waitEvent(t, ctx, sub, func(e transport.Event) bool {
		return e.Kind == transport.EventTransportRemoved && e.TransportID == tr.ID()
	})
	if a.mgr.HasDest(dest) {
		t.Fatal("the dead peer's transport was kept")
	}

	// Restart it on the same address: the next Send dials again.
	h2 := startHelper(t, ctx, w, peer, hostPort(h.url))
	if h2.url != h.url {
		t.Fatalf("restarted at %s, not %s", h2.url, h.url)
	}
	before := a.in.len()
	if err := a.mgr.Send(ctx, dest, protocol.RPCReliable, []byte("again")); err != nil {
		t.Fatalf("Send after the restart: %v", err)
	}
	if m := a.in.wait(t, ctx, before+1)[before]; string(m.Data) != "again" {
		t.Fatalf("echo after restart: %+v", m)
	}
	if tr2, _ := a.mgr.Transport(dest); tr2 == nil || tr2.ID() == tr.ID() {
		t.Fatal("no fresh transport after the restart")
	}
}

func waitEvent(t *testing.T, ctx context.Context, sub *transport.Subscription, match func(transport.Event) bool) {
	t.Helper()
	for {
		select {
		case e := <-sub.Events():
			if match(e) {
				return
			}
		case <-ctx.Done():
			t.Fatalf("event never came: %v", ctx.Err())
		}
	}
}
