package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/rpc"
	"github.com/actr-go/actr/signaling"
)

// actr's calls (package rpc) over WebSocket: a round trip is a Call of
// the echo route, a one-way message a Tell of the sink route.
const (
	rpcEchoRoute = "actrbench.Peers.Echo"
	rpcSinkRoute = "actrbench.Peers.Sink"
)

// serveActrRPC runs an actr node with a gate that serves the two routes.
func serveActrRPC(ctx context.Context, c *counter) ([]string, func(), error) {
	keys, err := keysFromEnv()
	if err != nil {
		return nil, nil, err
	}
	cfg := node.Config{SignalingURL: os.Getenv(envSignal), Realm: 1, Type: signaling.ActorType{Manufacturer: "bench", Name: "server"},
		TrustedKeys: keys, DisableWebSocket: true, DisableWebRTC: true, WSListen: "127.0.0.1:0", HealthCheckInterval: 5 * time.Second,
		GateMaxConns: 100_000, GateMaxConnsPerIP: 100_000}
	n, ep, err := rpc.StartNode(ctx, cfg, rpc.Config{})
	if err != nil {
		return nil, nil, err
	}
	ep.HandleFunc(rpcEchoRoute, func(_ context.Context, req *rpc.Request) ([]byte, error) { return req.Payload, nil })
	ep.HandleFunc(rpcSinkRoute, func(context.Context, *rpc.Request) ([]byte, error) { c.inc(); return nil, nil })
	return []string{n.ID().String(), n.GateURL()}, func() { closeNode(n); _ = ep.Close() }, nil
}

// actrRPCConn is a client node and its endpoint.
type actrRPCConn struct {
	n    *node.Node
	ep   *rpc.Endpoint
	dest protocol.ActorID
}

func dialActrRPC(ctx context.Context, h *harness, info []string) (conn, time.Duration, error) {
	if len(info) < 2 {
		return nil, 0, errors.New("actr-rpc server: want an actor id and a gate URL")
	}
	dest, err := protocol.ParseActorID(info[0])
	if err != nil {
		return nil, 0, err
	}
	gate := info[1]
	cfg := node.Config{SignalingURL: h.sig.ln.URL(), Realm: 1, Type: signaling.ActorType{Manufacturer: "bench", Name: "client"},
		TrustedKeys: h.sig.keys, HealthCheckInterval: 5 * time.Second, DisableWebRTC: true,
		WSResolve: func(context.Context, protocol.ActorID) (string, error) { return gate, nil }}
	t0 := time.Now()
	n, ep, err := rpc.StartNode(ctx, cfg, rpc.Config{})
	if err != nil {
		return nil, 0, err
	}
	return &actrRPCConn{n: n, ep: ep, dest: dest}, time.Since(t0), nil
}

func (c *actrRPCConn) roundTripper(size int) (func(context.Context) error, error) {
	p := payload(tagEcho, size)
	return func(ctx context.Context) error {
		_, err := c.ep.Call(ctx, c.dest, rpcEchoRoute, p)
		return err
	}, nil
}

func (c *actrRPCConn) sender(_ context.Context, size int) (func(context.Context) error, error) {
	p := payload(tagSink, size)
	return func(ctx context.Context) error { return c.ep.Tell(ctx, c.dest, rpcSinkRoute, p) }, nil
}

func (c *actrRPCConn) close() {
	closeNode(c.n)
	_ = c.ep.Close()
}
