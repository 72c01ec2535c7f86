package node_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/signalingtest"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

func startSignaling(t *testing.T) string {
	t.Helper()
	return signalingtest.Start(t, signaling.ServerConfig{}).URL
}

func guard(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// echo replies to every message on the same payload type.
func echo(n **node.Node) transport.Handler {
	return transport.HandlerFunc(func(ctx context.Context, m transport.Message) {
		_ = (*n).Send(ctx, m.From, m.Type, m.Data)
	})
}

// start starts a node closed when the test ends; its Close must succeed,
// or fail only with one of the errors allowed.
func start(t *testing.T, ctx context.Context, cfg node.Config, allowed ...error) *node.Node {
	t.Helper()
	n, err := node.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(context.Background()); err != nil && !slices.ContainsFunc(allowed, func(a error) bool { return errors.Is(err, a) }) {
			t.Errorf("Close: %v", err)
		}
	})
	return n
}

// A node with a gate and one that knows the gate's URL template: the
// second reaches the first over both wire kinds, every data payload type
// is echoed back, and both nodes close without leaking (goleak in
// TestMain).
func TestTwoNodesEchoOverBothWires(t *testing.T) {
	ctx := guard(t)
	url := startSignaling(t)
	var server *node.Node
	server = start(t, ctx, node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "echo"},
		WSListen: "127.0.0.1:0", WebRTC: webrtc.Config{LoopbackOnly: true}, Handler: echo(&server)})
	serverEvents := server.Manager().Subscribe(256)
	defer serverEvents.Close()
	got := make(chan transport.Message, 16)
	client := start(t, ctx, node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "client"},
		WSURLTemplate: server.GateURLTemplate(), WebRTC: webrtc.Config{LoopbackOnly: true},
		Handler: transport.HandlerFunc(func(_ context.Context, m transport.Message) { got <- m })})

	if server.GateURL() == "" || client.GateURL() != "" {
		t.Fatalf("gate URLs %q and %q", server.GateURL(), client.GateURL())
	}
	tr, err := client.Manager().GetOrCreateTransport(ctx, transport.Actor(server.ID()))
	if err != nil {
		t.Fatal(err)
	}
	// Wait for both wires: the pool dials them at once.
	for {
		_, changed := tr.Pool().Watch()
		kinds := map[transport.WireKind]bool{}
		for _, w := range tr.Pool().Wires() {
			if w.State == transport.WireReady {
				kinds[w.Kind] = true
			}
		}
		if kinds[transport.WireWebRTC] && kinds[transport.WireWebSocket] {
			break
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("both wires not ready: %+v", tr.Pool().Wires())
		}
	}
	// The server adopts both connections, the WebRTC one once its
	// channels are open: only then do its echoes take WebRTC.
	for ready := map[transport.WireKind]bool{}; !ready[transport.WireWebRTC] || !ready[transport.WireWebSocket]; {
		select {
		case ev := <-serverEvents.Events():
			if ev.Kind == transport.EventWireStateChanged && ev.State == transport.WireReady && ev.Dest == transport.Actor(client.ID()) {
				ready[ev.WireKind] = true
			}
		case <-ctx.Done():
			t.Fatal("the server did not adopt both of the client's wires")
		}
	}
	for _, pt := range protocol.DataPayloadTypes() {
		if err := client.Send(ctx, server.ID(), pt, []byte(pt.String())); err != nil {
			t.Fatalf("Send %s: %v", pt, err)
		}
		select {
		case m := <-got:
			if m.Type != pt || string(m.Data) != pt.String() || m.From != server.ID() || m.Wire != transport.WireWebRTC {
				t.Fatalf("echo %+v, want %s over webrtc", m, pt)
			}
		case <-ctx.Done():
			t.Fatalf("no echo of %s", pt)
		}
	}
	if n := server.Gate().Counters().Accepted.Load(); n != 1 {
		t.Fatalf("the gate accepted %d connections, want 1", n)
	}
}

