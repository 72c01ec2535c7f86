package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/internal/actrpeer"
	"github.com/actr-go/actr/protocol"
)

// TestActrOnlyPeer runs actors that speak only the actr runtime's flows
// (internal/actrpeer: HTTP registration, the query-string signaling socket,
// in-band labelled data channels, bearer credentials and no proof, written
// from the protocol's facts) against `actr signal` and `actr node` run as
// processes, with bearer credentials allowed: both directions, both wires.
func TestActrOnlyPeer(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	key := filepath.Join(t.TempDir(), "signal.key")
	sig := startProc(t, "signal", "signal", "--listen", "127.0.0.1:0", "--key", key, "--allow-bearer")
	sigURL, _, _ := strings.Cut(sig.line(ctx, "signaling server on "), " ")
	base := "http" + strings.TrimSuffix(strings.TrimPrefix(sigURL, "ws"), "/")
	node := startProc(t, "node", "node", "--signal", sigURL, "--ws-listen", "127.0.0.1:0", "--loopback-only", "--allow-bearer", "--log")
	nodeID, err := protocol.ParseActorID(node.line(ctx, "actor "))
	if err != nil {
		t.Fatal(err)
	}
	nodeGate := node.line(ctx, "gate ")

	// peerA has no gate: WebRTC only. peerB serves a gate, registered as
	// its ws_address.
	peerA, err := actrpeer.Register(ctx, base, 1, actrType("acme", "interop-a", "1.0"), "")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gateB := "ws://" + ln.Addr().String() + "/"
	peerB, err := actrpeer.Register(ctx, base, 1, actrType("acme", "interop-b", "1.0"), gateB)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*actrpeer.Peer{peerA, peerB} {
		p.Log = t.Logf
		if err := p.Connect(ctx, false); err != nil {
			t.Fatal(err)
		}
		defer p.Close()
	}
	srv := &http.Server{Handler: peerB.Gate(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	// Signaling, the actr way: a heartbeat, the signing key by id, and
	// route candidates that name the node's gate.
	if pong, err := peerA.Ping(ctx); err != nil || pong.Seq == nil {
		t.Fatalf("ping: %v %v", pong, err)
	}
	if k, err := peerA.GetSigningKey(ctx, peerA.SigningKeyID); err != nil || !k.Equal(peerA.SigningKey) {
		t.Fatalf("get_signing_key: %x, %v; RegisterOk said %x", k, err, peerA.SigningKey)
	}
	rc, err := peerB.RouteCandidates(ctx, nodeID.Proto().GetType())
	if err != nil || len(rc.GetCandidates()) != 1 {
		t.Fatalf("route candidates for the node's type: %v %v", rc, err)
	}
	wsAddr := ""
	for _, e := range rc.GetWsAddressMap() {
		if proto.Equal(e.GetCandidateId(), rc.GetCandidates()[0]) {
			wsAddr = e.GetWsAddress()
		}
	}
	if wsAddr == "" {
		t.Fatalf("ws_address_map %v names no gate for the node (it printed %s)", rc.GetWsAddressMap(), nodeGate)
	}

	kinds := []protocol.PayloadType{protocol.PayloadType_RPC_RELIABLE, protocol.PayloadType_RPC_SIGNAL,
		protocol.PayloadType_STREAM_RELIABLE, protocol.PayloadType_STREAM_LATENCY_FIRST}

	logged := 0 // "message " lines the node printed, one per message it got
	// peer → node over WebRTC: every payload type, each echoed.
	rtc, err := peerA.DialWebRTC(ctx, nodeID.Proto())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("peer A is the WebRTC offerer: %v", rtc.Offerer())
	for i, pt := range kinds {
		msg := fmt.Appendf(nil, "webrtc %d from an actr peer", i)
		if err := rtc.Send(ctx, pt, msg); err != nil {
			t.Fatalf("%s: %v", pt, err)
		}
		logged++
		if got := node.nthLine(ctx, "message ", logged); !strings.Contains(got, pt.String()+" ") || !strings.Contains(got, "over webrtc") {
			t.Fatalf("node logged %q for %s", got, pt)
		}
		awaitMessage(t, ctx, peerA, "", pt, msg)
	}
	for pt, label := range rtc.Labels() {
		if label != actrpeer.Labels[pt] {
			t.Fatalf("channel of %s labelled %q", pt, label)
		}
	}

	// peer → node over WebSocket, to the gate signaling named.
	ws, err := peerB.DialGate(ctx, wsAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	for i, pt := range kinds {
		msg := fmt.Appendf(nil, "websocket %d from an actr peer", i)
		if err := ws.Send(ctx, pt, msg); err != nil {
			t.Fatalf("%s: %v", pt, err)
		}
		logged++
		if got := node.nthLine(ctx, "message ", logged); !strings.Contains(got, pt.String()+" ") || !strings.Contains(got, "over websocket") {
			t.Fatalf("node logged %q for %s", got, pt)
		}
		awaitMessage(t, ctx, peerB, "", pt, msg)
	}

	// node → peer over WebRTC: actr send to peer A, which echoes.
	idA, err := protocol.ActorIDFromProto(peerA.ID)
	if err != nil {
		t.Fatal(err)
	}
	// --raw: the peer echoes bytes, it serves no RPC.
	out, errOut, code := runOnce(t, ctx, "send", "--signal", sigURL, "--to", idA.String(), "--loopback-only", "--raw", "to an actr peer")
	if code != 0 || out != "to an actr peer" || !strings.Contains(errOut, "over webrtc") {
		t.Fatalf("send to peer A: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	awaitMessage(t, ctx, peerA, "webrtc", protocol.PayloadType_RPC_RELIABLE, []byte("to an actr peer"))

	// node → peer over WebSocket: actr send to peer B's gate.
	idB, err := protocol.ActorIDFromProto(peerB.ID)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runOnce(t, ctx, "send", "--signal", sigURL, "--to", idB.String(), "--no-webrtc",
		"--ws-url", gateB+"{actor_id}", "--payload-type", "STREAM_RELIABLE", "over the gate")
	if code != 0 || out != "over the gate" || !strings.Contains(errOut, "over websocket") {
		t.Fatalf("send to peer B: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	awaitMessage(t, ctx, peerB, "websocket", protocol.PayloadType_STREAM_RELIABLE, []byte("over the gate"))
	node.stop(ctx)
	sig.stop(ctx)
}

func actrType(m, n, v string) *protocol.ActrType {
	return &protocol.ActrType{Manufacturer: proto.String(m), Name: proto.String(n), Version: proto.String(v)}
}

// awaitMessage waits for msg of type pt to reach p (over wire, unless
// empty), skipping other messages.
func awaitMessage(t *testing.T, ctx context.Context, p *actrpeer.Peer, wire string, pt protocol.PayloadType, msg []byte) {
	t.Helper()
	for {
		select {
		case m := <-p.Received:
			if m.Type == pt && string(m.Data) == string(msg) && (wire == "" || m.Wire == wire) {
				return
			}
			t.Logf("the actr peer got %q (%s over %s) while waiting for %q", m.Data, m.Type, m.Wire, msg)
		case <-ctx.Done():
			t.Fatalf("the actr peer never got %q (%s)", msg, pt)
		}
	}
}
