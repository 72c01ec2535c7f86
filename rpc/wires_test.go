package rpc_test

import (
	"context"
	"errors"
	"testing"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/rpc"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/signalingtest"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

// startNode starts a node serving RPC, closed (node, then endpoint) when
// the test ends.
func startNode(t *testing.T, ctx context.Context, cfg node.Config) (*node.Node, *rpc.Endpoint) {
	t.Helper()
	n, e, err := rpc.StartNode(ctx, cfg, rpc.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The peer closes first (cleanups run in reverse): bytes the
		// SCTP association had not seen acknowledged when the peer
		// aborted it count as unflushed, though the peer had them.
		if err := n.Close(context.Background()); err != nil && !errors.Is(err, transport.ErrUnflushed) {
			t.Errorf("node Close: %v", err)
		}
		_ = e.Close()
	})
	return n, e
}

// A call and its response over each wire alone: WebSocket (the client
// dials the server's gate, WebRTC off) and WebRTC (no WebSocket).
func TestCallOverBothWires(t *testing.T) {
	for _, wire := range []transport.WireKind{transport.WireWebSocket, transport.WireWebRTC} {
		t.Run(wire.String(), func(t *testing.T) {
			ctx := guard(t)
			url := signalingtest.Start(t, signaling.ServerConfig{}).URL
			scfg := node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "echo"},
				WebRTC: webrtc.Config{LoopbackOnly: true}}
			ccfg := node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "client"},
				WebRTC: webrtc.Config{LoopbackOnly: true}}
			if wire == transport.WireWebSocket {
				scfg.WSListen, scfg.DisableWebRTC = "127.0.0.1:0", true
				ccfg.DisableWebRTC = true
			} else {
				scfg.DisableWebSocket, ccfg.DisableWebSocket = true, true
			}
			server, se := startNode(t, ctx, scfg)
			if wire == transport.WireWebSocket {
				ccfg.WSURLTemplate = server.GateURLTemplate()
			}
			client, ce := startNode(t, ctx, ccfg)
			se.HandleFunc("acme.Echo.Say", func(ctx context.Context, req *rpc.Request) ([]byte, error) {
				if ci, _ := rpc.CallInfoFrom(ctx); ci.From != client.ID() {
					return nil, rpc.Errorf(rpc.CodeBadRequest, "caller %s", ci.From)
				}
				return echo(ctx, req)
			})
			for i := range 3 {
				var info rpc.ResponseInfo
				resp, err := ce.Call(ctx, server.ID(), "acme.Echo.Say", []byte{'a' + byte(i)}, rpc.WithResponseInfo(&info))
				if err != nil {
					t.Fatal(err)
				}
				if info.Wire != wire || info.Lane != protocol.RPCReliable {
					t.Fatalf("response came %+v", info)
				}
				if string(resp) != "echo:"+string(rune('a'+i)) {
					t.Fatalf("response %q", resp)
				}
			}
			tr, ok := client.Manager().Transport(transport.Actor(server.ID()))
			if !ok {
				t.Fatal("no transport to the server")
			}
			for _, w := range tr.Pool().Wires() {
				if w.Kind != wire {
					t.Fatalf("a %s wire with only %s enabled", w.Kind, wire)
				}
			}
		})
	}
}
