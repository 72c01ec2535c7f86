package transport_test

import (
	"errors"
	"testing"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// closed reports whether w has been closed.
func (w *noopWire) closed() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// WithMaxDests bounds destinations, dialled or adopted; closing one makes
// room again.
func TestMaxDests(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	m := newManager(t, b, transport.WithMaxDests(3))
	for i := range 3 {
		if err := m.Send(ctx, actor(i), protocol.RPCReliable, nil); err != nil {
			t.Fatal(err)
		}
	}
	err := m.Send(ctx, actor(3), protocol.RPCReliable, nil)
	if !errors.Is(err, transport.ErrTooManyDests) {
		t.Fatalf("a 4th destination: %v, want ErrTooManyDests", err)
	}
	if err := m.Send(ctx, actor(0), protocol.RPCReliable, nil); err != nil {
		t.Fatalf("a known destination at the limit: %v", err)
	}
	w := &noopWire{id: transport.NewWireID(), kind: transport.WireWebSocket, done: make(chan struct{})}
	if err := m.Adopt(ctx, actor(4), w); !errors.Is(err, transport.ErrTooManyDests) || !w.closed() {
		t.Fatalf("Adopt of a 4th destination: %v (wire closed %v), want ErrTooManyDests and the wire closed", err, w.closed())
	}
	if err := m.CloseTransport(ctx, actor(1)); err != nil {
		t.Fatal(err)
	}
	if err := m.Send(ctx, actor(3), protocol.RPCReliable, nil); err != nil {
		t.Fatalf("after closing one: %v", err)
	}
	if st := m.Stats(); st.SendErrors[protocol.RPCReliable] != 1 {
		t.Fatalf("SendErrors %v, want the refused Send counted", st.SendErrors)
	}
}

// WithMaxPendingDials bounds dials in flight; a waiter on a dial already
// running is not refused.
func TestMaxPendingDials(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	m := newManager(t, b, transport.WithMaxPendingDials(2))
	release := b.HoldBuilds()
	errs := make(chan error, 3)
	for _, d := range []int{0, 1, 1} {
		go func() { errs <- m.Send(ctx, actor(d), protocol.RPCReliable, nil) }()
	}
	if err := b.WaitHeld(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := m.Send(ctx, actor(2), protocol.RPCReliable, nil); !errors.Is(err, transport.ErrTooManyDials) {
		t.Fatalf("a 3rd dial: %v, want ErrTooManyDials", err)
	}
	release()
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Send(ctx, actor(2), protocol.RPCReliable, nil); err != nil {
		t.Fatalf("once the dials ended: %v", err)
	}
}
