package node_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/natscluster/natsclustertest"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

// TestClusterNodes: nodes registered on different servers of a cluster
// find each other and talk over WebRTC (its signaling relayed between the
// servers); when one node's server dies it resumes on another, keeping
// its ActorID, and their WebRTC session never notices; a server that joins the cluster later issues credentials the
// gate of a node started before it trusts (the gate refreshes its keys),
// so a node registered there reaches that gate over WebSocket.
func TestClusterNodes(t *testing.T) {
	ctx := guard(t)
	cl := natsclustertest.Start(t, 2, signaling.ServerConfig{})
	rtc := webrtc.Config{LoopbackOnly: true}
	var server *node.Node
	server = start(t, ctx, node.Config{SignalingURL: cl.Servers[0].URL, SignalingURLs: cl.URLs(0)[1:], Realm: 7,
		Type: signaling.ActorType{Manufacturer: "acme", Name: "echo"}, WSListen: "127.0.0.1:0", WebRTC: rtc,
		KeyRefresh: 20 * time.Millisecond, Handler: echo(&server)})
	got := make(chan transport.Message, 16)
	handler := transport.HandlerFunc(func(_ context.Context, m transport.Message) { got <- m })
	peer := start(t, ctx, node.Config{SignalingURLs: cl.URLs(1), Realm: 7, DisableWebSocket: true, WebRTC: rtc,
		Type: signaling.ActorType{Manufacturer: "acme", Name: "peer"}, Handler: handler})
	if peer.Signaling().Server() == server.Signaling().Server() {
		t.Fatal("both nodes registered on the same server")
	}
	// The directory entry crosses NATS: no event to wait on here.
	for !cl.Servers[1].Srv.Online(server.ID()) {
		if ctx.Err() != nil {
			t.Fatal("server 2 never saw the node of server 1")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, pt := range protocol.DataPayloadTypes() {
		if err := peer.Send(ctx, server.ID(), pt, []byte("over webrtc")); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-got:
			if m.Wire != transport.WireWebRTC || string(m.Data) != "over webrtc" {
				t.Fatalf("echo of %s: %q over %s, want it over WebRTC", pt, m.Data, m.Wire)
			}
		case <-ctx.Done():
			t.Fatalf("no echo of %s across servers", pt)
		}
	}

	// The echo node's signaling server dies: the node resumes on server 2
	// with its ActorID, and the WebRTC session between the two carries on,
	// the same session, without a message lost.
	sessions := server.Coordinator().Counters().Sessions.Load() + peer.Coordinator().Counters().Sessions.Load()
	id := server.ID()
	cl.Servers[0].Kill()
	for i := range 200 {
		if err := peer.Send(ctx, server.ID(), protocol.PayloadType_RPC_RELIABLE, []byte{byte(i)}); err != nil {
			t.Fatalf("message %d during the failover: %v", i, err)
		}
		select {
		case m := <-got:
			if len(m.Data) != 1 || m.Data[0] != byte(i) || m.Wire != transport.WireWebRTC {
				t.Fatalf("echo %d: %v over %s", i, m.Data, m.Wire)
			}
		case <-ctx.Done():
			t.Fatalf("no echo of message %d during the failover", i)
		}
	}
	// Resumed on server 2 (the next of its URLs), which says so: until
	// then the node may not even have noticed the kill.
	s2 := cl.Servers[1]
	for !server.Signaling().Connected() || !strings.HasPrefix(server.Signaling().Server(), strings.TrimSuffix(s2.URL, "/")) ||
		s2.Srv.Counters().ClusterFailovers.Load() != 1 {
		if ctx.Err() != nil {
			t.Fatalf("the echo node never resumed on server 2 (on %q, connected %v, failovers %d)",
				server.Signaling().Server(), server.Signaling().Connected(), s2.Srv.Counters().ClusterFailovers.Load())
		}
		time.Sleep(5 * time.Millisecond) // state another server changes: no event here
	}
	if server.ID() != id {
		t.Fatalf("the echo node resumed as %s, not %s", server.ID(), id)
	}
	if n := server.Coordinator().Counters().Sessions.Load() + peer.Coordinator().Counters().Sessions.Load(); n != sessions {
		t.Fatalf("WebRTC sessions went from %d to %d over the failover", sessions, n)
	}

	// A third server joins; a node registered on it dials the gate of the
	// node started before it.
	late := natsclustertest.StartServer(t, 3, cl.NATS[1].ClientURL(), 2, signaling.ServerConfig{})
	newcomer := start(t, ctx, node.Config{SignalingURL: late.URL, Realm: 7, DisableWebRTC: true,
		Type: signaling.ActorType{Manufacturer: "acme", Name: "newcomer"}, Handler: handler})
	for {
		err := newcomer.Send(ctx, server.ID(), protocol.PayloadType_RPC_RELIABLE, []byte("over websocket"))
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the gate never trusted the new server's credentials: %v", err)
		}
		time.Sleep(10 * time.Millisecond) // the gate refreshes its keys every 20 ms
	}
	select {
	case m := <-got:
		if m.Wire != transport.WireWebSocket || m.From != server.ID() {
			t.Fatalf("got %q from %s over %s, want the echo over WebSocket", m.Data, m.From, m.Wire)
		}
	case <-ctx.Done():
		t.Fatal("no echo from the gate")
	}
}
