package transport_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

func TestHealthCheckerRemovesTransportWithNoHealthyWire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, b := newFabric()
		m, err := transport.NewOutprocManager(localID, b)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		stop := m.StartHealthChecker(10 * time.Second)
		defer stop()
		dest := actor(1)
		if err := m.Send(t.Context(), dest, protocol.RPCReliable, nil); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		sub := m.Subscribe(64)
		// Both wires get stuck half-dead: not ready, yet never reporting death,
		// so only the health checker can notice.
		for _, k := range []transport.WireKind{transport.WireWebRTC, transport.WireWebSocket} {
			w, ok := b.LiveWire(dest, k)
			if !ok {
				t.Fatalf("no live %s wire", k)
			}
			w.Stall()
		}
		time.Sleep(10 * time.Second) // first check: suspect
		synctest.Wait()
		if !m.HasDest(dest) {
			t.Fatal("removed after a single check; a wire gets two checks to recover")
		}
		time.Sleep(10 * time.Second) // second check: failed, transport removed
		synctest.Wait()
		if m.HasDest(dest) {
			t.Fatal("transport with no healthy wire still present after two checks")
		}
		removed := false
		for len(sub.Events()) > 0 {
			if ev := <-sub.Events(); ev.Kind == transport.EventTransportRemoved && ev.Dest == dest {
				removed = true
			}
		}
		if !removed {
			t.Fatal("no transport-removed event")
		}
		if st := m.Stats(); st.HealthRemoved != 1 || st.Removed != 1 {
			t.Fatalf("Stats: %d removed, %d by the health checker; want 1 and 1", st.Removed, st.HealthRemoved)
		}
		if err := m.Send(t.Context(), dest, protocol.RPCReliable, nil); err != nil {
			t.Fatalf("Send after removal: %v", err)
		}
		if b.BuildsFor(dest) != 2 {
			t.Fatalf("builds = %d, want 2 (re-dialled on next use)", b.BuildsFor(dest))
		}
	})
}

func TestHealthCheckerRedialsOnlyTheFailedWire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net, b := newFabric()
		m, err := transport.NewOutprocManager(localID, b)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		stop := m.StartHealthChecker(10 * time.Second)
		defer stop()
		dest := actor(1)
		if err := m.Send(t.Context(), dest, protocol.RPCReliable, nil); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		ws, _ := b.LiveWire(dest, transport.WireWebSocket)
		b.Drop(dest, transport.WireWebRTC)
		synctest.Wait()
		if !m.HasDest(dest) {
			t.Fatal("transport removed although its websocket wire is healthy")
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if got := b.BuildsFor(dest); got != 2 {
			t.Fatalf("builds = %d, want 2 (one re-dial of the failed kind)", got)
		}
		rtc, ok := b.LiveWire(dest, transport.WireWebRTC)
		if !ok || !rtc.Ready() {
			t.Fatal("the failed webrtc wire was not replaced")
		}
		if ws2, _ := b.LiveWire(dest, transport.WireWebSocket); ws2 != ws || ws.Closed() || ws.ConnectCalls() != 1 {
			t.Fatal("the healthy websocket wire was touched")
		}
		if n := len(b.Wires(dest)); n != 3 {
			t.Fatalf("%d wires built, want 3 (only webrtc rebuilt)", n)
		}
		if err := m.Send(t.Context(), dest, protocol.RPCReliable, []byte("back")); err != nil {
			t.Fatal(err)
		}
		msgs := net.Node(actorID(1)).Messages()
		if last := msgs[len(msgs)-1]; last.Wire != transport.WireWebRTC {
			t.Fatalf("after the redial, RPC_RELIABLE went over %s", last.Wire)
		}
	})
}

func TestHealthCheckerStopEndsItsGoroutine(t *testing.T) {
	_, b := newFabric()
	m := newManager(t, b)
	stop := m.StartHealthChecker(time.Hour)
	stop()
	stop() // idempotent
	goleak.VerifyNone(t)
	_ = m.Close()
	m.StartHealthChecker(time.Second)() // on a closed manager: no goroutine, stop is a no-op
	goleak.VerifyNone(t)
}

