package transport_test

import (
	"context"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

var localID = protocol.ActorID{Realm: 1, Serial: 1, Manufacturer: "acme", Name: "client"}

func actorID(n int) protocol.ActorID {
	return protocol.ActorID{Realm: 1, Serial: uint64(1000 + n), Manufacturer: "acme", Name: "echo"}
}

func actor(n int) transport.Dest { return transport.Actor(actorID(n)) }

// fastBackoff keeps retries quick in tests that run in real time.
var fastBackoff = transport.WithBackoff(transport.Backoff{Initial: time.Millisecond, Max: 4 * time.Millisecond})

// guard bounds a test that would otherwise hang if the code under test
// were broken; it is a failure detector, not a wait.
func guard(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newManager(t *testing.T, b transport.WireBuilder, opts ...transport.Option) *transport.OutprocManager {
	t.Helper()
	m, err := transport.NewOutprocManager(localID, b, append([]transport.Option{fastBackoff}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func newFabric(kinds ...transport.WireKind) (*transporttest.Network, *transporttest.Builder) {
	net := transporttest.NewNetwork()
	return net, transporttest.NewBuilder(net, localID, kinds...)
}

// waitEvent reads sub until an event satisfies match.
func waitEvent(t *testing.T, ctx context.Context, sub *transport.Subscription, match func(transport.Event) bool) transport.Event {
	t.Helper()
	for {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				t.Fatal("event subscription closed before the expected event")
			}
			if match(ev) {
				return ev
			}
		case <-ctx.Done():
			t.Fatalf("no matching event: %v", ctx.Err())
		}
	}
}

// waitReadyWires waits until the transport's pool has n ready wires.
func waitReadyWires(t *testing.T, ctx context.Context, tr *transport.DestTransport, n int) {
	t.Helper()
	for {
		ready, changed := tr.Pool().Watch()
		if len(ready) >= n {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("waiting for %d ready wires: %v (have %d)", n, ctx.Err(), len(ready))
		}
	}
}