// A Send to an actor the signaling server does not know fails with a
// NoRouteError that names it.
func TestSendToUnknownActorFails(t *testing.T) {
	ctx := guard(t)
	url := startSignaling(t)
	n := start(t, ctx, node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "client"},
		WebRTC: webrtc.Config{LoopbackOnly: true}})
	ghost := protocol.ActorID{Realm: 1, Serial: 999999, Manufacturer: "acme", Name: "ghost"}
	err := n.Send(ctx, ghost, protocol.RPCReliable, []byte("anyone?"))
	var nr *transport.NoRouteError
	if !errors.As(err, &nr) || !errors.Is(err, transport.ErrPeerUnknown) || !errors.Is(err, signaling.ErrNotOnline) {
		t.Fatalf("Send to an unknown actor: %v, want a *transport.NoRouteError matching ErrPeerUnknown and ErrNotOnline", err)
	}
}

// Start refuses a config it cannot run, before connecting anywhere.
func TestStartChecksConfig(t *testing.T) {
	for _, cfg := range []node.Config{
		{Type: signaling.ActorType{Name: "x"}},
		{SignalingURL: "ws://127.0.0.1:1/"},
		{SignalingURL: "ws://127.0.0.1:1/", Type: signaling.ActorType{Name: "x"}, DisableWebRTC: true},
	} {
		if _, err := node.Start(t.Context(), cfg); err == nil {
			t.Errorf("Start(%+v) succeeded", cfg)
		}
	}
}

// A node with no URL template finds a peer's gate through signaling: the
// gate URL the peer registered (RegisterRequest.ws_address) comes back in
// route candidates.
func TestGateFoundThroughSignaling(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sig := signalingtest.Start(t, signaling.ServerConfig{})
	got := make(chan transport.Message, 1)
	server, err := node.Start(ctx, node.Config{SignalingURL: sig.URL, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "gate"},
		WSListen: "127.0.0.1:0", DisableWebRTC: true,
		Handler: transport.HandlerFunc(func(_ context.Context, m transport.Message) { got <- m })})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close(ctx)
	client, err := node.Start(ctx, node.Config{SignalingURL: sig.URL, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "client"},
		WSListen: "127.0.0.1:0", DisableWebRTC: true})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close(ctx)
	if u, err := client.Signaling().GateURL(ctx, server.ID()); err != nil || u != server.GateURL() {
		t.Fatalf("the gate signaling knows: %q (%v), want %q", u, err, server.GateURL())
	}
	if err := client.Send(ctx, server.ID(), protocol.RPCReliable, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if string(m.Data) != "hello" || m.From != client.ID() {
			t.Fatalf("got %q from %v", m.Data, m.From)
		}
	case <-ctx.Done():
		t.Fatal("nothing arrived over the gate found through signaling")
	}
}

// With WebRTC on too, a node with no URL template dials both wires a peer
// offers: WebRTC, and WebSocket to the gate the peer registered.
func TestBothWiresWithTheGateFoundThroughSignaling(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sig := signalingtest.Start(t, signaling.ServerConfig{})
	server, err := node.Start(ctx, node.Config{SignalingURL: sig.URL, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "gate"},
		WSListen: "127.0.0.1:0", WebRTC: webrtc.Config{LoopbackOnly: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close(ctx)
	client, err := node.Start(ctx, node.Config{SignalingURL: sig.URL, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "client"},
		WebRTC: webrtc.Config{LoopbackOnly: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close(ctx)
	sub := client.Manager().Subscribe(64)
	defer sub.Close()
	if err := client.Send(ctx, server.ID(), protocol.RPCReliable, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	ready := map[transport.WireKind]bool{}
	for !ready[transport.WireWebRTC] || !ready[transport.WireWebSocket] {
		select {
		case ev := <-sub.Events():
			if ev.Kind == transport.EventWireStateChanged && ev.State == transport.WireReady && ev.Dest == transport.Actor(server.ID()) {
				ready[ev.WireKind] = true
			}
		case <-ctx.Done():
			t.Fatalf("wires ready to the server: %v; want WebRTC and WebSocket", ready)
		}
	}
}
