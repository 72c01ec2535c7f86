package wire_test

import (
	"context"
	"errors"
	"testing"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire"
	"github.com/actr-go/actr/wire/webrtc"
	"github.com/actr-go/actr/wire/websocket"
)

var (
	me   = protocol.MustParseActorID("acme:app@1.1")
	peer = protocol.MustParseActorID("acme:echo@1.2")
)

func TestNewDefaultWireBuilderChecksConfig(t *testing.T) {
	d := &websocket.Dialer{Local: me}
	for name, cfg := range map[string]wire.Config{
		"nothing enabled":    {},
		"no dialer":          {WebSocket: wire.WebSocketConfig{Enabled: true, URLTemplate: "ws://h/{actor_id}"}},
		"no placeholder":     {WebSocket: wire.WebSocketConfig{Enabled: true, URLTemplate: "ws://h/", Dialer: d}},
		"no template or fn ": {WebSocket: wire.WebSocketConfig{Enabled: true, Dialer: d}},
	} {
		if _, err := wire.NewDefaultWireBuilder(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestBuildExpandsTemplateAndHonoursResolver(t *testing.T) {
	ctx := context.Background()
	d := &websocket.Dialer{Local: me}
	b, err := wire.NewDefaultWireBuilder(wire.Config{WebSocket: wire.WebSocketConfig{Enabled: true, URLTemplate: "ws://h/actr/{actor_id}", Dialer: d}})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := b.Build(ctx, transport.BuildRequest{Local: me, Dest: transport.Actor(peer)})
	if err != nil || len(ws) != 1 || ws[0].Kind() != transport.WireWebSocket {
		t.Fatalf("Build = %v, %v", ws, err)
	}
	if c := ws[0].(*websocket.Conn); c.Remote() != peer {
		t.Fatalf("remote %s", c.Remote())
	}
	_ = ws[0].Close()
	if ws, err := b.Build(ctx, transport.BuildRequest{Dest: transport.Actor(peer), Kinds: []transport.WireKind{transport.WireWebRTC}}); !errors.Is(err, wire.ErrNoEndpoint) || len(ws) != 0 {
		t.Fatalf("Build of only WebRTC = %v, %v", ws, err)
	}
	if _, err := b.Build(ctx, transport.BuildRequest{Dest: transport.Shell()}); !errors.Is(err, transport.ErrInvalidDest) {
		t.Fatalf("Build(Shell) = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.Build(cctx, transport.BuildRequest{Dest: transport.Actor(peer)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Build with a cancelled ctx = %v", err)
	}

	boom := errors.New("directory down")
	var asked protocol.ActorID
	r, _ := wire.NewDefaultWireBuilder(wire.Config{WebSocket: wire.WebSocketConfig{Enabled: true, Dialer: d,
		Resolve: func(_ context.Context, id protocol.ActorID) (string, error) {
			asked = id
			if id == peer {
				return "", boom
			}
			return "", nil
		}}})
	if _, err := r.Build(ctx, transport.BuildRequest{Dest: transport.Actor(peer)}); !errors.Is(err, boom) || !errors.Is(err, wire.ErrNoEndpoint) || asked != peer {
		t.Fatalf("resolver failure: %v", err)
	}
	if _, err := r.Build(ctx, transport.BuildRequest{Dest: transport.Actor(me)}); !errors.Is(err, wire.ErrNoEndpoint) {
		t.Fatalf("no endpoint: %v", err)
	}
}

// stubSignaler is enough of a signaling client for a Coordinator that
// never connects.
type stubSignaler struct{ relays chan signaling.Relay }

func (stubSignaler) NegotiateRole(context.Context, protocol.ActorID) (bool, error) {
	return false, errors.New("stub")
}
func (stubSignaler) SendSessionDescription(protocol.ActorID, *protocol.SessionDescription) error {
	return nil
}
func (stubSignaler) SendIceCandidate(protocol.ActorID, *protocol.IceCandidate) error { return nil }
func (s stubSignaler) Relays() <-chan signaling.Relay                                { return s.relays }

// With both kinds enabled an actor gets a WebRTC wire and a WebSocket
// wire, and the default routes rank WebRTC first for every data type.
func TestBuildBothKinds(t *testing.T) {
	co, err := webrtc.NewCoordinator(stubSignaler{relays: make(chan signaling.Relay)}, webrtc.Config{LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer co.Close()
	if _, err := wire.NewDefaultWireBuilder(wire.Config{WebRTC: wire.WebRTCConfig{Enabled: true}}); err == nil {
		t.Fatal("WebRTC enabled without a Coordinator was accepted")
	}
	b, err := wire.NewDefaultWireBuilder(wire.Config{
		WebRTC:    wire.WebRTCConfig{Enabled: true, Coordinator: co},
		WebSocket: wire.WebSocketConfig{Enabled: true, URLTemplate: "ws://h/{actor_id}", Dialer: &websocket.Dialer{Local: me}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := b.Build(context.Background(), transport.BuildRequest{Local: me, Dest: transport.Actor(peer)})
	if err != nil || len(ws) != 2 {
		t.Fatalf("Build = %v, %v; want two wires", ws, err)
	}
	kinds := map[transport.WireKind]bool{ws[0].Kind(): true, ws[1].Kind(): true}
	if !kinds[transport.WireWebRTC] || !kinds[transport.WireWebSocket] {
		t.Fatalf("kinds %v", kinds)
	}
	for _, w := range ws {
		_ = w.Close()
	}
	only, err := b.Build(context.Background(), transport.BuildRequest{Dest: transport.Actor(peer), Kinds: []transport.WireKind{transport.WireWebRTC}})
	if err != nil || len(only) != 1 || only[0].Kind() != transport.WireWebRTC {
		t.Fatalf("Build of only WebRTC = %v, %v", only, err)
	}
	_ = only[0].Close()
	routes := transport.DefaultRoutes()
	for _, pt := range protocol.DataPayloadTypes() {
		if k := routes.Kinds(pt); len(k) == 0 || k[0] != transport.WireWebRTC {
			t.Errorf("%s routes %v: WebRTC is not first", pt, k)
		}
	}
}
