package rpc_test

import (
	"context"
	"testing"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/rpc"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/signalingtest"
)

// BenchmarkCallWebSocket is one call at a time, 64 B each way, between
// two nodes over WebSocket on 127.0.0.1; compare BenchmarkRoundTrip in
// wire/websocket for the bare message round trip.
func BenchmarkCallWebSocket(b *testing.B) {
	ctx := context.Background()
	url := signalingtest.Start(b, signaling.ServerConfig{}).URL
	start := func(cfg node.Config) (*node.Node, *rpc.Endpoint) {
		n, e, err := rpc.StartNode(ctx, cfg, rpc.Config{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = n.Close(ctx); _ = e.Close() })
		return n, e
	}
	server, se := start(node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "echo"},
		WSListen: "127.0.0.1:0", DisableWebRTC: true})
	_, ce := start(node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "client"},
		DisableWebRTC: true, WSURLTemplate: server.GateURLTemplate()})
	se.HandleFunc("r", func(_ context.Context, req *rpc.Request) ([]byte, error) { return req.Payload, nil })
	p := make([]byte, 64)
	if _, err := ce.Call(ctx, server.ID(), "r", p); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ce.Call(ctx, server.ID(), "r", p); err != nil {
			b.Fatal(err)
		}
	}
}
