package transport_test

import (
	"context"
	"errors"
	"testing"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

// wsPair is two managers with WebSocket-kind wires only.
func wsPair(t *testing.T) (a, b *transport.OutprocManager, bA, bB *transporttest.Builder, gotB chan transport.Message) {
	t.Helper()
	net := transporttest.NewNetwork()
	bA = transporttest.NewBuilder(net, peerA, transport.WireWebSocket)
	bB = transporttest.NewBuilder(net, peerB, transport.WireWebSocket)
	gotB = make(chan transport.Message, 16)
	discard := transport.HandlerFunc(func(context.Context, transport.Message) {})
	var err error
	if a, err = transport.NewOutprocManager(peerA, bA, fastBackoff, transport.WithHandler(discard)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	h := transport.HandlerFunc(func(_ context.Context, m transport.Message) { gotB <- m })
	if b, err = transport.NewOutprocManager(peerB, bB, fastBackoff, transport.WithHandler(h)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	net.Node(peerA).Serve(a)
	net.Node(peerB).Serve(b)
	return a, b, bA, bB, gotB
}

// B's dial is refused as the losing duplicate; A's connection to B arrives
// and B's pending Send goes out on it. B's refused wire drops out without a
// failure and without using up its connect attempts.
func TestRefusedDuplicateWaitsForPeersConnection(t *testing.T) {
	ctx := guard(t)
	mA, mB, _, bB, _ := wsPair(t)
	sub := mB.Subscribe(256)
	bB.FailConnects(transport.WireWebSocket, 1000, transport.ErrSuperseded)

	sent := make(chan error, 1)
	go func() { sent <- mB.Send(ctx, transport.Actor(peerA), protocol.RPCReliable, []byte("from B")) }()
	waitEvent(t, ctx, sub, func(e transport.Event) bool {
		return e.Kind == transport.EventConnectAttemptFailed && errors.Is(e.Err, transport.ErrSuperseded)
	})
	if !mB.Dialling(transport.Actor(peerA), transport.WireWebSocket) {
		t.Fatal("B's refused wire is no longer counted as dialling")
	}
	// A dials B: B adopts A's connection, which replaces B's own dial.
	if err := mA.Send(ctx, transport.Actor(peerB), protocol.RPCReliable, []byte("from A")); err != nil {
		t.Fatal(err)
	}
	if err := <-sent; err != nil {
		t.Fatalf("B's Send: %v", err)
	}
	waitEvent(t, ctx, sub, func(e transport.Event) bool {
		return e.Kind == transport.EventWireStateChanged && e.State == transport.WireClosed && errors.Is(e.Err, transport.ErrSuperseded)
	})
	tr, ok := mB.Transport(transport.Actor(peerA))
	if !ok {
		t.Fatal("B has no transport to A")
	}
	wires := tr.Pool().Wires()
	if len(wires) != 1 || !wires[0].Adopted || wires[0].State != transport.WireReady {
		t.Fatalf("B's wires to A = %+v, want just A's adopted connection", wires)
	}
	for len(sub.Events()) > 0 {
		if e := <-sub.Events(); e.State == transport.WireFailed {
			t.Fatalf("a refused duplicate was reported as a failure: %+v", e)
		}
	}
}

// With no replacement coming, a refused dial retries, and the refusals do
// not use up its connect attempts (default 3).
func TestRefusedDuplicateWithoutReplacementRetries(t *testing.T) {
	ctx := guard(t)
	_, mB, _, bB, _ := wsPair(t)
	bB.FailConnects(transport.WireWebSocket, 5, transport.ErrSuperseded)
	if err := mB.Send(ctx, transport.Actor(peerA), protocol.RPCReliable, []byte("x")); err != nil {
		t.Fatalf("Send after 5 refusals: %v", err)
	}
	w, ok := bB.LiveWire(transport.Actor(peerA), transport.WireWebSocket)
	if !ok || w.ConnectCalls() != 6 {
		t.Fatalf("connect calls = %d, want 6", w.ConnectCalls())
	}
}