func TestReadyMonitorRemovesTransportWhenEveryWireIsGone(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	m := newManager(t, b)
	dest := actor(1)
	tr, err := m.GetOrCreateTransport(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	waitReadyWires(t, ctx, tr, 2)
	sub := m.Subscribe(64)
	b.Drop(dest, transport.WireWebRTC)
	b.Drop(dest, transport.WireWebSocket)
	waitEvent(t, ctx, sub, func(e transport.Event) bool {
		return e.Kind == transport.EventTransportRemoved && e.TransportID == tr.ID()
	})
	if m.HasDest(dest) {
		t.Fatal("entry kept after every wire died")
	}
	if err := m.Send(context.Background(), dest, protocol.RPCReliable, nil); err != nil {
		t.Fatal(err)
	}
	if b.BuildsFor(dest) != 2 {
		t.Fatal("next Send did not re-dial")
	}
}

// CheckHealth runs one check on demand: a failed wire is re-dialled.
func TestCheckHealthRedialsFailedWire(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	m := newManager(t, b)
	dest := actor(1)
	sub := failWebRTC(t, ctx, m, b, dest)
	m.CheckHealth()
	waitEvent(t, ctx, sub, func(ev transport.Event) bool {
		return ev.Kind == transport.EventWireStateChanged && ev.WireKind == transport.WireWebRTC && ev.State == transport.WireReady
	})
	if n := len(b.Wires(dest)); n != 3 {
		t.Fatalf("%d wires built, want the first two and one re-dialled", n)
	}
}

// A re-dial of a failed wire keeps its payload types routed throughout:
// from the moment the reconnect starts until the new wire is ready, every
// ready set the pool publishes holds either the reconnect or the new
// wire, so a Send of a type only that kind carries waits for it instead
// of failing with ErrNoRoute. (The new wires once joined the pool a moment
// after the ready set that ended the reconnect and dropped the failed
// wire.)
func TestReconnectKeepsTheRouteWhileRedialling(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	var mu sync.Mutex
	watching := false
	var published, unrouted int
	routes := transport.DefaultRoutes().With(protocol.RPCSignal, transport.WireWebRTC)
	m := newManager(t, b, transport.WithRoutes(routes), transport.WithHooks(transport.Hooks{Published: func(p *transport.WirePool) {
		mu.Lock()
		defer mu.Unlock()
		if watching {
			published++
			if !p.Routed(protocol.RPCSignal) {
				unrouted++
			}
		}
	}}))
	dest := actor(1)
	sub := failWebRTC(t, ctx, m, b, dest)
	mu.Lock()
	watching = true
	mu.Unlock()
	m.CheckHealth()
	waitEvent(t, ctx, sub, func(ev transport.Event) bool {
		return ev.Kind == transport.EventWireStateChanged && ev.WireKind == transport.WireWebRTC && ev.State == transport.WireReady
	})
	mu.Lock()
	watching = false
	n, bad := published, unrouted
	mu.Unlock()
	if n < 3 {
		t.Fatalf("%d ready sets published during the re-dial, want at least the reconnect's start, its end and the new wire ready", n)
	}
	if bad > 0 {
		t.Fatalf("%d of %d ready sets during the re-dial had no route for %s", bad, n, protocol.RPCSignal)
	}
	if err := m.Send(ctx, dest, protocol.RPCSignal, []byte("after")); err != nil {
		t.Fatal(err)
	}
}

// failWebRTC connects m to dest over both wires of b, drops the WebRTC
// one and waits for the pool to see it failed; the subscription, opened
// before the drop, is closed with the test.
func failWebRTC(t *testing.T, ctx context.Context, m *transport.OutprocManager, b *transporttest.Builder, dest transport.Dest) *transport.Subscription {
	t.Helper()
	tr, err := m.GetOrCreateTransport(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	waitReadyWires(t, ctx, tr, 2)
	sub := m.Subscribe(64)
	t.Cleanup(sub.Close)
	if b.Drop(dest, transport.WireWebRTC) != 1 {
		t.Fatal("no webrtc wire to drop")
	}
	waitEvent(t, ctx, sub, func(ev transport.Event) bool {
		return ev.Kind == transport.EventWireStateChanged && ev.WireKind == transport.WireWebRTC && ev.State == transport.WireFailed
	})
	return sub
}
