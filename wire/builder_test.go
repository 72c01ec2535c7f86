package wire_test

import (
	"context"
	"errors"
	"testing"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire"
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
