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

func TestLaneChoicePrefersWebRTCAndFallsBackToWebSocket(t *testing.T) {
	ctx := guard(t)
	net, b := newFabric()
	m := newManager(t, b)
	dest := actor(1)
	tr, err := m.GetOrCreateTransport(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	waitReadyWires(t, ctx, tr, 2)
	for _, pt := range protocol.DataPayloadTypes() {
		if err := m.Send(ctx, dest, pt, []byte(pt.String())); err != nil {
			t.Fatal(err)
		}
	}
	node := net.Node(actorID(1))
	msgs, err := node.WaitMessages(ctx, len(protocol.DataPayloadTypes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range msgs {
		if msg.Wire != transport.WireWebRTC {
			t.Fatalf("%s went over %s with both wires ready, want webrtc", msg.Type, msg.Wire)
		}
		if msg.From != localID || string(msg.Data) != msg.Type.String() {
			t.Fatalf("message garbled: %+v", msg)
		}
	}

	if b.Drop(dest, transport.WireWebRTC) != 1 {
		t.Fatal("no webrtc wire to drop")
	}
	if err := m.Send(ctx, dest, protocol.RPCReliable, []byte("fallback")); err != nil {
		t.Fatalf("Send right after the preferred wire dropped: %v", err)
	}
	msgs, err = node.WaitMessages(ctx, len(msgs)+1)
	if err != nil {
		t.Fatal(err)
	}
	if last := msgs[len(msgs)-1]; last.Wire != transport.WireWebSocket || string(last.Data) != "fallback" {
		t.Fatalf("fallback message: %+v, want it over websocket", last)
	}
}

func TestSendWaitsForFirstReadyWireWithoutPolling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net, b := newFabric()
		releaseRTC := b.HangConnects(transport.WireWebRTC)
		defer releaseRTC()
		releaseWS := b.HangConnects(transport.WireWebSocket)
		m, err := transport.NewOutprocManager(localID, b)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		dest := actor(1)
		done := make(chan error, 1)
		go func() { done <- m.Send(t.Context(), dest, protocol.RPCReliable, []byte("x")) }()
		synctest.Wait() // every goroutine is blocked: the sender waits on a channel, it does not poll
		select {
		case err := <-done:
			t.Fatalf("Send returned before any wire was ready: %v", err)
		default:
		}
		releaseWS()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if msgs := net.Node(actorID(1)).Messages(); len(msgs) != 1 || msgs[0].Wire != transport.WireWebSocket {
			t.Fatalf("messages: %+v", msgs)
		}
	})
}

func TestSendReturnsAtItsDeadlineWhenNoWireIsReady(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, b := newFabric()
		defer b.HangConnects(transport.WireWebRTC)()
		defer b.HangConnects(transport.WireWebSocket)()
		m, err := transport.NewOutprocManager(localID, b)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		start := time.Now()
		err = m.Send(ctx, actor(1), protocol.RPCReliable, nil)
		if !errors.Is(err, transport.ErrTimeout) {
			t.Fatalf("Send: %v, want ErrTimeout", err)
		}
		if waited := time.Since(start); waited != 3*time.Second { // virtual time: exact
			t.Fatalf("Send returned after %v, want exactly its 3s deadline", waited)
		}
	})
}

func TestRoutesRestrictKinds(t *testing.T) {
	ctx := guard(t)
	net, b := newFabric()
	routes := transport.DefaultRoutes().With(protocol.RPCSignal, transport.WireWebSocket)
	m := newManager(t, b, transport.WithRoutes(routes))
	dest := actor(1)
	tr, err := m.GetOrCreateTransport(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	waitReadyWires(t, ctx, tr, 2)
	if err := m.Send(ctx, dest, protocol.RPCSignal, nil); err != nil {
		t.Fatal(err)
	}
	msgs, _ := net.Node(actorID(1)).WaitMessages(ctx, 1)
	if msgs[0].Wire != transport.WireWebSocket {
		t.Fatalf("RPC_SIGNAL went over %s, routes allow only websocket", msgs[0].Wire)
	}
	// With the only allowed wire gone (and no health checker to redial it),
	// RPC_SIGNAL has no route, and Send says so instead of waiting.
	b.Drop(dest, transport.WireWebSocket)
	if err := tr.Send(ctx, protocol.RPCSignal, nil); !errors.Is(err, transport.ErrNoRoute) {
		t.Fatalf("RPC_SIGNAL with its only wire kind gone: %v, want ErrNoRoute", err)
	}
	if err := tr.Send(ctx, protocol.RPCReliable, nil); err != nil {
		t.Fatalf("RPC_RELIABLE still has webrtc: %v", err)
	}
}

func TestLaneTooLargeErrorIsTyped(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	b.SetMaxMessageSize(8)
	m := newManager(t, b)
	err := m.Send(ctx, actor(1), protocol.RPCReliable, make([]byte, 9))
	var tl *transport.MessageTooLargeError
	if !errors.Is(err, transport.ErrMessageTooLarge) || !errors.As(err, &tl) || tl.Size != 9 || tl.Max != 8 {
		t.Fatalf("Send: %v, want MessageTooLargeError{9, 8}", err)
	}
}
