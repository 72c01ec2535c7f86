package transport_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// A wire whose readiness drops and returns without dying (a WebRTC wire in
// an ICE restart): while it is down the other wire carries the traffic,
// the health checker leaves it alone, a sender with no other wire waits
// for it (up to its ctx) and wakes the moment it is back, on the same wire.
func TestReadyNotifierWireDropsAndReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net, b := newFabric()
		b.NotifyReady(transport.WireWebRTC)
		m, err := transport.NewOutprocManager(localID, b)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		stop := m.StartHealthChecker(10 * time.Second)
		defer stop()
		dest := actor(1)
		node := net.Node(actorID(1))
		sent := 0
		sendOver := func(msg string, want transport.WireKind) {
			t.Helper()
			if err := m.Send(t.Context(), dest, protocol.RPCReliable, []byte(msg)); err != nil {
				t.Fatalf("Send %q: %v", msg, err)
			}
			sent++
			msgs, err := node.WaitMessages(t.Context(), sent)
			if err != nil {
				t.Fatal(err)
			}
			if got := msgs[sent-1]; got.Wire != want || string(got.Data) != msg {
				t.Fatalf("%q arrived as %q over %s, want over %s", msg, got.Data, got.Wire, want)
			}
		}

		if _, err := m.GetOrCreateTransport(t.Context(), dest); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // both wires connected
		sendOver("both ready", transport.WireWebRTC)
		rtc, ok := b.LiveWire(dest, transport.WireWebRTC)
		if !ok {
			t.Fatal("no live webrtc wire")
		}

		rtc.Stall()
		synctest.Wait()
		sendOver("webrtc restarting", transport.WireWebSocket)

		// Three health checks: a plain wire this long not ready would be
		// failed after two.
		time.Sleep(30 * time.Second)
		synctest.Wait()
		if rtc.Closed() || !m.HasDest(dest) {
			t.Fatalf("the health checker failed a wire that recovers by itself (closed %v, dest present %v)", rtc.Closed(), m.HasDest(dest))
		}

		// The WebSocket wire dies and cannot come back for now: the
		// restarting WebRTC wire is all there is.
		releaseWS := b.HangConnects(transport.WireWebSocket)
		defer releaseWS()
		if b.Drop(dest, transport.WireWebSocket) != 1 {
			t.Fatal("no websocket wire to drop")
		}
		synctest.Wait()

		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		err = m.Send(ctx, dest, protocol.RPCReliable, []byte("gives up"))
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Send with no ready wire until its ctx ended: %v, want context.DeadlineExceeded", err)
		}

		done := make(chan error, 1)
		go func() { done <- m.Send(t.Context(), dest, protocol.RPCReliable, []byte("webrtc back")) }()
		synctest.Wait() // the sender is blocked on a channel, not polling
		select {
		case err := <-done:
			t.Fatalf("Send returned with no ready wire: %v", err)
		default:
		}
		start := time.Now()
		rtc.Unstall()
		if err := <-done; err != nil {
			t.Fatalf("Send after the wire came back: %v", err)
		}
		// The bubble's clock moves only when every goroutine waits for a
		// timer: the sender woke on the wire's notification, not on the
		// next health check.
		if waited := time.Since(start); waited != 0 {
			t.Fatalf("the sender woke %v after the wire came back; want at once", waited)
		}
		sent++
		msgs, err := node.WaitMessages(t.Context(), sent)
		if err != nil {
			t.Fatal(err)
		}
		if got := msgs[sent-1]; got.Wire != transport.WireWebRTC || string(got.Data) != "webrtc back" {
			t.Fatalf("got %q over %s, want \"webrtc back\" over webrtc", got.Data, got.Wire)
		}
		if w, _ := b.LiveWire(dest, transport.WireWebRTC); w != rtc || rtc.ConnectCalls() != 1 {
			t.Fatal("the webrtc wire was replaced or re-connected; it should have been kept")
		}
	})
}
