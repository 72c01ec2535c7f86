package node_test

import (
	"context"
	"fmt"
	"net"
	"testing"

	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/signalingtest"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/turnserver"
	"github.com/actr-go/actr/wire/webrtc"
)

// Two nodes given no ICE configuration, only relay candidates allowed:
// they reach each other through the TURN server the signaling server
// named at registration, with the credential it handed out, and the
// selected pair is a relay on both sides.
func TestNodesRelayThroughTheTURNServerRegistrationNamed(t *testing.T) {
	ctx := guard(t)
	secret := []byte("node-test-turn-secret-0123456789")
	ts, err := turnserver.Listen(turnserver.Config{Secret: secret, RelayIP: net.IPv4(127, 0, 0, 1), AllowLoopbackPeers: true},
		turnserver.Addrs{Listen: "127.0.0.1:0", NoTCP: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ts.Close() })
	url := signalingtest.Start(t, signaling.ServerConfig{TURN: signaling.TURNConfig{Secret: secret,
		URLs: []string{fmt.Sprintf("turn:%s?transport=udp", ts.UDPAddr())}}}).URL

	relayOnly := webrtc.Config{LoopbackOnly: true, ICETransportPolicy: pion.ICETransportPolicyRelay}
	var server *node.Node
	server = start(t, ctx, node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "echo"},
		DisableWebSocket: true, WebRTC: relayOnly, Handler: echo(&server)},
		// The client closes first (cleanups run in reverse) and aborts
		// the association; the echo's SACK may not have reached the
		// server by then, which reports the echo as not known delivered.
		transport.ErrUnflushed)
	got := make(chan transport.Message, 4)
	client := start(t, ctx, node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "client"},
		DisableWebSocket: true, WebRTC: relayOnly,
		Handler: transport.HandlerFunc(func(_ context.Context, m transport.Message) { got <- m })})

	if err := client.Send(ctx, server.ID(), protocol.RPCReliable, []byte("via the relay")); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if string(m.Data) != "via the relay" {
			t.Fatalf("echo %q", m.Data)
		}
	case <-ctx.Done():
		t.Fatal("no echo")
	}
	for name, n := range map[string]*node.Node{"client": client, "server": server} {
		peer := server.ID()
		if n == server {
			peer = client.ID()
		}
		c, ok := n.Coordinator().Conn(peer)
		if !ok {
			t.Fatalf("%s: no WebRTC conn", name)
		}
		p, err := c.SelectedCandidatePair()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Local.Type != "relay" || p.Local.RelayProtocol != "udp" {
			t.Fatalf("%s: selected %+v, want a local relay over UDP", name, p)
		}
	}
	if c := ts.Counters(); c.AllocationsCreated.Load() < 2 || c.RelayedToPeers.Load() == 0 {
		t.Fatalf("TURN server: %d allocations, %d bytes relayed", c.AllocationsCreated.Load(), c.RelayedToPeers.Load())
	}
}
